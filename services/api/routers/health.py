"""Liveness, readiness and Prometheus metrics: for orchestrators and scrapers, no API key."""

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy import text

from services.api.deps import AppRuntime, DbSession
from services.api.errors import problem
from services.api.problems import problem_responses
from services.api.runtime import Runtime
from shared.telemetry import heartbeat

router = APIRouter(tags=["health"])

CHECK_TIMEOUT = 2.0
READY_RETRY_SECONDS = 5  # a 503 says when to ask again, as every 503 of the API does


class Health(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: str


class Readiness(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"status": "ready", "checks": {"database": "ok", "redis": "ok", "worker": "ok"}}
            ]
        }
    )

    status: str
    checks: dict[str, str]


@router.get("/healthz", summary="The process is alive", response_model=Health)
async def healthz() -> Health:
    return Health(status="ok")


async def _database(runtime: Runtime) -> str | None:
    async with runtime.engine.connect() as connection:
        current = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    if current != runtime.head_revision:
        return f"schema at {current}, code expects {runtime.head_revision}: run migrations"
    return None


async def _redis(runtime: Runtime) -> str | None:
    await runtime.redis.ping()
    return None


async def _worker(runtime: Runtime) -> str | None:
    settings = runtime.settings
    workers = await heartbeat.live_workers(
        runtime.redis, prefix=settings.redis_prefix, stale_after=settings.worker_stale_after_seconds
    )
    if not workers:
        return f"no worker heartbeat in the last {settings.worker_stale_after_seconds:.0f} s"
    return None


async def _run_check(check: Any, runtime: Runtime) -> str:
    try:
        failure: str | None = await asyncio.wait_for(check(runtime), CHECK_TIMEOUT)
    except TimeoutError:
        return f"no answer within {CHECK_TIMEOUT} s"
    except Exception as exc:
        return f"unreachable: {type(exc).__name__}: {exc}"[:300]
    return failure or "ok"


@router.get(
    "/readyz",
    summary="Ready to serve: database at the migration head, Redis reachable, a worker alive",
    response_model=Readiness,
    responses=problem_responses(503),
)
async def readyz(request: Request, runtime: AppRuntime) -> Any:
    names = ("database", "redis", "worker")
    results = await asyncio.gather(
        *(_run_check(check, runtime) for check in (_database, _redis, _worker))
    )
    checks = dict(zip(names, results, strict=True))
    failing = [name for name, result in checks.items() if result != "ok"]
    if failing:
        return problem(
            request,
            503,
            "not_ready",
            "Not ready",
            "Not ready: " + "; ".join(f"{name}: {checks[name]}" for name in failing) + ".",
            headers={"Retry-After": str(READY_RETRY_SECONDS)},
            checks=checks,
            failing=failing,
        )
    return JSONResponse({"status": "ready", "checks": checks})


PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


@router.get(
    "/metrics",
    summary="Prometheus metrics of this process: its requests, CPU, memory, GC (sum across "
    "replicas)",
    response_class=PlainTextResponse,
)
async def metrics(request: Request) -> PlainTextResponse:
    body = request.app.state.request_metrics.render()
    return PlainTextResponse(body, media_type=PROMETHEUS_TEXT)


@router.get(
    "/metrics/cluster",
    summary="Prometheus metrics of the whole deployment: jobs, queue, ingest lag, outbox, "
    "alerts (the same from every replica: scrape one, or max(), never sum())",
    response_class=PlainTextResponse,
)
async def cluster_metrics(
    request: Request, runtime: AppRuntime, session: DbSession
) -> PlainTextResponse:
    body = await request.app.state.cluster_metrics.render(session, runtime)
    return PlainTextResponse(body, media_type=PROMETHEUS_TEXT)
