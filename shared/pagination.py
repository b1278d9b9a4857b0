"""Cursor pagination: keyset on (created_at, id), so pages stay stable while rows are added.

The cursor is opaque to clients (base64url JSON); a tampered or foreign cursor is a
`BadRequest`, never a 500.
"""

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import Entity
from shared.errors import BadRequest

MAX_LIMIT = 200
DEFAULT_LIMIT = 50

T = TypeVar("T")
E = TypeVar("E", bound=Entity)


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
class Results(Generic[E]):
    items: Sequence[E]
    next_cursor: str | None


S = TypeVar("S", bound=BaseModel)


def page_of(results: Results[Any], schema: type[S]) -> Page[S]:
    """The response body for one page of rows, each shaped by `schema`."""
    return Page[S](
        items=[schema.model_validate(row) for row in results.items],
        next_cursor=results.next_cursor,
    )


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps({"v": 1, "t": created_at.isoformat(), "id": str(row_id)})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data: Any = json.loads(base64.urlsafe_b64decode(padded.encode()))
        created_at = datetime.fromisoformat(data["t"])
        row_id = uuid.UUID(data["id"])
        if data["v"] != 1 or created_at.tzinfo is None:
            raise ValueError("unknown cursor version")
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError) as exc:
        raise BadRequest(
            "The cursor is not valid; start again without one.", field="cursor"
        ) from exc
    return created_at, row_id


async def paginate(
    session: AsyncSession, statement: Select[E], model: type[E], page: PageRequest
) -> Results[E]:
    """Run `statement` (already filtered and workspace-scoped) one page at a time."""
    key = tuple_(model.created_at, model.id)
    if page.cursor is not None:
        statement = statement.where(key > tuple_(*decode_cursor(page.cursor)))
    statement = statement.order_by(model.created_at, model.id).limit(page.limit + 1)
    rows = list((await session.scalars(statement)).all())
    if len(rows) <= page.limit:
        return Results(rows, None)
    last = rows[page.limit - 1]
    return Results(rows[: page.limit], encode_cursor(last.created_at, last.id))
