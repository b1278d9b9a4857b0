"""Arrange-and-assert helpers shared by the tests."""

import dataclasses
import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.workspaces import api_keys, service
from shared.workspaces.models import Role


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
