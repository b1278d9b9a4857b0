"""A key of workspace A never sees or touches workspace B: B's ids answer 404."""

from shared.actor import Role
from tests.helpers import Tenant, add_member, assert_problem


async def test_other_workspace_member_is_404_for_every_verb(client, tenant: Tenant, other_tenant):
    theirs = await add_member(client, other_tenant, name="Their member")
    path = f"/v1/members/{theirs['id']}"
    assert_problem(await client.get(path, headers=tenant.auth()), 404, "not_found")
    assert_problem(await client.patch(path, json={"title": "x"}, headers=tenant.auth()), 404)
    assert_problem(await client.delete(path, headers=tenant.auth()), 404)
    # ...and it is untouched for its owner.
    still = await client.get(path, headers=other_tenant.auth())
    assert still.status_code == 200
    assert still.json()["title"] is None


async def test_lists_show_only_the_callers_workspace(client, tenant: Tenant, other_tenant):
    ours = await add_member(client, tenant, name="Ours")
    await add_member(client, other_tenant, name="Theirs")
    items = (await client.get("/v1/members", headers=tenant.auth())).json()["items"]
    assert [m["id"] for m in items] == [ours["id"]]
    keys = (await client.get("/v1/api-keys", headers=tenant.auth())).json()["items"]
    assert {k["id"] for k in keys} == {str(i) for i in tenant.key_ids.values()}


async def test_other_workspace_api_key_is_404(client, tenant: Tenant, other_tenant):
    theirs = other_tenant.key_ids[Role.viewer]
    assert_problem(await client.get(f"/v1/api-keys/{theirs}", headers=tenant.auth()), 404)
    assert_problem(await client.post(f"/v1/api-keys/{theirs}/revoke", headers=tenant.auth()), 404)
    still_works = await client.get("/v1/workspace", headers=other_tenant.auth(Role.viewer))
    assert still_works.status_code == 200


async def test_workspace_endpoint_is_the_callers_own(client, tenant: Tenant, other_tenant):
    await client.patch("/v1/workspace", json={"name": "Renamed A"}, headers=tenant.auth())
    a = (await client.get("/v1/workspace", headers=tenant.auth())).json()
    b = (await client.get("/v1/workspace", headers=other_tenant.auth())).json()
    assert a["name"] == "Renamed A"
    assert b["name"] == "Another company"


async def test_same_email_may_exist_in_two_workspaces(client, tenant: Tenant, other_tenant):
    await add_member(client, tenant, email="shared@example.com")
    await add_member(client, other_tenant, email="shared@example.com")
