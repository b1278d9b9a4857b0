"""Real PostgreSQL and Redis for every test: embedded when DATABASE_URL / REDIS_URL are unset.

One database per test session, migrated once with the real Alembic migrations.
Each test runs inside a transaction that is rolled back, unless it is marked
`committed` (real commits, worker processes, races): those empty every table afterwards.
"""

import asyncio
import dataclasses
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from arq.worker import Worker
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from services.api.app import create_app
from services.api.runtime import Runtime
from services.worker.settings import build_worker_settings
from shared import migrate
from shared.config import Settings
from shared.embedded import EmbeddedPostgres, EmbeddedRedis, free_port
from shared.models import Base
from tests.helpers import Tenant, create_tenant


@dataclasses.dataclass
class Servers:
    server_url: str  # the PostgreSQL server, to create databases on
    redis_url: str


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    started: list[Any] = []
    with tempfile.TemporaryDirectory(prefix="campaignops-test-") as tmp:
        database_url = os.environ.get("DATABASE_URL")
        redis_url = os.environ.get("REDIS_URL")
        try:
            if not database_url:
                postgres = EmbeddedPostgres(Path(tmp) / "postgres", free_port(), durable=False)
                started.append(postgres)
                database_url = postgres.start("postgres")
            if not redis_url:
                redis = EmbeddedRedis(Path(tmp) / "redis", free_port(), durable=False)
                started.append(redis)
                redis_url = redis.start()
            yield Servers(database_url, redis_url)
        finally:
            for server in reversed(started):
                server.stop()


async def _server_command(server_url: str, sql: str) -> None:
    engine = create_async_engine(server_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(sql))
    await engine.dispose()


async def create_database(server_url: str, name: str) -> str:
    await _server_command(server_url, f'CREATE DATABASE "{name}"')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def drop_database(server_url: str, name: str) -> None:
    await _server_command(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
async def database_url(servers: Servers) -> AsyncIterator[str]:
    name = f"campaignops_test_{uuid.uuid4().hex[:10]}"
    url = await create_database(servers.server_url, name)
    await asyncio.to_thread(migrate.upgrade, url)
    yield url
    await drop_database(servers.server_url, name)


@pytest.fixture(scope="session")
def settings(servers: Servers, database_url: str) -> Settings:
    tag = uuid.uuid4().hex[:8]
    return Settings(
        database_url=database_url,
        redis_url=servers.redis_url,
        redis_prefix=f"cotest{tag}",
        queue_name=f"cotest{tag}:queue",
        log_format="console",
        rate_limit_per_minute=100_000,
        # The notification tests' receivers listen on 127.0.0.1.
        notify_allowed_networks="127.0.0.0/8",
    )


@pytest.fixture(scope="session")
async def base_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    runtime = Runtime.create(settings)
    await runtime.open_read_pool()  # committed tests read through it, as the API does
    yield runtime
    await runtime.close()


@pytest.fixture(scope="session")
def engine(base_runtime: Runtime) -> AsyncEngine:
    return base_runtime.engine


@pytest.fixture
async def runtime(
    request: pytest.FixtureRequest, base_runtime: Runtime, settings: Settings
) -> AsyncIterator[Runtime]:
    """The app's runtime for one test: bound to a rolled-back transaction unless `committed`."""
    try:
        if request.node.get_closest_marker("committed"):
            yield base_runtime
            await truncate_all(base_runtime.engine)
        else:
            async with base_runtime.engine.connect() as connection:
                transaction = await connection.begin()
                sessionmaker = async_sessionmaker(
                    bind=connection,
                    expire_on_commit=False,
                    join_transaction_mode="create_savepoint",
                )
                yield dataclasses.replace(base_runtime, sessionmaker=sessionmaker)
                await transaction.rollback()
    finally:
        await clear_redis(base_runtime.redis, settings)


# Children before parents, in one round trip. DELETE, not TRUNCATE: a committed test leaves
# a few rows, and TRUNCATE replaces the files of all 68 tables and their indexes (~0.45 s
# after each such test, against ~0.03 s).
_EMPTY_ALL = "DO $$ BEGIN {} END $$".format(
    # Names from our own models, not input.
    " ".join(f'DELETE FROM "{t.name}";' for t in reversed(Base.metadata.sorted_tables))  # noqa: S608
)


async def truncate_all(engine: AsyncEngine) -> None:
    """Every table empty again (what committed tests leave behind)."""
    async with engine.begin() as connection:
        await connection.execute(text(_EMPTY_ALL))


async def clear_redis(redis: Any, settings: Settings) -> None:
    keys = [key async for key in redis.scan_iter(match=f"{settings.redis_prefix}*")]
    # arq keeps a job's result under its id, unprefixed, and refuses that id again while it
    # is kept: the minute sweep's chunk ids (`sweep:<minute>:<n>`) repeat within a minute,
    # so a later test's sweep in the same minute would enqueue no chunk.
    keys += [key async for key in redis.scan_iter(match="arq:result:sweep:*")]
    if keys:
        await redis.delete(*keys)


@pytest.fixture
def sessionmaker(runtime: Runtime) -> async_sessionmaker[AsyncSession]:
    return runtime.sessionmaker


@pytest.fixture
async def session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session for arranging and checking data directly (shares the test's transaction)."""
    async with sessionmaker() as session:
        yield session


@pytest.fixture
def app(settings: Settings, runtime: Runtime) -> Any:
    return create_app(settings, runtime)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def tenant(sessionmaker: async_sessionmaker[AsyncSession]) -> Tenant:
    """A workspace with one API key per role."""
    return await create_tenant(sessionmaker, "Spring launch team")


@pytest.fixture
async def other_tenant(sessionmaker: async_sessionmaker[AsyncSession]) -> Tenant:
    return await create_tenant(sessionmaker, "Another company")


@pytest.fixture
def run_worker(settings: Settings) -> Any:
    """Run a real arq worker on the test Redis until the queue is empty (burst mode).

    Without its crons: a tick falling inside a burst would add work the test did not
    ask for. Tests enqueue the cron jobs they are about; the schedule has its own test.
    """

    async def run(**overrides: Any) -> Worker:
        options = build_worker_settings(settings) | {
            "burst": True,
            "poll_delay": 0,
            "handle_signals": False,
            "cron_jobs": [],
        }
        worker = Worker(**(options | overrides))
        try:
            await worker.main()
        finally:
            await worker.close()
        return worker

    return run


@pytest.fixture
async def empty_database_url(servers: Servers) -> AsyncIterator[str]:
    """An empty database on the test server, dropped after the test."""
    name = f"campaignops_scratch_{uuid.uuid4().hex[:10]}"
    url = await create_database(servers.server_url, name)
    yield url
    await drop_database(servers.server_url, name)
