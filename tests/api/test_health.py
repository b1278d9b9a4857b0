"""/healthz, /readyz and /metrics."""

import asyncio
import contextlib
import dataclasses
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from services.api.app import create_app
from shared import jobs
from shared.db import create_engine, create_sessionmaker
from shared.embedded import EmbeddedRedis, free_port
from shared.telemetry import heartbeat
from tests.helpers import assert_problem


async def beat(runtime) -> None:
    await heartbeat.beat(
        runtime.redis, prefix=runtime.settings.redis_prefix, worker_id="test-worker"
    )


def client_for(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def test_healthz(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_when_database_redis_and_a_worker_are_there(client, runtime):
    await beat(runtime)
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "redis": "ok", "worker": "ok"},
    }


async def test_not_ready_without_a_worker_heartbeat(client):
    problem = assert_problem(await client.get("/readyz"), 503, "not_ready")
    assert problem["failing"] == ["worker"]
    assert "no worker heartbeat" in problem["checks"]["worker"]


async def test_not_ready_when_migrations_are_behind(settings, runtime):
    await beat(runtime)
    behind = dataclasses.replace(runtime, head_revision="a_newer_revision")
    async with client_for(create_app(settings, behind)) as client:
        problem = assert_problem(await client.get("/readyz"), 503)
    assert problem["failing"] == ["database"]
    assert "run migrations" in problem["checks"]["database"]


async def test_not_ready_when_redis_is_stopped(settings, runtime, tmp_path: Path):
    redis_server = EmbeddedRedis(tmp_path / "redis", free_port(), durable=False)
    url = redis_server.start()
    own = settings.model_copy(update={"redis_url": url})
    redis = jobs.create_redis(url, queue_name=own.queue_name)
    app = create_app(own, dataclasses.replace(runtime, settings=own, redis=redis))
    try:
        async with client_for(app) as client:
            await heartbeat.beat(redis, prefix=own.redis_prefix, worker_id="w")
            assert (await client.get("/readyz")).status_code == 200
            redis_server.stop()
            problem = assert_problem(await client.get("/readyz"), 503)
            assert "redis" in problem["failing"]
            assert problem["checks"]["redis"].startswith("unreachable")
            assert problem["checks"]["database"] == "ok"
            # The API itself keeps answering while Redis is down.
            assert (await client.get("/healthz")).status_code == 200
    finally:
        redis_server.stop()
        await redis.aclose()


async def test_metrics_count_requests_per_route_template(client, tenant):
    await client.get(f"/v1/members/{tenant.workspace_id}", headers=tenant.auth())
    await client.get("/v1/unknown-thing")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    series = 'method="GET",route="/v1/members/{member_id}",status="404"'
    assert f"campaignops_http_requests_total{{{series}}} 1.0" in text
    assert 'route="unmatched",status="404"' in text
    assert "campaignops_http_request_duration_seconds_bucket" in text


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
async def test_health_endpoints_need_no_key(client, path):
    assert (await client.get(path)).status_code in (200, 503)


@contextlib.asynccontextmanager
async def nothing_listening() -> AsyncIterator[str]:
    yield f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nothing"


@contextlib.asynccontextmanager
async def postgres_starting_up() -> AsyncIterator[str]:
    """A server speaking PostgreSQL's protocol that answers every connection as a server
    still starting up does: FATAL 57P03 "the database system is starting up"."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                length, code = struct.unpack("!ii", await reader.readexactly(8))
                await reader.readexactly(length - 8)
                if code != 80877103:  # not the SSL request: the startup message
                    break
                writer.write(b"N")  # no SSL here
            fields = b"".join(
                kind + text + b"\0"
                for kind, text in (
                    (b"S", b"FATAL"),
                    (b"V", b"FATAL"),
                    (b"C", b"57P03"),
                    (b"M", b"the database system is starting up"),
                )
            )
            writer.write(b"E" + struct.pack("!i", len(fields) + 5) + fields + b"\0")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/campaignops"


@pytest.mark.parametrize("outage", [nothing_listening, postgres_starting_up])
async def test_a_database_down_or_starting_up_is_503_not_500(settings, runtime, tenant, outage):
    async with outage() as url:
        engine = create_engine(url)
        down = dataclasses.replace(runtime, engine=engine, sessionmaker=create_sessionmaker(engine))
        try:
            async with client_for(create_app(settings, down)) as client:
                response = await client.get("/v1/workspace", headers=tenant.auth())
                problem = assert_problem(response, 503, "unavailable")
                assert response.headers["retry-after"] == "1"
                assert "database" in problem["detail"]
                ready = assert_problem(await client.get("/readyz"), 503)
                assert "database" in ready["failing"]
        finally:
            await engine.dispose()
