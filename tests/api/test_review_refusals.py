"""Reviews refused: another workspace's or campaign's are 404, bad input is 422 naming the
field, and only editors record reviews, on approved or active campaigns."""

import uuid

from shared.actor import Role
from tests.api import test_reviews as reviews
from tests.api.test_campaign_lifecycle import Team
from tests.api.test_reviews import Running, day, read, review
from tests.helpers import Tenant, assert_problem, created, fields_of

team, running = reviews.team, reviews.running  # the people, and the campaign under review


async def test_another_workspace_or_campaign_is_404(
    client, tenant: Tenant, other_tenant: Tenant, team: Team, running: Running
):
    ours = await review(client, tenant, running, {"kind": "daily"})
    assert ours.status_code == 201, ours.text
    mine = ours.json()["id"]
    theirs_campaign = await client.post(
        "/v1/campaigns",
        json={"name": "Their push", "kind": "promotion"},
        headers=other_tenant.auth(Role.editor),
    )
    assert theirs_campaign.status_code == 201, theirs_campaign.text
    their_base = f"/v1/campaigns/{theirs_campaign.json()['id']}"

    assert_problem(
        await client.post(f"{their_base}/reviews", json={"kind": "daily"}, headers=tenant.auth()),
        404,
    )
    assert_problem(await client.get(f"{their_base}/reviews", headers=tenant.auth()), 404)
    assert_problem(
        await client.get(f"{running.base}/reviews/{mine}", headers=other_tenant.auth()), 404
    )
    assert_problem(
        await client.get(f"{their_base}/reviews/{mine}", headers=other_tenant.auth()), 404
    )
    # A review of another campaign of the same workspace is not this campaign's.
    sibling = await created(
        client, tenant, "/v1/campaigns", {"name": "Double 11", "kind": "promotion"}
    )
    elsewhere = f"/v1/campaigns/{sibling['id']}/reviews"
    assert_problem(await client.get(f"{elsewhere}/{mine}", headers=tenant.auth()), 404)
    compared = await client.get(
        f"{elsewhere}/compare", params={"from": mine, "to": mine}, headers=tenant.auth()
    )
    assert_problem(compared, 404)
    unknown = await client.get(
        f"{running.base}/reviews/compare",
        params={"from": mine, "to": str(uuid.uuid4())},
        headers=tenant.auth(),
    )
    assert assert_problem(unknown, 404)["field"] == "to"


async def test_bad_input_is_named_and_refused(client, tenant: Tenant, team: Team, running: Running):
    adjustment = {"action": "Fix it", "owner_id": team.manager["id"], "due_date": day(1)}
    for body, fields in (
        ({"kind": "monthly"}, {"body.kind"}),
        ({"kind": "daily", "notes": "x" * 10_001}, {"body.notes"}),
        ({"kind": "daily", "adjustments": [adjustment] * 21}, {"body.adjustments"}),
        (
            {"kind": "daily", "adjustments": [adjustment | {"action": " "}]},
            {"body.adjustments.0.action"},
        ),
        (
            {"kind": "daily", "adjustments": [adjustment | {"due_date": "2024-13-01"}]},
            {"body.adjustments.0.due_date"},
        ),
        (
            {"kind": "daily", "adjustments": [adjustment | {"owner": "Wu"}]},
            {"body.adjustments.0.owner"},
        ),
        (
            {"kind": "daily", "adjustments": [adjustment, adjustment | {"change_request": {}}]},
            {
                "body.adjustments.1.change_request.title",
                "body.adjustments.1.change_request.changes",
            },
        ),
        (
            {
                "kind": "daily",
                "adjustments": [
                    adjustment | {"owner_id": str(uuid.uuid4())},
                    adjustment | {"due_date": day(-1)},
                ],
            },
            {"body.adjustments.0.owner_id", "body.adjustments.1.due_date"},
        ),
    ):
        refused = await review(client, tenant, running, body)
        assert fields_of(assert_problem(refused, 422)) == fields, body
    bad_query = await client.get(
        f"{running.base}/reviews/compare", params={"from": "1", "to": "2"}, headers=tenant.auth()
    )
    assert fields_of(assert_problem(bad_query, 422)) == {"query.from", "query.to"}
    assert fields_of(
        assert_problem(
            await client.get(
                f"{running.base}/reviews", params={"kind": "yearly"}, headers=tenant.auth()
            ),
            422,
        )
    ) == {"query.kind.0"}

    viewer = await review(client, tenant, running, {"kind": "daily"}, role=Role.viewer)
    assert_problem(viewer, 403)
    draft = await created(client, tenant, "/v1/campaigns", {"name": "Next", "kind": "promotion"})
    not_running = await client.post(
        f"/v1/campaigns/{draft['id']}/reviews", json={"kind": "daily"}, headers=tenant.auth()
    )
    assert assert_problem(not_running, 409, "campaign_not_running")["campaign_status"] == "draft"
    assert (await read(client, tenant, f"{running.base}/reviews"))["items"] == []
