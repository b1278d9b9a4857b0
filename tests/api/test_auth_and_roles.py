"""Who may call what: API keys, their roles, expiry and revocation."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from shared.actor import Role
from shared.timeutil import utcnow
from shared.workspaces.models import ApiKey
from tests.helpers import Tenant, add_member, assert_problem


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer",
        "Bearer nonsense",
        "Basic dXNlcjpwdw==",
        "Bearer cok_0000000000_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ],
)
async def test_missing_or_unknown_key_is_401_with_a_bearer_challenge(client, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = await client.get("/v1/workspace", headers=headers)
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_key_with_a_forged_secret_is_refused(client, tenant: Tenant):
    real = tenant.tokens[Role.admin]
    forged = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    response = await client.get("/v1/workspace", headers={"Authorization": f"Bearer {forged}"})
    assert_problem(response, 401)


async def test_revoked_key_stops_working_at_once(client, tenant: Tenant):
    editor_id = tenant.key_ids[Role.editor]
    assert (await client.get("/v1/members", headers=tenant.auth(Role.editor))).status_code == 200
    revoked = await client.post(f"/v1/api-keys/{editor_id}/revoke", headers=tenant.auth())
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert_problem(await client.get("/v1/members", headers=tenant.auth(Role.editor)), 401)


async def test_expired_key_is_refused(client, tenant: Tenant, session):
    await session.execute(
        update(ApiKey)
        .where(ApiKey.id == tenant.key_ids[Role.viewer])
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    await session.commit()
    assert_problem(await client.get("/v1/workspace", headers=tenant.auth(Role.viewer)), 401)


async def test_last_used_at_is_recorded(client, tenant: Tenant):
    response = await client.get("/v1/api-keys/current", headers=tenant.auth(Role.viewer))
    assert response.status_code == 200
    body = response.json()
    assert body["role"] == "viewer"
    assert body["last_used_at"] is not None
    assert "key" not in body
    assert "key_hash" not in body


# (method, path, body, minimum role) for every operation of this issue.
OPERATIONS = [
    ("GET", "/v1/workspace", None, Role.viewer),
    ("PATCH", "/v1/workspace", {"name": "Renamed"}, Role.admin),
    ("GET", "/v1/members", None, Role.viewer),
    ("POST", "/v1/members", {"name": "Wang Wei", "email": "wang.wei@example.com"}, Role.admin),
    ("GET", "/v1/members/{member}", None, Role.viewer),
    ("PATCH", "/v1/members/{member}", {"title": "Lead"}, Role.admin),
    ("DELETE", "/v1/members/{member}", None, Role.admin),
    ("GET", "/v1/api-keys", None, Role.admin),
    ("POST", "/v1/api-keys", {"name": "ci", "role": "viewer"}, Role.admin),
    ("GET", "/v1/api-keys/{api_key}", None, Role.admin),
    ("POST", "/v1/api-keys/{api_key}/revoke", None, Role.admin),
    ("GET", "/v1/api-keys/current", None, Role.viewer),
]


@pytest.mark.parametrize(("method", "path", "body", "minimum"), OPERATIONS)
async def test_every_role_boundary(client, tenant: Tenant, method, path, body, minimum):
    member = await add_member(client, tenant)
    for role in Role:
        target = path.format(member=member["id"], api_key=tenant.key_ids[Role.viewer])
        response = await client.request(method, target, json=body, headers=tenant.auth(role))
        if role.includes(minimum):
            assert response.status_code < 400, (role, response.text)
            if method == "DELETE":
                member = await add_member(client, tenant)
            if path.endswith("/revoke"):  # put the viewer key back for the next role
                tenant.key_ids[Role.viewer] = (
                    await client.post(
                        "/v1/api-keys", json={"name": "v", "role": "viewer"}, headers=tenant.auth()
                    )
                ).json()["id"]
        else:
            problem = assert_problem(response, 403, "forbidden")
            assert minimum.value in problem["detail"]


async def test_a_refused_write_changes_nothing(client, tenant: Tenant):
    response = await client.post(
        "/v1/members",
        json={"name": "X", "email": "x@example.com"},
        headers=tenant.auth(Role.editor),
    )
    assert_problem(response, 403)
    listing = await client.get("/v1/members", headers=tenant.auth())
    assert listing.json()["items"] == []


async def test_last_admin_key_cannot_be_revoked(client, tenant: Tenant):
    # Revoke every admin key but the caller's: the caller's own is then the last one.
    response = await client.post(
        f"/v1/api-keys/{tenant.key_ids[Role.admin]}/revoke", headers=tenant.auth()
    )
    problem = assert_problem(response, 409, "conflict")
    assert "last active admin key" in problem["detail"]
    second = await client.post(
        "/v1/api-keys", json={"name": "backup", "role": "admin"}, headers=tenant.auth()
    )
    assert second.status_code == 201
    again = await client.post(
        f"/v1/api-keys/{tenant.key_ids[Role.admin]}/revoke", headers=tenant.auth()
    )
    assert again.status_code == 200


async def test_created_key_is_shown_once_and_works(client, tenant: Tenant):
    member = await add_member(client, tenant, title="Department head")
    created = await client.post(
        "/v1/api-keys",
        json={"name": "Li's approvals", "role": "approver", "member_id": member["id"]},
        headers=tenant.auth(),
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["key"].startswith(f"cok_{body['prefix']}_")
    assert created.headers["cache-control"] == "no-store"
    assert created.headers["location"] == f"/v1/api-keys/{body['id']}"
    fetched = await client.get(f"/v1/api-keys/{body['id']}", headers=tenant.auth())
    assert "key" not in fetched.json()
    me = await client.get(
        "/v1/api-keys/current", headers={"Authorization": f"Bearer {body['key']}"}
    )
    assert me.json()["member_id"] == member["id"]
    assert me.json()["role"] == "approver"


async def test_key_creation_validates_member_and_expiry(client, tenant: Tenant, other_tenant):
    foreign = await add_member(client, other_tenant)
    response = await client.post(
        "/v1/api-keys",
        json={
            "name": "k",
            "role": "viewer",
            "member_id": foreign["id"],
            "expires_at": "2020-01-01T00:00:00Z",
        },
        headers=tenant.auth(),
    )
    problem = assert_problem(response, 422)
    assert {e["field"] for e in problem["errors"]} == {"member_id", "expires_at"}
    bad_role = await client.post(
        "/v1/api-keys", json={"name": "k", "role": "owner"}, headers=tenant.auth()
    )
    assert {e["field"] for e in assert_problem(bad_role, 422)["errors"]} == {"role"}
