"""Which matching entries are ranked, and one page of them, in SQL.

At most `RANKED` of the entries that match a query are ranked: all of them when fewer
match, else those of the most recent campaigns (`capped`). PostgreSQL ranks them and
cuts the page, so a search hands Python one page, not the thousand entries it ranked:
less work, and less garbage, whose collection was most of the slowest searches' time.

Finding the ranked entries costs what the query matches:

- a query matching many entries is answered fastest by reading the most recent entries
  in order until `RANKED` of them match (about a microsecond an entry read);
- one matching few by the GIN index, which costs about half a microsecond an entry
  matched, plus reading the words' lists.

So the most recent `PROBE` entries are read first. Where at least `DENSE` of them match
(4%), the walk goes on, up to `WALK` entries. Otherwise, or when the walk did not find
`RANKED`, the GIN index finds the matches (words and filters at once): all of them when
they are `RANKED` at most, else the walk's completed by others up to `RANKED`.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    CTE,
    Date,
    Float,
    Subquery,
    Uuid,
    func,
    literal,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from shared.knowledge.models import KnowledgeEntry

RANKED = 1000  # matching entries ranked per query, at most
PROBE = 5_000  # recent entries read first, in recency order
DENSE = 200  # matches among them that make the walk go on (4%)
WALK = 40_000  # recent entries read, at most, before the GIN index is asked
_NORMALISATION = 1  # ts_rank divided by 1 + the log of the entry's length

E = KnowledgeEntry
Ranked = tuple[uuid.UUID, date, float]  # an entry's id, its campaign's day, its rank


@dataclass(frozen=True)
class After:
    """Where a page starts: after this hit in the order (rank, day, id), each descending."""

    rank: float
    day: date
    id: uuid.UUID


@dataclass(frozen=True)
class Page:
    rows: list[Ranked]  # best first: up to the page's limit + 1 (one more: a next page)
    ranked: int  # entries ranked
    capped: bool  # more matched than `RANKED`: those of the most recent campaigns ranked


def _walk(where: Sequence[Any], rank_query: Any, match_query: Any, rows: int) -> CTE:
    """Matches among the `rows` most recent entries, the most recent first: at most
    `RANKED` + 1 (the scan stops there)."""
    recent = (
        select(E.id, E.campaign_day, E.search_vector)
        .where(*where)
        .order_by(E.campaign_day.desc(), E.id.desc())
        .limit(rows)
        .subquery("recent")
    )
    return (
        select(
            recent.c.id.label("id"),
            recent.c.campaign_day.label("day"),
            func.ts_rank(recent.c.search_vector, rank_query, _NORMALISATION).label("rank"),
        )
        .where(recent.c.search_vector.op("@@")(match_query))
        .limit(RANKED + 1)
        .cte("walked")
    )


def _indexed(where: Sequence[Any], rank_query: Any, match_query: Any) -> CTE:
    """Matches found by the GIN index, at most `RANKED` + 1, in no particular order."""
    return (
        select(
            E.id.label("id"),
            E.campaign_day.label("day"),
            func.ts_rank(E.search_vector, rank_query, _NORMALISATION).label("rank"),
        )
        .where(*where, E.search_vector.op("@@")(match_query))
        .limit(RANKED + 1)
        .cte("indexed")
    )


def _count(found: CTE) -> Any:
    return select(func.count()).select_from(found).scalar_subquery()


def _walked(walked: CTE) -> tuple[Subquery, Any]:
    """The walk's `RANKED` most recent matches, and how many it found."""
    kept = (
        select(walked.c.id, walked.c.day, walked.c.rank)
        .order_by(walked.c.day.desc(), walked.c.id.desc())
        .limit(RANKED)
        .subquery("kept")
    )
    return kept, _count(walked)


def _indexed_or_merged(walked: CTE, indexed: CTE) -> tuple[Subquery, Any]:
    """What the index found when that is `RANKED` at most; else the walk's matches first,
    then others of the index's, up to `RANKED`. And how many the index found."""
    found = _count(indexed)
    merged = union_all(
        select(walked.c.id, walked.c.day, walked.c.rank, literal(0).label("source")),
        select(indexed.c.id, indexed.c.day, indexed.c.rank, literal(1)).where(
            indexed.c.id.not_in(select(walked.c.id))
        ),
    ).subquery("merged")
    first = (
        select(merged.c.id, merged.c.day, merged.c.rank)
        .order_by(merged.c.source, merged.c.day.desc(), merged.c.id.desc())
        .limit(RANKED)
        .subquery("first")
    )
    kept = union_all(
        select(indexed.c.id, indexed.c.day, indexed.c.rank).where(found <= RANKED),
        select(first.c.id, first.c.day, first.c.rank).where(found > RANKED),
    ).subquery("kept")
    return kept, found


async def _page(
    session: AsyncSession, kept: Subquery, found: Any, after: After | None, limit: int
) -> tuple[int, list[Ranked]]:
    """How many matched, and the page of `kept` after `after`, best first (one row at
    least: the count, joined to the page)."""
    page = select(kept.c.id, kept.c.day, kept.c.rank)
    if after is not None:
        page = page.where(
            tuple_(kept.c.rank, kept.c.day, kept.c.id)
            < tuple_(
                literal(after.rank, Float()), literal(after.day, Date()), literal(after.id, Uuid())
            )
        )
    best = page.order_by(kept.c.rank.desc(), kept.c.day.desc(), kept.c.id.desc()).limit(limit + 1)
    shown = best.lateral("shown")
    counted = select(found.label("found")).subquery("counted")
    rows = (
        await session.execute(
            select(counted.c.found, shown.c.id, shown.c.day, shown.c.rank)
            .select_from(counted.outerjoin(shown, true()))
            .order_by(shown.c.rank.desc(), shown.c.day.desc(), shown.c.id.desc())
        )
    ).all()
    return int(rows[0][0]), [
        (entry_id, day, float(rank)) for _, entry_id, day, rank in rows if entry_id is not None
    ]


async def page(
    session: AsyncSession,
    *,
    where: Sequence[Any],
    rank_query: Any,
    match_query: Any,
    after: After | None,
    limit: int,
) -> Page:
    """One page of the ranked matches of `match_query` among the entries `where` says,
    ranked by `rank_query` (the words without the filters)."""
    rows = PROBE
    found, shown = await _page(
        session, *_walked(_walk(where, rank_query, match_query, rows)), after, limit
    )
    if DENSE <= found <= RANKED:
        rows = WALK
        found, shown = await _page(
            session, *_walked(_walk(where, rank_query, match_query, rows)), after, limit
        )
    if found <= RANKED:
        walked = _walk(where, rank_query, match_query, rows)
        indexed = _indexed(where, rank_query, match_query)
        found, shown = await _page(session, *_indexed_or_merged(walked, indexed), after, limit)
    return Page(shown, min(found, RANKED), found > RANKED)
