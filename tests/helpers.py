"""Arrange-and-assert helpers shared by the tests."""

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, MutableMapping
from typing import Any

import httpx
import pytest
import structlog
import structlog.testing
import uvicorn
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.api import middleware
from shared.actor import Role
from shared.metrics import service as metric_dictionary
from shared.workspaces import api_keys, service


@dataclasses.dataclass
class Tenant:
    workspace_id: uuid.UUID
    tokens: dict[Role, str]
    key_ids: dict[Role, uuid.UUID]

    def auth(self, role: Role = Role.admin) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


async def create_tenant(sessionmaker: async_sessionmaker[AsyncSession], name: str) -> Tenant:
    async with sessionmaker() as session, session.begin():
        workspace = await service.create_workspace(
            session, name=name, default_timezone="Asia/Shanghai", default_currency="CNY"
        )
        await metric_dictionary.seed_standard(session, workspace_id=workspace.id)
        tokens, key_ids = {}, {}
        for role in Role:
            api_key, token = await api_keys.create_api_key(
                session, workspace_id=workspace.id, name=f"{role.value} key", role=role
            )
            tokens[role], key_ids[role] = token, api_key.id
    return Tenant(workspace.id, tokens, key_ids)


def assert_problem(
    response: httpx.Response, status: int, code: str | None = None
) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status (and code); returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"]
    assert body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    if code is not None:
        assert body["code"] == code, body
    return body


def fields_of(problem: dict[str, Any]) -> set[str]:
    return {f"{e['location']}.{e['field']}" for e in problem.get("errors", [])}


async def add_member(client: httpx.AsyncClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    body = {"name": "Li Na", "email": f"{uuid.uuid4().hex[:8]}@example.com"} | fields
    response = await client.post("/v1/members", json=body, headers=tenant.auth())
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def created(
    client: httpx.AsyncClient, tenant: Tenant, path: str, body: dict[str, Any]
) -> Any:
    """POSTs `body` to `path` as an editor, which must create it (201); returns its body."""
    response = await client.post(path, json=body, headers=tenant.auth(Role.editor))
    assert response.status_code == 201, response.text
    return response.json()


async def register_channels(
    client: httpx.AsyncClient, tenant: Tenant, channels: dict[str, str]
) -> None:
    """The workspace's channels, by key and name (409: already registered by another test)."""
    for key, name in channels.items():
        response = await client.post(
            "/v1/channels", json={"key": key, "name": name}, headers=tenant.auth()
        )
        assert response.status_code in (201, 409), response.text


async def add_budget_lines(
    client: httpx.AsyncClient,
    tenant: Tenant,
    base: str,
    lines: Iterable[tuple[str, str, str, str | None]],
) -> dict[str, str]:
    """(category, amount, note, channel key or None) as budget lines of the campaign at
    `base`; returns their ids by note."""
    ids = {}
    for category, amount, note, channel in lines:
        body = {"category": category, "planned_amount": amount, "note": note}
        if channel:
            body["channel_key"] = channel
        ids[note] = (await created(client, tenant, f"{base}/budget-lines", body))["id"]
    return ids


async def wait_until_a_query_waits_on_a_lock(engine: AsyncEngine, within: float = 10.0) -> None:
    """Returns once another connection of the test database is blocked on a row or index lock."""
    deadline = asyncio.get_running_loop().time() + within
    async with engine.connect() as db:
        while True:
            waiting = await db.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            )
            if waiting:
                return
            # PostgreSQL keeps one snapshot of pg_stat_activity per transaction: end it, or
            # a poll made before the other query blocked would be read again until the end.
            await db.rollback()
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no query waited on a lock within {within} s")
            await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def serving(app: Any, **options: Any) -> AsyncIterator[str]:
    """`app` behind a real uvicorn server on a free port of 127.0.0.1; yields its base URL."""
    settings: dict[str, Any] = {"log_level": "warning", "access_log": False} | options
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", **settings)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # uvicorn offers no event to wait on
        if task.done():
            await task  # it failed to start: say why
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@contextlib.contextmanager
def captured_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[MutableMapping[str, Any]]]:
    """Every log entry, whatever level or caching an earlier test configured structlog with."""
    capture = structlog.testing.LogCapture()
    before = structlog.get_config()
    structlog.configure(
        processors=[capture], wrapper_class=structlog.BoundLogger, cache_logger_on_first_use=False
    )
    # The API's access logger may have been cached under the old configuration.
    monkeypatch.setattr(middleware, "access_log", structlog.get_logger("campaignops.access"))
    try:
        yield capture.entries
    finally:
        structlog.configure(**before)
