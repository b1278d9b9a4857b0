"""Searching the knowledge base: ranked hits with highlighted snippets, in cursor pages.

A query is read into words (`tokens.parse_query`), which PostgreSQL matches against the
entries' `search_vector`, with the filters. At most `RANKED` of the matching entries are
ranked: those of the most recent campaigns (by their end day) when more match, so that a
one-character query that matches a third of the base costs what a rare word costs
(`ranking.py`). They are ranked by `ts_rank` (titles weigh more than bodies, normalised
by length), then by the campaign's recency; pages walk that order with an opaque cursor
of (rank, day, id).
"""

import base64
import binascii
import hashlib
import html
import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnClause, Text, bindparam, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import CampaignKind, CampaignStatus
from shared.errors import BadRequest, FieldError, Invalid
from shared.knowledge import ranking, tokens
from shared.knowledge.models import EntryKind, GoalOutcome, KnowledgeEntry
from shared.knowledge.ranking import After
from shared.pagination import PageRequest
from shared.schemas import contains_nul

MAX_QUERY_CHARS = 100

_ENGLISH: ColumnClause[Any] = literal_column("'english'::regconfig")
_LEXEME = re.compile(r"'((?:[^']|'')*)'")
E = KnowledgeEntry


class Scope(StrEnum):
    archived = "archived"  # archived campaigns only: the knowledge base proper
    all = "all"  # every campaign of the workspace, whatever its status


@dataclass(frozen=True)
class Filters:
    scope: Scope = Scope.archived
    kinds: tuple[EntryKind, ...] = ()
    campaign_kind: CampaignKind | None = None
    tag: str | None = None
    year: int | None = None
    channel: str | None = None
    goals: GoalOutcome | None = None

    def tsquery(self) -> str | None:
        """The filters as facet lexemes to AND with the words (see `tokens.facet`): the
        GIN index applies them together. The workspace and the scope are columns: a
        lexeme of nearly every entry costs the index more (reading its list) than it
        filters."""
        parts = []
        if self.kinds:
            parts.append("(" + " | ".join(tokens.facet("e", k.value) for k in self.kinds) + ")")
        if self.campaign_kind is not None:
            parts.append(tokens.facet("c", self.campaign_kind.value))
        if self.tag is not None:
            parts.append(tokens.facet("t", self.tag))
        if self.year is not None:
            parts.append(tokens.facet("y", str(self.year)))
        if self.channel is not None:
            parts.append(tokens.facet("h", self.channel))
        if self.goals is not None:
            parts.append(tokens.facet("g", self.goals.value))
        return " & ".join(parts) or None


@dataclass(frozen=True)
class Hit:
    id: uuid.UUID
    kind: EntryKind
    source_id: uuid.UUID
    href: str
    rank: float
    title: str
    title_html: str
    snippet: str
    snippet_html: str
    highlights: list[tuple[int, int]]
    campaign_id: uuid.UUID
    campaign_name: str
    campaign_kind: CampaignKind
    campaign_status: CampaignStatus
    campaign_year: int | None


@dataclass(frozen=True)
class Found:
    items: list[Hit]
    next_cursor: str | None
    ranked: int  # entries ranked (all that matched, unless `capped`)
    capped: bool  # more entries matched than `RANKED`: only the most recent were ranked


def _bad_query(message: str) -> Invalid:
    return Invalid(
        f"q: {message}", [FieldError("q", message, code="invalid_query", location="query")]
    )


def _check_filters(filters: Filters) -> None:
    """Filters' text becomes part of the query: PostgreSQL cannot hold a NUL in it."""
    message = "must not contain NUL (\\u0000) characters"
    errors = [
        FieldError(name, message, code="invalid_text", location="query")
        for name in ("tag", "channel")
        if contains_nul(getattr(filters, name))
    ]
    if errors:
        raise Invalid("The filters are not valid.", errors)


def _parse(q: str) -> tokens.Query:
    if contains_nul(q):
        raise _bad_query("must not contain NUL (\\u0000) characters")
    text = q.strip()
    if not 1 <= len(text) <= MAX_QUERY_CHARS:
        raise _bad_query(f"must have 1 to {MAX_QUERY_CHARS} characters besides spaces")
    parsed = tokens.parse_query(text)
    if not parsed.cjk and not parsed.latin:
        raise _bad_query("has no word to search for (only punctuation or symbols)")
    return parsed


async def _tsquery(session: AsyncSession, parsed: tokens.Query) -> str:
    """The query as PostgreSQL reads it (its English words stemmed), as tsquery text."""
    parts: list[Any] = []
    if parsed.cjk:
        parts.append(cast(bindparam("cjk", parsed.cjk, type_=Text), TSQUERY))
    for number, word in enumerate(parsed.latin):
        parts.append(func.phraseto_tsquery(_ENGLISH, bindparam(f"w{number}", word, type_=Text)))
    combined = parts[0]
    for part in parts[1:]:
        combined = combined.op("&&")(part)
    found: str = await session.scalar(select(cast(combined, Text))) or ""
    if not found.strip():
        raise _bad_query("has only words too common to search for (such as 'the' or 'and')")
    return found


def _lexemes(tsquery: str) -> list[str]:
    return [m.replace("''", "'") for m in _LEXEME.findall(tsquery)]


def _fingerprint(q: str, filters: Filters) -> str:
    """What a cursor was made for: another query or other filters refuse it."""
    raw = json.dumps([q.strip(), repr(filters)], ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


def _encode_cursor(made_for: str, rank: float, day: date, entry_id: uuid.UUID) -> str:
    raw = json.dumps({"v": 1, "f": made_for, "r": rank, "d": day.isoformat(), "id": str(entry_id)})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, made_for: str) -> After:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data: Any = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if data["v"] != 1 or data["f"] != made_for:
            raise ValueError("cursor made for another search")
        rank = data["r"]
        if not isinstance(rank, int | float) or isinstance(rank, bool):
            raise ValueError("rank expected")
        return After(float(rank), date.fromisoformat(data["d"]), uuid.UUID(data["id"]))
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError) as exc:
        raise BadRequest(
            "The cursor is not valid for this search; start again without one.", field="cursor"
        ) from exc


def _marked_html(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """`text` escaped for HTML, each span in <mark>...</mark>."""
    out, at = [], 0
    for start, end in spans:
        out.append(html.escape(text[at:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        at = end
    out.append(html.escape(text[at:]))
    return "".join(out)


def _inline(tsquery_text: str) -> Any:
    # Inlined, not bound: the planner sees the words, so how many rows they match.
    return cast(
        bindparam("tsq", tsquery_text, type_=Text, unique=True, literal_execute=True), TSQUERY
    )


async def search(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    q: str,
    filters: Filters,
    page: PageRequest,
) -> Found:
    parsed = _parse(q)
    _check_filters(filters)
    words = await _tsquery(session, parsed)
    made_for = _fingerprint(q, filters)
    after = _decode_cursor(page.cursor, made_for) if page.cursor is not None else None
    where = [E.workspace_id == workspace_id]
    if filters.scope == Scope.archived:
        where.append(E.campaign_status == CampaignStatus.archived)
    facets = filters.tsquery()
    found = await ranking.page(
        session,
        where=where,
        rank_query=_inline(words),
        match_query=_inline(f"({words}) & {facets}" if facets else words),
        after=after,
        limit=page.limit,
    )
    shown = found.rows[: page.limit]
    next_cursor = None
    if len(found.rows) > page.limit:
        last_id, last_day, last_rank = shown[-1]
        next_cursor = _encode_cursor(made_for, last_rank, last_day, last_id)
    hits = await _hits(session, shown, parsed, _lexemes(words))
    return Found(hits, next_cursor, found.ranked, found.capped)


async def _hits(
    session: AsyncSession,
    shown: Sequence[ranking.Ranked],
    parsed: tokens.Query,
    lexemes: Sequence[str],
) -> list[Hit]:
    if not shown:
        return []
    rows = {
        row.id: row
        for row in (
            await session.execute(
                select(
                    E.id, E.kind, E.source_id, E.href, E.title, E.body, E.campaign_id,
                    E.campaign_name, E.campaign_kind, E.campaign_status, E.campaign_year,
                ).where(E.id.in_([entry_id for entry_id, _, _ in shown]))
            )
        ).all()
    }  # fmt: skip
    stems = [lex for lex in lexemes if not any(tokens.is_cjk(c) for c in lex)]
    hits = []
    for entry_id, _, rank in shown:
        row = rows[entry_id]
        title_spans = tokens.matches(row.title, runs=parsed.runs, stems=stems, words=parsed.words)
        cut = tokens.snippet(
            row.body or row.title, runs=parsed.runs, stems=stems, words=parsed.words
        )
        hits.append(
            Hit(
                id=row.id,
                kind=row.kind,
                source_id=row.source_id,
                href=row.href,
                rank=rank,
                title=row.title,
                title_html=_marked_html(row.title, title_spans),
                snippet=cut.text,
                snippet_html=_marked_html(cut.text, cut.highlights),
                highlights=list(cut.highlights),
                campaign_id=row.campaign_id,
                campaign_name=row.campaign_name,
                campaign_kind=row.campaign_kind,
                campaign_status=row.campaign_status,
                campaign_year=row.campaign_year,
            )
        )
    return hits
