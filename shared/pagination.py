"""Cursor pagination: keyset on (sort key, id), so pages stay stable while rows are added.

The cursor is opaque to clients (base64url JSON) and remembers the sort it was made
for; a tampered, foreign or mismatched cursor is a `BadRequest`, never a 500.
"""

import base64
import binascii
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, SQLColumnExpression, tuple_
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.ext.asyncio import AsyncSession

from shared import plain_sql
from shared.db import Entity
from shared.errors import BadRequest

_POSTGRESQL = PGDialect()  # type: ignore[no-untyped-call]  # SQLAlchemy leaves it untyped
MAX_LIMIT = 200
DEFAULT_LIMIT = 50

T = TypeVar("T")
E = TypeVar("E", bound=Entity)
S = TypeVar("S", bound=BaseModel)


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


@dataclass(frozen=True)
class PageRequest:
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


@dataclass(frozen=True)
class Results(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None


@dataclass(frozen=True)
class SortKey:
    """An order for a list: `expression` is what rows are ordered by, then their id."""

    name: str
    expression: SQLColumnExpression[Any]
    value_type: Literal["datetime", "date", "str"]
    descending: bool = False
    null_as: Any = None  # what `expression` coalesces a NULL attribute to

    @property
    def label(self) -> str:
        return f"-{self.name}" if self.descending else self.name

    @cached_property
    def sql(self) -> str:
        """`expression` as SQL text, for lists read with plain SQL (`paginate_rows`)."""
        expression: ColumnElement[Any] = self.expression  # type: ignore[assignment]
        return str(expression.compile(dialect=_POSTGRESQL, compile_kwargs={"literal_binds": True}))

    def value_of(self, row: Any) -> Any:
        value = row[self.name] if isinstance(row, Mapping) else getattr(row, self.name)
        return self.null_as if value is None else value


def page_of(results: Results[Any], schema: type[S]) -> Page[S]:
    """The response body for one page of rows, each shaped by `schema`."""
    return Page[S](
        items=[schema.model_validate(row) for row in results.items],
        next_cursor=results.next_cursor,
    )


def _encode_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _decode_value(raw: Any, value_type: str) -> Any:
    if value_type == "datetime":
        parsed = datetime.fromisoformat(raw)
        if parsed.tzinfo is None:
            raise ValueError("naive time in cursor")
        return parsed
    if value_type == "date":
        return date.fromisoformat(raw)
    if not isinstance(raw, str):
        raise ValueError("text expected")
    return raw


def encode_cursor(sort: str, value: Any, row_id: uuid.UUID) -> str:
    raw = json.dumps({"v": 2, "s": sort, "k": _encode_value(value), "id": str(row_id)})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: SortKey) -> tuple[Any, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data: Any = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if data["v"] != 2:
            raise ValueError("unknown cursor version")
        if data["s"] != sort.label:
            raise ValueError("cursor made for another sort")
        value = _decode_value(data["k"], sort.value_type)
        row_id = uuid.UUID(data["id"])
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError) as exc:
        raise BadRequest(
            "The cursor is not valid for this list and sort; start again without one.",
            field="cursor",
        ) from exc
    return value, row_id


def created_order(model: type[Entity]) -> SortKey:
    return SortKey("created_at", model.created_at, "datetime")


async def paginate(
    session: AsyncSession,
    statement: Select[E],
    model: type[E],
    page: PageRequest,
    sort: SortKey | None = None,
) -> Results[E]:
    """Run `statement` (already filtered and workspace-scoped) one page at a time."""
    sort = sort or created_order(model)
    key = tuple_(sort.expression, model.id)
    if page.cursor is not None:
        after = tuple_(*decode_cursor(page.cursor, sort))
        statement = statement.where(key < after if sort.descending else key > after)
    if sort.descending:
        statement = statement.order_by(sort.expression.desc(), model.id.desc())
    else:
        statement = statement.order_by(sort.expression, model.id)
    rows = list((await session.scalars(statement.limit(page.limit + 1))).all())
    if len(rows) <= page.limit:
        return Results(rows, None)
    last = rows[page.limit - 1]
    return Results(rows[: page.limit], encode_cursor(sort.label, sort.value_of(last), last.id))


async def paginate_rows(
    session: AsyncSession,
    select: str,
    conditions: Sequence[str],
    args: Sequence[Any],
    page: PageRequest,
    sort: SortKey,
) -> Results[dict[str, Any]]:
    """`paginate` in plain SQL (see shared/plain_sql.py), for the lists every screen opens.

    `select` is `SELECT ... FROM <table>`; `conditions` are ANDed and refer to `args` as
    $1, $2, ...; the keyset on (sort key, id) follows them.
    """
    args = list(args)
    order = sort.sql
    if page.cursor is not None:
        after, after_id = decode_cursor(page.cursor, sort)
        args += [after, after_id]
        beyond = "<" if sort.descending else ">"
        conditions = [*conditions, f"({order}, id) {beyond} (${len(args) - 1}, ${len(args)})"]
    direction = " DESC" if sort.descending else ""
    args.append(page.limit + 1)
    statement = (
        f"{select} WHERE {' AND '.join(conditions)} "
        f"ORDER BY {order}{direction}, id{direction} LIMIT ${len(args)}"
    )
    rows = await plain_sql.fetch_all(session, statement, *args)
    if len(rows) <= page.limit:
        return Results(rows, None)
    last = rows[page.limit - 1]
    return Results(rows[: page.limit], encode_cursor(sort.label, sort.value_of(last), last["id"]))


def paginate_loaded(rows: Sequence[E], page: PageRequest, sort: SortKey) -> Results[E]:
    """The same keyset pages over rows already in memory (filtered on derived values)."""

    def key(row: E) -> tuple[Any, uuid.UUID]:
        return sort.value_of(row), row.id

    ordered = sorted(rows, key=key, reverse=sort.descending)
    if page.cursor is not None:
        after = decode_cursor(page.cursor, sort)
        ordered = [r for r in ordered if (key(r) < after if sort.descending else key(r) > after)]
    if len(ordered) <= page.limit:
        return Results(ordered, None)
    last = ordered[page.limit - 1]
    return Results(ordered[: page.limit], encode_cursor(sort.label, sort.value_of(last), last.id))
