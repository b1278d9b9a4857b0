"""How text is indexed and queries are read (pure, no database): CJK runs as characters
and overlapping pairs at their positions, the rest for PostgreSQL's `english` config,
queries as phrases of pairs, and the snippets' highlights."""

# ruff: noqa: RUF001 - the examples' Chinese text uses full-width punctuation

import pytest

from shared.knowledge import tokens


def lexemes(vector: str) -> dict[str, str]:
    """A tsvector literal as {lexeme: positions}."""
    found = {}
    for part in vector.split(" "):
        lexeme, _, positions = part.rpartition(":")
        found[lexeme.strip("'")] = positions
    return found


def test_a_cjk_run_is_indexed_as_characters_and_pairs_at_their_positions():
    indexed = tokens.document("", "线下快闪店")
    assert lexemes(indexed.cjk_vector) == {
        "线": "3B", "线下": "3B", "下": "4B", "下快": "4B", "快": "5B", "快闪": "5B",
        "闪": "6B", "闪店": "6B", "店": "7B",
    }  # fmt: skip


def test_the_title_weighs_a_and_comes_first_then_the_body_after_a_gap():
    indexed = tokens.document("直播", "直播带货")
    found = lexemes(indexed.cjk_vector)
    assert found["直播"] == "1A,5B"
    assert found["带货"] == "7B"
    # No pair spans the title and the body, nor two runs.
    assert "播直" not in found
    assert "播带" in found
    assert "货直" not in lexemes(tokens.document("", "带货，直播").cjk_vector)


def test_latin_text_is_left_to_the_english_parser_and_cjk_blanked_out():
    indexed = tokens.document("618 大促", "KOC直播 pop-up store")
    assert indexed.latin_title == "618   "
    assert indexed.latin_body == "KOC   pop-up store"
    assert "koc" not in indexed.cjk_vector.lower()


def test_full_width_letters_and_digits_are_read_as_ascii():
    indexed = tokens.document("", "ＫＯＣ６１８")
    assert indexed.latin_body == "KOC618"
    assert tokens.parse_query("ＫＯＣ").latin == ("KOC",)


def test_each_lexeme_keeps_at_most_256_positions():
    found = lexemes(tokens.document("", "店" * 300).cjk_vector)
    assert len(found["店"].split(",")) == 256


@pytest.mark.parametrize(
    ("q", "cjk"),
    [
        ("店", "'店'"),
        ("直播", "'直播'"),
        ("快闪店", "('快闪' <-> '闪店')"),
        ("快闪店铺", "('快闪' <-> '闪店' <-> '店铺')"),
    ],
)
def test_a_cjk_word_is_its_character_its_pair_or_the_phrase_of_its_pairs(q, cjk):
    parsed = tokens.parse_query(q)
    assert parsed.cjk == cjk
    assert parsed.latin == ()
    assert parsed.runs == (q,)


def test_words_split_on_spaces_and_where_cjk_meets_latin_all_must_match():
    assert tokens.parse_query("KOC 直播") == tokens.parse_query("KOC直播")
    parsed = tokens.parse_query("KOC直播 pop-up  快闪店")
    assert parsed.cjk == "'直播' & ('快闪' <-> '闪店')"
    assert parsed.latin == ("KOC", "pop-up")
    assert parsed.words == ("koc", "pop", "up")


def test_punctuation_splits_cjk_runs_and_alone_is_no_word():
    assert tokens.parse_query("快闪店，客流").runs == ("快闪店", "客流")
    empty = tokens.parse_query("，。!! ——")
    assert (empty.cjk, empty.latin) == ("", ())


def test_repeated_words_count_once():
    parsed = tokens.parse_query("直播 直播 KOC koc")
    assert parsed.runs == ("直播",)
    assert parsed.latin == ("KOC", "koc")  # the same lexeme once stemmed
    assert parsed.words == ("koc",)


def test_matches_find_cjk_runs_and_latin_words_by_stem_or_as_typed():
    text = "Pop-up store 线下快闪店客流低; livestreaming 直播间; update"
    spans = tokens.matches(text, runs=("快闪店",), stems=("pop", "livestream"), words=("up",))
    assert [text[a:b] for a, b in spans] == ["Pop-up", "快闪店", "livestreaming"]


def test_a_snippet_starts_a_little_before_the_first_match_and_marks_cuts():
    text = "前言。" * 30 + "线下快闪店客流不足，日均 500 人。" + "后记。" * 60
    cut = tokens.snippet(text, runs=("快闪店",), stems=(), words=(), width=60, before=10)
    assert cut.text.startswith("…")
    assert cut.text.endswith("…")
    assert len(cut.text) == 62
    [(start, end)] = cut.highlights
    assert cut.text[start:end] == "快闪店"
    assert start == 1 + 10  # after the ellipsis and `before` characters (…前言。线下)


def test_a_snippet_near_the_end_shows_the_last_characters():
    text = "a" * 100 + " 直播"
    cut = tokens.snippet(text, runs=("直播",), stems=(), words=(), width=20, before=5)
    assert cut.text == "…" + text[-20:]
    assert [cut.text[a:b] for a, b in cut.highlights] == ["直播"]


def test_a_snippet_without_a_match_is_the_start_and_whitespace_is_collapsed():
    cut = tokens.snippet("第一行\n\n第二行   第三行", runs=("直播",), stems=(), words=())
    assert cut == tokens.Snippet("第一行 第二行 第三行", ())
