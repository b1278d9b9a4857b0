"""The database lost between the endpoint and the request's commit (or rollback): the
transaction middleware meets it outside FastAPI's exception handlers, and the client
still reads the same 503 problem as for an outage met inside them, never a 500."""

import asyncio
import time

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.api.app import create_app
from services.api.context import UNIT_OF_WORK
from services.api.runtime import Runtime
from shared.config import Settings
from tests.helpers import assert_problem

pytestmark = pytest.mark.committed  # its backend is terminated: no test transaction to share


async def terminate(engine: AsyncEngine, pid: int) -> None:
    """End that backend, as a PostgreSQL shutdown does, and wait until it is gone."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        deadline = time.monotonic() + 10
        while (
            await connection.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            )
        ).scalar_one():
            assert time.monotonic() < deadline, f"backend {pid} still there"
            await asyncio.sleep(0.02)


def app_losing_its_connection(settings: Settings, runtime: Runtime) -> FastAPI:
    """The app, plus a route that uses its transaction, then has its backend terminated
    before answering: the transaction middleware's commit or rollback meets the loss."""
    app = create_app(settings, runtime)

    async def lose_connection(request: Request, status: int) -> JSONResponse:
        session = request.scope[UNIT_OF_WORK].session
        pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        await terminate(runtime.engine, pid)
        return JSONResponse({"pid": pid}, status_code=status)

    app.add_api_route("/test/lose-connection/{status}", lose_connection, methods=["POST"])
    return app


@pytest.mark.parametrize("status", [200, 409], ids=["at commit", "at rollback"])
async def test_a_connection_lost_before_the_commit_is_503_not_500(
    settings: Settings, runtime: Runtime, status: int
) -> None:
    app = app_losing_its_connection(settings, runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post(f"/test/lose-connection/{status}")
    problem = assert_problem(response, 503, "unavailable")
    assert response.headers["retry-after"] == "1"
    assert "database" in problem["detail"]
