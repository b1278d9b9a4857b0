"""Recording events, and reading the feed in an order that never skips one."""

import uuid
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from shared.actor import Actor
from shared.errors import FieldError, Invalid
from shared.events.kinds import ALL_KINDS
from shared.events.models import Event, Xid8
from shared.events.positions import Position
from shared.tenancy import in_workspace
from shared.timeutil import utcnow

# Who reacts to an event, in the transaction that records it: they commit or roll back
# with the change it describes. The events package imports none of them; `shared/reactions`
# subscribes them once at start-up.
Subscriber = Callable[[AsyncSession, Event], Awaitable[object]]
_subscribers: list[tuple[Subscriber, frozenset[str] | None]] = []


def subscribe(subscriber: Subscriber, *, kinds: Collection[str] | None = None) -> None:
    """Call `subscriber` for every event recorded (of `kinds` only, when given)."""
    entry = (subscriber, None if kinds is None else frozenset(kinds))
    if entry not in _subscribers:
        _subscribers.append(entry)


async def record_event(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    kind: str,
    subject_type: str,
    subject_id: uuid.UUID,
    campaign_id: uuid.UUID | None = None,
    actor: Actor | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """Add the event to the session: it commits, or rolls back, with the change it describes."""
    event = Event(
        workspace_id=workspace_id,
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        campaign_id=campaign_id,
        actor_api_key_id=actor.api_key_id if actor else None,
        actor_member_id=actor.member_id if actor else None,
        data=data or {},
        occurred_at=utcnow(),
    )
    session.add(event)
    for subscriber, wanted in _subscribers:
        if wanted is None or kind in wanted:
            await subscriber(session, event)
    return event


def parse_kinds(values: Sequence[str], *, field: str = "kind") -> tuple[str, ...]:
    """Kinds given as repeated values, comma lists, or both; unknown ones are refused."""
    kinds = [kind.strip() for value in values for kind in value.split(",")]
    unknown = [kind for kind in kinds if kind not in ALL_KINDS]
    if unknown:
        raise Invalid(
            f"Unknown event kind: {', '.join(repr(k) for k in unknown)}.",
            [
                FieldError(
                    field,
                    f"Not an event kind: {', '.join(repr(k) for k in unknown)}; "
                    f"kinds are {', '.join(ALL_KINDS)}.",
                    location="query",
                )
            ],
        )
    return tuple(dict.fromkeys(kinds))


def parse_position(raw: str, *, field: str, location: str) -> Position:
    try:
        return Position.parse(raw)
    except ValueError:
        raise Invalid(
            f"{field} is not a feed position.",
            [
                FieldError(
                    field,
                    "Not a feed position: pass back an event's `position` (or `next`).",
                    location=location,
                )
            ],
        ) from None


@dataclass(frozen=True)
class EventFilters:
    kinds: tuple[str, ...] = ()  # any of them; empty: every kind
    campaign_id: uuid.UUID | None = None
    subject_type: str | None = None
    subject_id: uuid.UUID | None = None
    since: datetime | None = None  # occurred at or after
    until: datetime | None = None  # occurred before


@dataclass(frozen=True)
class EventPage:
    items: Sequence[Event]
    next: Position | None  # the last item's position, else the one the page started after
    has_more: bool


def _settled() -> ColumnElement[bool]:
    """Rows whose transaction is older than every transaction still running.

    Every transaction below the snapshot's xmin has ended, so no row can ever appear
    before the last one returned: an older transaction that commits late is simply
    not returned until it has committed, instead of being passed over.
    """
    return Event.tx_id < func.pg_snapshot_xmin(func.pg_current_snapshot())


def _after(position: Position) -> ColumnElement[bool]:
    return tuple_(Event.tx_id, Event.seq) > tuple_(
        bindparam(None, position.tx_id, type_=Xid8()), bindparam(None, position.seq)
    )


def _feed(workspace_id: uuid.UUID, filters: EventFilters) -> Select[Event]:
    query = in_workspace(Event, workspace_id).where(_settled())
    if filters.kinds:
        query = query.where(Event.kind.in_(filters.kinds))
    if filters.campaign_id is not None:
        query = query.where(Event.campaign_id == filters.campaign_id)
    if filters.subject_type is not None:
        query = query.where(Event.subject_type == filters.subject_type)
    if filters.subject_id is not None:
        query = query.where(Event.subject_id == filters.subject_id)
    if filters.since is not None:
        query = query.where(Event.occurred_at >= filters.since)
    if filters.until is not None:
        query = query.where(Event.occurred_at < filters.until)
    return query


async def list_events(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    filters: EventFilters,
    after: Position | None,
    limit: int,
) -> EventPage:
    """The next `limit` settled events after `after`, oldest first.

    `next` moves on to the newest settled event when the page is not full, so a filtered
    poller does not scan the events it leaves out again on every poll. The newest is read
    first, in an earlier snapshot: what was settled then is still settled when the page
    is read, and a page that is not full holds every match up to it.
    """
    newest = await head(session, workspace_id=workspace_id)
    query = _feed(workspace_id, filters)
    if after is not None:
        query = query.where(_after(after))
    query = query.order_by(Event.tx_id, Event.seq).limit(limit + 1)
    rows = list((await session.scalars(query)).all())
    items = rows[:limit]
    has_more = len(rows) > limit
    candidates = [p for p in (after, _position(items[-1]) if items else None) if p is not None]
    if not has_more and newest is not None:
        candidates.append(newest)
    return EventPage(items, max(candidates, default=None), has_more)


def _position(event: Event) -> Position:
    return Position(event.tx_id, event.seq)


async def head(session: AsyncSession, *, workspace_id: uuid.UUID) -> Position | None:
    """The position of the newest settled event; None while there is none."""
    newest = (
        await session.execute(
            select(Event.tx_id, Event.seq)
            .where(Event.workspace_id == workspace_id, _settled())
            .order_by(Event.tx_id.desc(), Event.seq.desc())
            .limit(1)
        )
    ).first()
    return Position(newest.tx_id, newest.seq) if newest is not None else None
