"""The FastAPI application: `create_app()` wires routers, middleware and error handling."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from starlette.responses import Response

from services.api import cors, docs, errors, openapi, routing
from services.api.cluster_metrics import ClusterMetrics
from services.api.deps import ReplayResponse
from services.api.metrics import RequestMetrics
from services.api.middleware import RequestContextMiddleware, TransactionMiddleware
from services.api.routers import (
    activity,
    alerts,
    allocations,
    api_keys,
    approvals,
    campaign_lessons,
    campaign_plan,
    campaigns,
    change_requests,
    channel_history,
    close_out,
    escalations,
    evaluations,
    events,
    expense_attachments,
    exports,
    figures,
    health,
    ingestion,
    integrations,
    issues,
    knowledge,
    members,
    metric_import,
    notifications,
    pages,
    reports,
    retrospectives,
    reviews,
    rules,
    settlements,
    task_reminders,
    task_reviews,
    tasks,
    templates,
    workspace,
)
from services.api.routers import metrics as metric_dictionary
from services.api.runtime import Runtime
from shared import logs
from shared.config import Settings, get_settings

DESCRIPTION = """
Carries marketing campaigns from agreed goals to a settled, archived retrospective.

**Authentication**: every `/v1` call sends `Authorization: Bearer <API key>`. Roles
are `viewer < editor < approver < admin`; each includes the ones before it.

**Errors** are RFC 9457 `application/problem+json` with a stable `code`, the
`request_id` and, for validation, an `errors` list naming each field.

**Lists** are cursor-paginated: `limit` (1-200, default 50) and `cursor`; the body is
`{"items": [...], "next_cursor": "..."}`, ordered by creation time.

**Concurrency**: resources carry `version` and an `ETag`; send `If-Match` with PATCH
and DELETE to refuse a stale edit (412).

**Retries**: POSTs that create accept `Idempotency-Key`; the same key and body within
24 h replays the first response (`Idempotent-Replayed: true`).
"""


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    """Build the app. With `runtime` given (tests), the caller owns its lifecycle."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if runtime is not None:
            app.state.runtime = runtime
            yield
            return
        logs.configure(settings.log_level, settings.log_format)
        app.state.runtime = Runtime.create(settings)
        await app.state.runtime.open_read_pool()
        # Long-lived objects (modules, schemas, the app) leave the collector's sight, and
        # young collections run less often: large responses allocate many short-lived
        # objects, and full collections over everything were a visible share of their time.
        gc.freeze()
        gc.set_threshold(20_000, 20, 20)
        try:
            yield
        finally:
            await app.state.runtime.close()

    app = FastAPI(
        title="campaignops",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=openapi.operation_id,
        # The webhooks' router is FastAPI's own unless given: ids like the paths' then.
        webhooks=APIRouter(generate_unique_id_function=openapi.operation_id),
        # Ours instead (services/api/docs.py): FastAPI's load their assets from CDNs.
        docs_url=None,
        redoc_url=None,
    )
    if runtime is not None:
        app.state.runtime = runtime
    app.state.request_metrics = RequestMetrics()
    app.state.cluster_metrics = ClusterMetrics(cache_seconds=settings.metrics_cache_seconds)

    # Added last = outermost (CORS, below, comes last of all).
    app.add_middleware(TransactionMiddleware)
    app.add_middleware(
        RequestContextMiddleware,
        metrics=app.state.request_metrics,
        max_body_bytes=settings.max_body_bytes,
        larger_bodies={"/v1/ingest/": settings.max_ingest_bytes},
        body_rules=(metric_import.CSV_BODY, expense_attachments.ATTACHMENT_BODY),
    )
    errors.install(app)
    app.add_exception_handler(ReplayResponse, _replay)
    modules = (
        health,
        workspace,
        members,
        api_keys,
        metric_dictionary,
        integrations,
        ingestion,
        figures,
        metric_import,
        campaigns,
        close_out,
        campaign_plan,
        allocations,
        channel_history,
        approvals,
        change_requests,
        tasks,
        task_reviews,
        task_reminders,
        activity,
        issues,
        rules,
        alerts,
        events,
        reports,
        reviews,
        retrospectives,
        knowledge,
        settlements,
        templates,
        campaign_lessons,
        expense_attachments,
        evaluations,
        exports,
        pages,
        notifications,
        escalations,
    )
    app.state.routers = [module.router for module in modules]
    for router in app.state.routers:
        app.include_router(router)
    routing.install(app)
    # What notification endpoints receive: documented in the OpenAPI `webhooks` section.
    app.webhooks.include_router(notifications.webhooks)
    openapi.install(app)
    docs.install(app)
    if settings.cors_origins:  # from the routes, so last: CORS answers preflights first
        cors.install(app, settings.cors_origins)
    return app


async def _replay(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ReplayResponse)
    return Response(
        exc.body,
        status_code=exc.status_code,
        headers={**exc.headers, "Idempotent-Replayed": "true"},
    )
