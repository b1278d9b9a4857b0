"""Minimal FastAPI + asyncpg apps doing what three API calls do, and nothing else.

They are the yardstick of `bench.api_cost`: no authentication, middleware, ORM, logs or
metrics; the same database, rows and JSON shapes as the service. Run one with

    REFERENCE_CALL=read|page|create DATABASE_URL=... WORKSPACE_ID=... API_KEY_ID=... \
        uvicorn bench.reference_apps:create_app --factory

Kept beside the benchmark, never imported by the service.
"""

import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import orjson
from fastapi import FastAPI, Header, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

CAMPAIGN_COLUMNS = (
    "id, name, kind, status, registration_number, background, objective_summary, "
    "target_audience, core_message, channels, start_date, end_date, timezone, currency, "
    "owner_id, tags, submitted_at, approved_at, activated_at, completed_at, archived_at, "
    "cancelled_at, cancel_reason, expenses_settled_at, created_at, updated_at, version"
)


def _default(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body, default=_default),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


class CampaignCreate(BaseModel):
    name: str
    kind: str
    start_date: date | None = None
    end_date: date | None = None
    tags: list[str] = []


def create_app() -> FastAPI:
    call = os.environ["REFERENCE_CALL"]
    workspace_id = uuid.UUID(os.environ["WORKSPACE_ID"])
    api_key_id = uuid.UUID(os.environ["API_KEY_ID"])
    dsn = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
    pool: asyncpg.Pool | None = None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        nonlocal pool
        pool = await asyncpg.create_pool(dsn, min_size=5, max_size=15)
        yield
        await pool.close()

    app = FastAPI(lifespan=lifespan)

    if call == "read":

        @app.get("/v1/workspace")
        async def read() -> Response:
            assert pool is not None
            async with pool.acquire() as connection, connection.transaction():
                row = await connection.fetchrow(
                    "SELECT id, name, slug, default_timezone, default_currency, language, "
                    "created_at, updated_at, version FROM workspaces WHERE id = $1",
                    workspace_id,
                )
            assert row is not None
            return _json(dict(row), headers={"ETag": f'"{row["version"]}"'})

    elif call == "page":

        @app.get("/v1/campaigns")
        async def page(
            status: list[str] = Query(default=[]),
            kind: str | None = None,
            limit: int = Query(default=50, ge=1, le=200),
        ) -> Response:
            assert pool is not None
            async with pool.acquire() as connection, connection.transaction():
                rows = await connection.fetch(
                    f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE workspace_id = $1 "  # noqa: S608
                    "AND status = ANY($2::varchar[]) AND kind = $3 "
                    "ORDER BY created_at DESC, id DESC LIMIT $4",
                    workspace_id,
                    status,
                    kind,
                    limit + 1,
                )
            items = [dict(row) for row in rows[:limit]]
            cursor = str(rows[limit]["id"]) if len(rows) > limit else None
            return _json({"items": items, "next_cursor": cursor})

    elif call == "create":

        @app.post("/v1/campaigns", status_code=201)
        async def create(
            request: Request,
            idempotency_key: str = Header(alias="Idempotency-Key"),
        ) -> Response:
            assert pool is not None
            raw = await request.body()
            body = CampaignCreate.model_validate_json(raw)
            fingerprint = hashlib.sha256(b"POST /v1/campaigns" + raw).digest()
            async with pool.acquire() as connection, connection.transaction():
                row = await connection.fetchrow(
                    "INSERT INTO campaigns (id, workspace_id, name, kind, status, channels, "  # noqa: S608
                    "tags, start_date, end_date, timezone, currency, created_at, updated_at, "
                    "version) VALUES ($1, $2, $3, $4, 'draft', '{}', $5, $6, $7, 'UTC', 'USD', "
                    f"now(), now(), 1) RETURNING {CAMPAIGN_COLUMNS}",
                    uuid.uuid4(),
                    workspace_id,
                    body.name,
                    body.kind,
                    body.tags,
                    body.start_date,
                    body.end_date,
                )
                assert row is not None
                payload = orjson.dumps(dict(row), default=_default)
                await connection.execute(
                    "INSERT INTO idempotent_responses (api_key_id, key, workspace_id, "
                    "fingerprint, status_code, headers, body, created_at, expires_at) "
                    "VALUES ($1, $2, $3, $4, 201, $5::jsonb, $6, now(), "
                    "now() + interval '24 hours')",
                    api_key_id,
                    idempotency_key,
                    workspace_id,
                    fingerprint,
                    '{"content-type": "application/json"}',
                    payload,
                )
            return Response(payload, status_code=201, media_type="application/json")

    else:
        raise ValueError(f"unknown REFERENCE_CALL {call!r}")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "at": datetime.now(UTC).isoformat()}

    return app
