from tests.helpers import Tenant


async def test_workspace_is_readable_with_a_viewer_key(client, tenant: Tenant):
    response = await client.get("/v1/workspace", headers=tenant.auth())
    assert response.status_code == 200, response.text
    assert response.json()["id"] == str(tenant.workspace_id)
