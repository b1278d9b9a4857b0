"""How text becomes searchable, and how a query is read: Chinese and English alike.

PostgreSQL's text-search parser keeps a run of Chinese characters as one word, so
`线下快闪店` would only be found by `线下快闪店` whole. Here every run of CJK characters
(Han, kana, hangul) is indexed as its single characters (unigrams) and its overlapping
pairs (bigrams), each at the position of its first character; the rest of the text goes
through PostgreSQL's `english` configuration (lower case, stems, stop words). Both end up
in one `tsvector`, so one GIN index answers every query:

- a one-character query (`店`) is its unigram;
- a two-character query (`直播`) is its bigram;
- a longer run (`快闪店`) is the phrase of its bigrams, each one position after the
  other (`'快闪' <-> '闪店'`): exactly the runs that hold those characters in that order;
- a Latin word (`pop-up`, `livestream`) is `phraseto_tsquery('english', word)`, which
  stems it the way its text was stemmed;
- the words of a query (split on spaces, and where CJK meets Latin: `KOC直播`) must all
  match (AND).

Everything here is pure: the SQL that applies it lives in `search.py` and `index.py`.
"""

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

# A tsvector position is at most 16,383: text beyond is not indexed (titles and bodies
# are cut to these lengths before indexing, and shown cut too).
MAX_TITLE_CHARS = 300
MAX_BODY_CHARS = 16_000
# PostgreSQL keeps at most 256 positions per lexeme: a character repeated more often in
# one entry is still found, its later positions only matter to phrases.
_MAX_POSITIONS = 256
# Between the title and the body, and between two runs: no bigram spans the gap, so a
# phrase never matches across it.
_GAP = 2

TITLE_WEIGHT = "A"
BODY_WEIGHT = "B"

_CJK_CLASS = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf"  # CJK unified ideographs extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\U00020000-\U0003134f"  # extensions B to G
)
_CJK = re.compile(f"[{_CJK_CLASS}]")
_RUNS = re.compile(f"[{_CJK_CLASS}]+|[^{_CJK_CLASS}]+")
_SPACE = re.compile(r"\s+")
# What the highlighter calls a word: letters and digits (CJK ones too: see `runs`).
_WORD = re.compile(r"[^\W_]+")


def is_cjk(char: str) -> bool:
    return _CJK.match(char) is not None


def normalise(text: str) -> str:
    """NFKC: full-width letters and digits (`\uff2b\uff2f\uff23` for KOC) become ASCII,
    the way people type them; the text shown keeps its own characters."""
    return unicodedata.normalize("NFKC", text)


def runs(text: str) -> Iterator[tuple[bool, int, str]]:
    """(is CJK, start, run) for the maximal runs of CJK and of other characters."""
    for match in _RUNS.finditer(text):
        run = match.group()
        yield is_cjk(run[0]), match.start(), run


def latin_only(text: str) -> str:
    """The text with every CJK character blanked: what the `english` parser reads."""
    return _CJK.sub(" ", text)


@dataclass(frozen=True)
class DocumentTokens:
    """An entry's text as indexed: `cjk_vector` is a tsvector literal of its CJK n-grams
    (positions and weights), `latin_title`/`latin_body` are for `to_tsvector('english')`."""

    cjk_vector: str
    latin_title: str
    latin_body: str


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _cjk_grams(text: str, first: int) -> Iterator[tuple[str, int]]:
    """(n-gram, position) of every CJK run of `text`, positions counted from `first`."""
    for cjk, start, run in runs(text):
        if not cjk:
            continue
        for offset, char in enumerate(run):
            position = first + start + offset
            yield char, position
            if offset + 1 < len(run):
                yield run[offset : offset + 2], position


def cjk_vector(parts: Iterable[tuple[str, str]]) -> str:
    """A tsvector literal of the CJK n-grams of `(text, weight)` parts, one after the
    other (each part starts past the previous one and a gap)."""
    positions: dict[str, list[str]] = {}
    first = 1
    for text, weight in parts:
        for gram, position in _cjk_grams(text, first):
            seen = positions.setdefault(gram, [])
            if len(seen) < _MAX_POSITIONS:
                seen.append(f"{position}{weight}")
        first += len(text) + _GAP
    return " ".join(f"{_quote(gram)}:{','.join(at)}" for gram, at in positions.items())


def facet(name: str, value: str) -> str:
    """A lexeme for a facet of the entry (`facet("y", "2024")`), quoted for a tsvector or
    tsquery literal. It holds a space, which no word of any text ever does: a filter
    becomes a condition the GIN index answers, and never matches text."""
    return _quote(f"~{name} {value}")


def clip(text: str | None, limit: int) -> str:
    return (text or "")[:limit]


def document(title: str, body: str, facets: Sequence[str] = ()) -> DocumentTokens:
    """How an entry is indexed (its title and body already clipped to the limits), with
    its `facets` (from `facet`), which have no position."""
    title, body = normalise(title), normalise(body)
    grams = cjk_vector([(title, TITLE_WEIGHT), (body, BODY_WEIGHT)])
    return DocumentTokens(
        cjk_vector=" ".join(part for part in (grams, *facets) if part),
        latin_title=latin_only(title),
        latin_body=latin_only(body),
    )


@dataclass(frozen=True)
class Query:
    """A search as the database runs it.

    `cjk` is a tsquery literal of the CJK runs ('' when there are none); each of
    `latin` goes through `phraseto_tsquery('english', ...)`; all are ANDed. `runs` are
    the CJK runs themselves, for highlighting.
    """

    cjk: str
    latin: tuple[str, ...]
    runs: tuple[str, ...]
    words: tuple[str, ...]  # the Latin words as typed (lower case), for highlighting


def _run_query(run: str) -> str:
    if len(run) == 1:
        return _quote(run)
    return " <-> ".join(_quote(run[i : i + 2]) for i in range(len(run) - 1))


def parse_query(q: str) -> Query:
    """Split a query into its words (on spaces), and each word where CJK meets Latin."""
    cjk_runs: list[str] = []
    latin: list[str] = []
    for term in _SPACE.split(normalise(q).strip()):
        for cjk, _, run in runs(term):
            if cjk:
                cjk_runs.append(run)
            elif _WORD.search(run):
                latin.append(run)
    unique_runs = tuple(dict.fromkeys(cjk_runs))
    unique_latin = tuple(dict.fromkeys(latin))
    cjk_query = " & ".join(
        f"({_run_query(run)})" if len(run) > 2 else _run_query(run) for run in unique_runs
    )
    words = tuple(dict.fromkeys(w.lower() for text in unique_latin for w in _WORD.findall(text)))
    return Query(cjk=cjk_query, latin=unique_latin, runs=unique_runs, words=words)


@dataclass(frozen=True)
class Snippet:
    """Part of an entry's text around its first match: `highlights` are (start, end)
    offsets, in characters, of the matches within `text`."""

    text: str
    highlights: tuple[tuple[int, int], ...]


def _latin_matches(
    text: str, stems: Sequence[str], words: Sequence[str]
) -> Iterator[tuple[int, int]]:
    """Words that start with a stem the query was reduced to (`livestream` in
    `livestreaming`), or that are a word of the query as typed (a stop word such as `up`)."""
    prefixes = tuple(stem for stem in stems if stem)
    typed = frozenset(words)

    def hit(word: str) -> bool:
        folded = normalise(word).lower()
        return folded in typed or (bool(prefixes) and folded.startswith(prefixes))

    for match in _WORD.finditer(text):
        word = match.group()
        # `\w` matches CJK characters too: look at the Latin stretches of such a word.
        for cjk, start, run in runs(word):
            if not cjk and hit(run):
                yield match.start() + start, match.start() + start + len(run)


def _cjk_matches(text: str, runs_: Sequence[str]) -> Iterator[tuple[int, int]]:
    folded = normalise(text)
    if len(folded) != len(text):  # NFKC changed the length: search the text as it is
        folded = text
    for run in runs_:
        start = folded.find(run)
        while start != -1:
            yield start, start + len(run)
            start = folded.find(run, start + len(run))


def _merged(spans: Iterable[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Overlapping spans as one, and spans joined by a hyphen or an apostrophe (`pop-up`)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and (start <= merged[-1][1] or _joins(text[merged[-1][1] : start])):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


# Hyphen-minus, hyphen, en dash, apostrophe, right single quotation mark, underscore, dot.
_JOINERS = frozenset("-\u2010\u2013'\u2019_.")


def _joins(between: str) -> bool:
    return 0 < len(between) <= 2 and all(char in _JOINERS for char in between)


def matches(
    text: str, *, runs: Sequence[str], stems: Sequence[str], words: Sequence[str]
) -> list[tuple[int, int]]:
    """Where the query's CJK runs and Latin words (by stem or as typed) occur in `text`."""
    return _merged([*_cjk_matches(text, runs), *_latin_matches(text, stems, words)], text)


def snippet(
    text: str,
    *,
    runs: Sequence[str],
    stems: Sequence[str],
    words: Sequence[str],
    width: int = 160,
    before: int = 40,
) -> Snippet:
    """At most `width` characters of `text` (whitespace collapsed) from a little
    `before` its first match, marked `…` where cut; the whole start when nothing matches."""
    text = _SPACE.sub(" ", text).strip()
    found = matches(text, runs=runs, stems=stems, words=words)
    start = max(0, found[0][0] - before) if found else 0
    if len(text) - start < width:
        start = max(0, len(text) - width)
    end = min(len(text), start + width)
    lead = "…" if start > 0 else ""
    tail = "…" if end < len(text) else ""
    shift = len(lead) - start
    kept = tuple(
        (max(a, start) + shift, min(b, end) + shift) for a, b in found if a < end and b > start
    )
    return Snippet(lead + text[start:end] + tail, kept)
