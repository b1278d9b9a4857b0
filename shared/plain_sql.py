"""Plain SQL on the session's own connection, for the hot paths.

Measured in-process on one API request reading one row: SQLAlchemy's execution (statement
cache key, execution context, result processing, ORM loading) took ~0.35 ms of 1.2 ms;
the same statement sent by asyncpg on the same connection takes a tenth of that. Building
an INSERT statement with SQLAlchemy costs more again (~0.4 ms for `insert().values()`).

A read (`fetch_one`, `fetch_all`) runs in the session's transaction once the session has
begun one (pending ORM changes are flushed first, so the read sees them). Before that it
runs on its own: under READ COMMITTED a transaction gives a single read nothing (each
statement takes its own snapshot either way), and a read-only request then needs no BEGIN
and COMMIT round trips. Such a read takes a connection of the engine's read pool when the
process opened one (`open_read_pool`, the API does): the session then never checks a
connection out of SQLAlchemy's pool, begins or ends a transaction (~8% of an
authenticated read's CPU).

A write, or a statement taking a transaction-scoped lock (`execute`, `fetch_one(...,
write=True)`), always runs in the session's transaction, beginning it when needed: the
unit of work commits or rolls it back with everything else. Only a few hot writes use
this (a campaign's creation, the Idempotency-Key's record); the rest stay with the ORM,
which also logs changes (shared.activity.tracking): a plain write logs its own.
"""

import contextlib
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
from sqlalchemy import Table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase, SessionTransaction

from shared.db import SERVER_SETTINGS, holds_changes

# What the connection itself failing raises: the connection is dropped, not reused.
_CONNECTION_LOST = (asyncpg.InterfaceError, asyncpg.PostgresConnectionError, OSError)


def select_all(model: type[DeclarativeBase]) -> str:
    """`SELECT <every column> FROM <table>` of a mapped class, for a statement written once."""
    table: Table = model.__table__  # type: ignore[assignment]
    return f"SELECT {', '.join(column.name for column in table.columns)} FROM {table.name}"  # noqa: S608 - our own names


async def fetch_one(
    session: AsyncSession, sql: str, *args: Any, write: bool = False
) -> dict[str, Any] | None:
    """The first row, if any. `write`: the statement writes or locks (see the module)."""
    rows = await _run(session, sql, args, write=write)
    return dict(rows[0]) if rows else None


async def fetch_all(session: AsyncSession, sql: str, *args: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in await _run(session, sql, args, write=False)]


async def execute(session: AsyncSession, sql: str, *args: Any) -> None:
    """A write in the session's transaction."""
    await _run(session, sql, args, write=True)


@dataclass(frozen=True)
class _Held:
    """The connection a session's transaction holds, kept for its next plain statement:
    asking the session again costs a hop into SQLAlchemy's greenlet (~40 us) each time."""

    transaction: SessionTransaction
    connection: AsyncConnection
    driver: asyncpg.Connection
    adapted: Any  # SQLAlchemy's adapter around `driver`


_HELD = "campaignops.plain_sql.held"


async def _held(session: AsyncSession) -> _Held:
    held: _Held | None = session.info.get(_HELD)
    if held is not None and held.transaction is session.sync_session.get_transaction():
        return held
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    transaction = session.sync_session.get_transaction()
    assert transaction is not None  # session.connection() began it
    held = _Held(transaction, connection, raw.driver_connection, raw.dbapi_connection)
    session.info[_HELD] = held
    return held


_READ_POOLS: "weakref.WeakKeyDictionary[AsyncEngine, asyncpg.Pool]" = weakref.WeakKeyDictionary()


async def open_read_pool(engine: AsyncEngine, *, size: int) -> asyncpg.Pool:
    """Connections beside the engine's for its sessions' reads outside a transaction.

    They connect as the engine does (its URL and start-up settings) and decode JSON as it
    does. Only single statements that change nothing run on them, so a connection goes
    back without asyncpg's reset query (a round trip per read). Close it before the engine.
    """
    _, parameters = engine.sync_engine.dialect.create_connect_args(engine.url)
    pool = await asyncpg.create_pool(
        **parameters,
        min_size=0,
        max_size=size,
        server_settings=SERVER_SETTINGS,
        init=_decode_json_as_the_engine_does,
        reset=_nothing_to_reset,
    )
    _READ_POOLS[engine] = pool
    return pool


async def _decode_json_as_the_engine_does(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec(
        "json",
        encoder=str.encode,
        decoder=orjson.loads,
        schema="pg_catalog",
        format="binary",
    )
    await connection.set_type_codec(
        "jsonb",
        encoder=lambda text: b"\x01" + text.encode(),
        decoder=lambda data: orjson.loads(data[1:]),
        schema="pg_catalog",
        format="binary",
    )


async def _nothing_to_reset(connection: asyncpg.Connection) -> None:
    return None


def _read_pool(session: AsyncSession) -> asyncpg.Pool | None:
    """The pool a read may take, when the session has nothing it must see first."""
    if session.in_transaction() or holds_changes(session):
        return None
    return _READ_POOLS.get(session.bind)  # type: ignore[arg-type]


async def _run(
    session: AsyncSession, sql: str, args: Sequence[Any], *, write: bool
) -> list[asyncpg.Record]:
    pool = None if write else _read_pool(session)
    if pool is not None:
        try:
            return await pool.fetch(sql, *args)  # type: ignore[no-any-return]
        except (asyncpg.PostgresError, *_CONNECTION_LOST) as error:
            # asyncpg's pool drops a connection that failed; the next read opens another.
            lost = isinstance(error, _CONNECTION_LOST)
            raise DBAPIError(sql, args, error, connection_invalidated=lost) from error
    if holds_changes(session):
        await session.flush()
    held = await _held(session)
    connection, driver = held.connection, held.driver
    try:
        if write:
            await _begin(held.adapted)
        rows: list[asyncpg.Record] = await driver.fetch(sql, *args)
    except (asyncpg.PostgresError, *_CONNECTION_LOST) as error:
        lost = isinstance(error, _CONNECTION_LOST)
        if lost:
            await _discard(connection)
        # The API maps SQLAlchemy's DBAPIError (its SQLSTATE, or a lost connection) to a
        # problem response in one place; asyncpg's own errors take the same road.
        raise DBAPIError(sql, args, error, connection_invalidated=lost) from error
    return rows


async def _begin(adapted: Any) -> None:
    """Begin the database transaction the session's connection holds, if not yet begun.

    SQLAlchemy's asyncpg adapter sends BEGIN lazily, before its first statement; a statement
    sent past it must do the same, through the same adapter, or the session's COMMIT would
    have no transaction to commit and each write would stand alone. tests/test_plain_sql.py
    holds this to the pinned SQLAlchemy: a plain write rolled back with its session leaves
    nothing.
    """
    if adapted._transaction is None:
        try:
            await adapted._start_transaction()
        except Exception as error:
            # The adapter wraps asyncpg's error in its own; the caller maps asyncpg's.
            raise (error.__cause__ or error) from None


async def _discard(connection: AsyncConnection) -> None:
    with contextlib.suppress(Exception):  # the connection is gone either way
        await connection.invalidate()
