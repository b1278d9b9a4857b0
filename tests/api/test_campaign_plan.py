import uuid

from tests.helpers import Tenant, add_member


async def test_probe(client, tenant: Tenant):
    m = await add_member(client, tenant)
    c = await client.post(
        "/v1/campaigns",
        json={"name": "X", "kind": "other", "start_date": "2024-05-01", "end_date": "2024-07-15"},
        headers=tenant.auth(),
    )
    print(c.status_code, c.json(), dict(c.headers))
    cid = c.json()["id"]
    b = await client.post(
        f"/v1/campaigns/{cid}/budget-lines",
        json={"category": "labour", "planned_amount": 450000},
        headers=tenant.auth(),
    )
    print(b.status_code, b.json(), dict(b.headers))
    g = await client.get(b.headers["location"], headers=tenant.auth())
    print(g.json())
    goal = await client.post(
        f"/v1/campaigns/{cid}/goals",
        json={"goal_type": "user_growth", "metric_key": "new_users", "target_value": 200000},
        headers=tenant.auth(),
    )
    print(goal.status_code, goal.json())
    gid = goal.json()["id"]
    p = await client.patch(
        f"/v1/campaigns/{cid}/goals/{gid}",
        json={"owner_id": str(uuid.uuid4())},
        headers=tenant.auth(),
    )
    print(p.status_code, p.json())
    p = await client.patch(
        f"/v1/campaigns/{cid}/goals/{gid}", json={"owner_id": m["id"]}, headers=tenant.auth()
    )
    print(p.status_code, p.json())
    r = await client.post(
        f"/v1/campaigns/{cid}/risks",
        json={"description": "d", "probability": "low", "impact": "low"},
        headers=tenant.auth(),
    )
    rid = r.json()["id"]
    p = await client.patch(
        f"/v1/campaigns/{cid}/risks/{rid}",
        json={"phase_id": str(uuid.uuid4())},
        headers=tenant.auth(),
    )
    print(p.status_code, p.json())
    bud = await client.get(f"/v1/campaigns/{cid}/budget", headers=tenant.auth())
    print(bud.json())
    assert False
