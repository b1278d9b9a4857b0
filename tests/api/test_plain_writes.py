"""The writes sent as plain SQL (a campaign's creation, the Idempotency-Key's record) are
part of the request's one transaction, and logged like the ORM's writes."""

import asyncio

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared import plain_sql
from shared.actor import Role
from shared.campaigns.models import Campaign
from shared.idempotency.models import IdempotentResponse
from tests.api.test_plain_reads import terminate_app_connections
from tests.helpers import Tenant, assert_problem


async def test_a_campaigns_creation_is_logged_with_its_fields_and_who(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    body = {"name": "618 大促", "kind": "promotion", "tags": ["618"], "start_date": "2026-06-01"}
    created = await client.post("/v1/campaigns", json=body, headers=tenant.auth(Role.editor))
    assert created.status_code == 201, created.text
    campaign = created.json()
    # The workspace's defaults filled in by the INSERT, the row as a later read sees it.
    assert (campaign["timezone"], campaign["currency"]) == ("Asia/Shanghai", "CNY")
    assert created.headers["location"] == f"/v1/campaigns/{campaign['id']}"
    assert created.headers["etag"] == '"1"'
    read = await client.get(created.headers["location"], headers=tenant.auth())
    assert read.json() == campaign

    log = await client.get(f"/v1/campaigns/{campaign['id']}/activity", headers=tenant.auth())
    [entry] = log.json()["items"]
    assert (entry["entity_type"], entry["entity_id"], entry["action"]) == (
        "campaign",
        campaign["id"],
        "created",
    )
    # Every field that has a value, none that is empty.
    assert entry["changes"] == {
        "name": [None, "618 大促"],
        "kind": [None, "promotion"],
        "status": [None, "draft"],
        "tags": [None, ["618"]],
        "start_date": [None, "2026-06-01"],
        "timezone": [None, "Asia/Shanghai"],
        "currency": [None, "CNY"],
    }
    assert entry["actor_api_key_id"] == str(tenant.key_ids[Role.editor])


@pytest.mark.committed  # sessions of their own: the test's usual outer transaction hides this
async def test_a_plain_write_is_rolled_back_with_its_session(
    sessionmaker: async_sessionmaker[AsyncSession], tenant: Tenant
) -> None:
    """A plain write begins the session's transaction: it stands or falls with the rest."""
    insert = (
        "INSERT INTO idempotent_responses (api_key_id, key, workspace_id, fingerprint, "
        "status_code, headers, body, expires_at) "
        "VALUES ($1, $2, $3, '\\x00', 201, '{}', '', now() + interval '1 hour')"
    )
    key_id = tenant.key_ids[Role.admin]
    for key, commit in [("dropped", False), ("kept", True)]:
        async with sessionmaker() as session:
            await plain_sql.execute(session, insert, key_id, key, tenant.workspace_id)
            if commit:
                await session.commit()
            else:
                await session.rollback()
    async with sessionmaker() as session:
        keys = await session.scalars(select(IdempotentResponse.key))
        assert list(keys) == ["kept"]


async def test_a_failed_plain_write_is_a_problem_and_leaves_nothing(
    client: httpx.AsyncClient, tenant: Tenant, session: AsyncSession
) -> None:
    """The owner is checked first; a foreign key the database refuses is still a 4xx."""
    stranger = "01a2010c-5c6a-726e-a76a-f95b25ae53ba"
    response = await client.post(
        "/v1/campaigns",
        json={"name": "Orphan", "kind": "promotion", "owner_id": stranger},
        headers=tenant.auth(Role.editor) | {"Idempotency-Key": "orphan"},
    )
    assert_problem(response, 422)
    assert response.json()["errors"][0]["field"] == "owner_id"
    assert await session.scalar(select(func.count()).select_from(Campaign)) == 0
    assert await session.scalar(select(func.count()).select_from(IdempotentResponse)) == 0


@pytest.mark.committed  # the app's own pooled connections are terminated
async def test_a_dropped_connection_during_a_create_is_a_503_and_the_retry_creates_once(
    client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine
) -> None:
    auth = tenant.auth(Role.editor)
    warm = await asyncio.gather(*(client.get("/v1/workspace", headers=auth) for _ in range(4)))
    assert [response.status_code for response in warm] == [200] * 4
    lost = await terminate_app_connections(engine)

    headers = auth | {"Idempotency-Key": "after-restart"}
    body = {"name": "After the restart", "kind": "promotion"}
    for _ in range(lost + 1):
        response = await client.post("/v1/campaigns", json=body, headers=headers)
        if response.status_code == 201:
            break
        assert_problem(response, 503, "unavailable")
    else:
        pytest.fail("the create never worked again")
    replay = await client.post("/v1/campaigns", json=body, headers=headers)
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == response.json()
    async with engine.connect() as connection:
        count = await connection.scalar(
            text("SELECT count(*) FROM campaigns WHERE name = 'After the restart'")
        )
    assert count == 1
    await engine.dispose()
