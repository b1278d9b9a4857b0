"""The fault suite's own servers, API and workers: it stops and kills them, so it never
uses the session's (tests/conftest.py) nor the machine's."""

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared import migrate
from shared.embedded import EmbeddedPostgres, EmbeddedRedis, free_port
from tests.faults.stack import FaultStack, Workers
from tests.live import live_api


@pytest.fixture(scope="package")
def stack() -> Iterator[FaultStack]:
    """PostgreSQL durable (what was acknowledged survives its restart), Redis not: what
    Redis held is lost when it dies, and the service recovers it from PostgreSQL."""
    with tempfile.TemporaryDirectory(prefix="campaignops-faults-") as tmp:
        root = Path(tmp)
        postgres = EmbeddedPostgres(root / "postgres", free_port(), durable=True)
        redis = EmbeddedRedis(root / "redis", free_port(), durable=False)
        try:
            database_url = postgres.start("postgres")
            redis.start()
            migrate.upgrade(database_url)
            yield FaultStack(postgres, redis, database_url, root)
        finally:
            redis.stop()
            postgres.stop()


@pytest.fixture(scope="package")
def api(stack: FaultStack) -> Iterator[str]:
    """One API process for the whole suite: it lives through every outage."""
    with live_api(stack.env, log=stack.logs / "api.log") as base:
        yield base


@pytest.fixture
def servers_back(stack: FaultStack) -> Iterator[FaultStack]:
    """The stack, with its servers running again after the test, whatever it broke."""
    yield stack
    if not stack.postgres.is_running():
        stack.start_postgres()
    if not stack.redis.is_running():
        stack.start_redis()


@pytest.fixture
def workers(stack: FaultStack, tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(stack.env, tmp_path / "worker.log")
    yield pool
    pool.close()
