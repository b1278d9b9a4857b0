"""Members: the people owners and approvers are chosen from."""

from shared.actor import Role
from tests.helpers import Tenant, add_member, assert_problem, fields_of


async def test_member_lifecycle(client, tenant: Tenant):
    created = await client.post(
        "/v1/members",
        json={
            "name": "  Zhang Min ",
            "email": "Zhang.Min@Example.com",
            "department": "Marketing",
            "title": "Department head",
        },
        headers=tenant.auth(),
    )
    assert created.status_code == 201, created.text
    member = created.json()
    assert member["name"] == "Zhang Min"
    assert member["email"] == "zhang.min@example.com"
    assert created.headers["location"] == f"/v1/members/{member['id']}"

    patched = await client.patch(
        f"/v1/members/{member['id']}",
        json={"title": "Director", "department": None},
        headers=tenant.auth(),
    )
    assert patched.status_code == 200
    assert patched.json()["title"] == "Director"
    assert patched.json()["department"] is None
    assert patched.json()["name"] == "Zhang Min"
    assert patched.json()["version"] == member["version"] + 1

    deleted = await client.delete(f"/v1/members/{member['id']}", headers=tenant.auth())
    assert deleted.status_code == 204
    assert_problem(await client.get(f"/v1/members/{member['id']}", headers=tenant.auth()), 404)


async def test_email_is_unique_per_workspace_ignoring_case(client, tenant: Tenant):
    await add_member(client, tenant, email="li.na@example.com")
    response = await client.post(
        "/v1/members",
        json={"name": "Other Li", "email": "LI.NA@example.com"},
        headers=tenant.auth(),
    )
    problem = assert_problem(response, 409, "conflict")
    assert problem["field"] == "email"
    second = await add_member(client, tenant, email="li.na2@example.com")
    clash = await client.patch(
        f"/v1/members/{second['id']}", json={"email": "li.na@example.com"}, headers=tenant.auth()
    )
    assert_problem(clash, 409)


async def test_validation_names_every_bad_field(client, tenant: Tenant):
    response = await client.post(
        "/v1/members",
        json={"name": "x" * 201, "email": "not-an-email", "department": 5, "nickname": "Lin"},
        headers=tenant.auth(),
    )
    problem = assert_problem(response, 422, "validation_error")
    assert fields_of(problem) == {"body.name", "body.email", "body.department", "body.nickname"}
    pointers = {e["pointer"] for e in problem["errors"]}
    assert "#/name" in pointers
    listing = await client.get("/v1/members", headers=tenant.auth())
    assert listing.json()["items"] == []


async def test_required_fields_cannot_be_cleared(client, tenant: Tenant):
    member = await add_member(client, tenant)
    response = await client.patch(
        f"/v1/members/{member['id']}", json={"name": None}, headers=tenant.auth()
    )
    assert fields_of(assert_problem(response, 422)) == {"body.name"}
    blank = await client.patch(
        f"/v1/members/{member['id']}", json={"name": "   "}, headers=tenant.auth()
    )
    assert fields_of(assert_problem(blank, 422)) == {"body.name"}


async def test_filters(client, tenant: Tenant):
    await add_member(client, tenant, name="Chen Jie", department="Sales")
    await add_member(client, tenant, name="Zhou Lan", department="Marketing")
    await add_member(client, tenant, name="Chen Hua", department="marketing")
    by_q = (await client.get("/v1/members", params={"q": "chen"}, headers=tenant.auth())).json()
    assert sorted(m["name"] for m in by_q["items"]) == ["Chen Hua", "Chen Jie"]
    by_dept = (
        await client.get("/v1/members", params={"department": "Marketing"}, headers=tenant.auth())
    ).json()
    assert sorted(m["name"] for m in by_dept["items"]) == ["Chen Hua", "Zhou Lan"]
    wildcard = (await client.get("/v1/members", params={"q": "%"}, headers=tenant.auth())).json()
    assert wildcard["items"] == []


async def test_member_with_an_active_key_cannot_be_removed(client, tenant: Tenant):
    member = await add_member(client, tenant)
    key = await client.post(
        "/v1/api-keys",
        json={"name": "k", "role": "approver", "member_id": member["id"]},
        headers=tenant.auth(),
    )
    response = await client.delete(f"/v1/members/{member['id']}", headers=tenant.auth())
    assert_problem(response, 409)
    await client.post(f"/v1/api-keys/{key.json()['id']}/revoke", headers=tenant.auth())
    assert (
        await client.delete(f"/v1/members/{member['id']}", headers=tenant.auth())
    ).status_code == 204
    history = await client.get(f"/v1/api-keys/{key.json()['id']}", headers=tenant.auth())
    assert history.json()["member_id"] is None
    assert history.json()["revoked_at"] is not None


async def test_viewer_can_read_members(client, tenant: Tenant):
    member = await add_member(client, tenant)
    response = await client.get(f"/v1/members/{member['id']}", headers=tenant.auth(Role.viewer))
    assert response.json()["email"] == member["email"]
