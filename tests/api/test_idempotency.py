"""Idempotency-Key on POST: replay on retry, refuse reuse, refuse overlap."""

import asyncio

import pytest
from sqlalchemy import func, select, text, update

from shared.actor import Role
from shared.idempotency.models import IdempotentResponse
from shared.idempotency.service import _lock_id
from shared.workspaces.models import Member
from tests.helpers import Tenant, assert_problem, fields_of

BODY = {"name": "Sun Li", "email": "sun.li@example.com"}


async def member_count(session, tenant: Tenant) -> int:
    query = (
        select(func.count()).select_from(Member).where(Member.workspace_id == tenant.workspace_id)
    )
    return int(await session.scalar(query))


async def test_retry_with_the_same_key_replays_the_first_response(client, tenant: Tenant, session):
    headers = tenant.auth() | {"Idempotency-Key": "create-sun-li"}
    first = await client.post("/v1/members", json=BODY, headers=headers)
    assert first.status_code == 201
    retry = await client.post("/v1/members", json=BODY, headers=headers)
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await member_count(session, tenant) == 1


async def test_quoted_and_plain_keys_are_the_same_key(client, tenant: Tenant, session):
    await client.post("/v1/members", json=BODY, headers=tenant.auth() | {"Idempotency-Key": "k-1"})
    retry = await client.post(
        "/v1/members", json=BODY, headers=tenant.auth() | {"Idempotency-Key": '"k-1"'}
    )
    assert retry.headers["idempotent-replayed"] == "true"
    assert await member_count(session, tenant) == 1


async def test_same_key_with_another_body_is_422(client, tenant: Tenant, session):
    headers = tenant.auth() | {"Idempotency-Key": "create-sun-li"}
    await client.post("/v1/members", json=BODY, headers=headers)
    other = await client.post("/v1/members", json=BODY | {"name": "Someone else"}, headers=headers)
    problem = assert_problem(other, 422)
    assert fields_of(problem) == {"header.Idempotency-Key"}
    assert await member_count(session, tenant) == 1


async def test_keys_are_scoped_per_api_key(client, tenant: Tenant, session):
    second = await client.post(
        "/v1/api-keys", json={"name": "second admin", "role": "admin"}, headers=tenant.auth()
    )
    second_auth = {"Authorization": f"Bearer {second.json()['key']}"}
    first = await client.post(
        "/v1/members", json=BODY, headers=tenant.auth() | {"Idempotency-Key": "same"}
    )
    other = await client.post(
        "/v1/members",
        json=BODY | {"email": "other@example.com"},
        headers=second_auth | {"Idempotency-Key": "same"},
    )
    assert first.status_code == other.status_code == 201
    assert first.json()["id"] != other.json()["id"]
    assert await member_count(session, tenant) == 2


async def test_failed_request_is_not_stored_and_can_be_retried(client, tenant: Tenant, session):
    headers = tenant.auth() | {"Idempotency-Key": "bad-then-good"}
    bad = await client.post("/v1/members", json=BODY | {"email": "nope"}, headers=headers)
    assert_problem(bad, 422)
    good = await client.post("/v1/members", json=BODY | {"email": "nope"}, headers=headers)
    assert_problem(good, 422)  # evaluated again, not replayed
    assert "idempotent-replayed" not in good.headers
    assert await session.scalar(select(func.count()).select_from(IdempotentResponse)) == 0


async def test_expired_key_runs_again(client, tenant: Tenant, session):
    headers = tenant.auth() | {"Idempotency-Key": "old"}
    await client.post("/v1/members", json=BODY, headers=headers)
    await session.execute(
        update(IdempotentResponse).values(expires_at=func.now() - text("interval '1 second'"))
    )
    await session.commit()
    again = await client.post("/v1/members", json=BODY, headers=headers)
    assert_problem(again, 409)  # the first member exists: the request really ran again
    assert again.json()["field"] == "email"


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there"])
async def test_malformed_key_is_400(client, tenant: Tenant, key):
    response = await client.post(
        "/v1/members", json=BODY, headers=tenant.auth() | {"Idempotency-Key": key}
    )
    assert_problem(response, 400)


@pytest.mark.committed
async def test_retry_while_the_first_is_in_flight_is_409(client, tenant: Tenant, engine, session):
    # Another API process is inside the first request: it holds the key's lock.
    api_key_id = tenant.key_ids[Role.admin]
    async with engine.connect() as other_process, other_process.begin():
        await other_process.execute(
            select(func.pg_advisory_xact_lock(_lock_id(api_key_id, "slow")))
        )
        response = await client.post(
            "/v1/members", json=BODY, headers=tenant.auth() | {"Idempotency-Key": "slow"}
        )
        problem = assert_problem(response, 409)
        assert "in progress" in problem["detail"]
    assert await member_count(session, tenant) == 0
    after = await client.post(
        "/v1/members", json=BODY, headers=tenant.auth() | {"Idempotency-Key": "slow"}
    )
    assert after.status_code == 201


@pytest.mark.committed
async def test_concurrent_duplicates_create_one_member(client, tenant: Tenant, session):
    headers = tenant.auth() | {"Idempotency-Key": "burst"}
    responses = await asyncio.gather(
        *(client.post("/v1/members", json=BODY, headers=headers) for _ in range(8))
    )
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}
    assert 201 in statuses
    created = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1
    assert await member_count(session, tenant) == 1


async def test_api_key_creation_refuses_an_idempotency_key_and_keeps_no_secret(
    client, tenant: Tenant, session
):
    keys_before = len((await client.get("/v1/api-keys", headers=tenant.auth())).json()["items"])
    refused = await client.post(
        "/v1/api-keys",
        json={"name": "ci", "role": "viewer"},
        headers=tenant.auth() | {"Idempotency-Key": "new-key"},
    )
    problem = assert_problem(refused, 422, "idempotency_not_supported")
    assert fields_of(problem) == {"header.Idempotency-Key"}
    listed = (await client.get("/v1/api-keys", headers=tenant.auth())).json()["items"]
    assert len(listed) == keys_before  # nothing was created
    created = await client.post(
        "/v1/api-keys", json={"name": "ci", "role": "viewer"}, headers=tenant.auth()
    )
    assert created.status_code == 201, created.text
    assert await session.scalar(select(func.count()).select_from(IdempotentResponse)) == 0
