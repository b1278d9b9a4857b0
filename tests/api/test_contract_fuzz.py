"""Schemathesis against a live API process: no 500s, every answer as documented."""

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from shared.embedded import free_port
from tests.conftest import truncate_all

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live_api(settings) -> Iterator[tuple[str, str]]:
    env = os.environ | {
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "REDIS_PREFIX": settings.redis_prefix,
        "QUEUE_NAME": settings.queue_name,
        "RATE_LIMIT_PER_MINUTE": "0",
        "LOG_LEVEL": "WARNING",
    }
    created = subprocess.run(
        [sys.executable, "-m", "services.cli", "workspace", "create", "Fuzzing"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    key_match = re.search(r"(cok_\S+)", created.stdout)
    assert key_match, created.stdout
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "api"], env=env | {"API_PORT": str(port)}
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "API did not start"
                time.sleep(0.1)
        yield base, key_match.group(1)
    finally:
        server.terminate()
        server.wait(10)
        asyncio.run(_truncate(settings.database_url))


async def _truncate(url: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    await truncate_all(engine)
    await engine.dispose()


def test_every_operation_keeps_its_contract(live_api):
    base, key = live_api
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # the spec itself must load cleanly
        operation = result.ok()
        if operation.path == "/readyz":
            continue  # its 503 without a worker is the point; tests/api/test_health.py covers it
        operations += 1

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=40,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Any) -> None:
            case.call_and_validate(
                headers={"Authorization": f"Bearer {key}"},
                # Schema-valid input may still break a business rule (a stale If-Match, an
                # unknown member id, a past expiry): 412 and 422 are right answers for it.
                excluded_checks=[positive_data_acceptance],
            )

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {exc}")
    assert operations >= 12
    assert not failures, "\n\n".join(failures)
