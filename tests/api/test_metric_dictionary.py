"""The metric dictionary: standard for every workspace, extended by admins, formulas checked."""

from typing import Any

import pytest

from shared.actor import Role
from shared.metrics.standard import STANDARD_METRICS
from tests.helpers import Tenant, assert_problem, fields_of


async def all_metrics(client, tenant: Tenant) -> dict[str, dict[str, Any]]:
    page = await client.get("/v1/metrics", params={"limit": 200}, headers=tenant.auth(Role.viewer))
    return {m["key"]: m for m in page.json()["items"]}


async def test_every_workspace_starts_with_the_standard_dictionary(client, tenant: Tenant):
    metrics = await all_metrics(client, tenant)
    assert set(metrics) == {m["key"] for m in STANDARD_METRICS}
    assert metrics["conversion_rate"]["formula"] == "conversions / clicks"
    assert metrics["conversion_rate"]["derived"] is True
    assert metrics["new_users"]["derived"] is False
    assert "first order" in metrics["new_users"]["description"]
    assert list(metrics) == sorted(metrics)  # listed by key


async def test_admins_extend_the_dictionary(client, tenant: Tenant, other_tenant: Tenant):
    body = {
        "key": "store_conversion",
        "name": "Store conversion",
        "unit": "ratio",
        "aggregation": "average",
        "formula": "orders / visitors",
    }
    refused = await client.post("/v1/metrics", json=body, headers=tenant.auth(Role.editor))
    assert_problem(refused, 403)
    created = await client.post("/v1/metrics", json=body, headers=tenant.auth())
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/v1/metrics/store_conversion"
    again = await client.post("/v1/metrics", json=body, headers=tenant.auth())
    assert_problem(again, 409)
    theirs = await client.get("/v1/metrics/store_conversion", headers=other_tenant.auth())
    assert_problem(theirs, 404)

    renamed = await client.patch(
        "/v1/metrics/store_conversion",
        json={"name": "Pop-up conversion"},
        headers=tenant.auth() | {"If-Match": created.headers["etag"]},
    )
    assert renamed.json()["name"] == "Pop-up conversion"
    stale = await client.patch(
        "/v1/metrics/store_conversion",
        json={"name": "x"},
        headers=tenant.auth() | {"If-Match": created.headers["etag"]},
    )
    assert_problem(stale, 412)


@pytest.mark.parametrize(
    ("text", "position", "code"),
    [
        ("clicks /", 8, "formula_syntax"),
        ("clicks ** impressions", 8, "formula_syntax"),
        ("(clicks + orders", 16, "formula_syntax"),
        ("clicks / impresions", 9, "unknown_metric"),
        ("clicks $ 2", 7, "formula_syntax"),
    ],
)
async def test_bad_formulas_are_422_with_the_position(client, tenant, text, position, code):
    response = await client.post(
        "/v1/metrics",
        json={"key": "broken", "name": "Broken", "unit": "ratio", "formula": text},
        headers=tenant.auth(),
    )
    problem = assert_problem(response, 422)
    assert problem["position"] == position
    assert problem["errors"][0]["type"] == code
    assert fields_of(problem) == {"body.formula"}
    assert_problem(await client.get("/v1/metrics/broken", headers=tenant.auth()), 404)


async def test_cycles_among_derived_metrics_are_refused(client, tenant: Tenant):
    await client.post(
        "/v1/metrics",
        headers=tenant.auth(),
        json={"key": "reach", "name": "Reach", "unit": "count", "formula": "impressions * 1"},
    )
    await client.post(
        "/v1/metrics",
        headers=tenant.auth(),
        json={"key": "depth", "name": "Depth", "unit": "ratio", "formula": "clicks / reach"},
    )
    cycle = await client.patch(
        "/v1/metrics/reach", json={"formula": "depth * 100"}, headers=tenant.auth()
    )
    problem = assert_problem(cycle, 422)
    assert problem["errors"][0]["type"] == "formula_cycle"
    assert problem["cycle"][0] == problem["cycle"][-1]
    assert set(problem["cycle"]) == {"reach", "depth"}
    itself = await client.post(
        "/v1/metrics",
        headers=tenant.auth(),
        json={"key": "loop", "name": "Loop", "unit": "ratio", "formula": "loop + 1"},
    )
    assert_problem(itself, 422)


async def test_a_metric_in_use_cannot_be_removed(client, tenant: Tenant):
    assert_problem(await client.delete("/v1/metrics/clicks", headers=tenant.auth()), 409)
    campaign = await client.post(
        "/v1/campaigns", json={"name": "C", "kind": "other"}, headers=tenant.auth()
    )
    goal = await client.post(
        f"/v1/campaigns/{campaign.json()['id']}/goals",
        json={"goal_type": "engagement", "metric_key": "negative_comments"},
        headers=tenant.auth(),
    )
    assert goal.status_code == 201
    assert_problem(await client.delete("/v1/metrics/negative_comments", headers=tenant.auth()), 409)
    assert (await client.delete("/v1/metrics/aov", headers=tenant.auth())).status_code == 204
    assert "aov" not in await all_metrics(client, tenant)


async def test_goals_must_measure_a_metric_of_the_dictionary(client, tenant: Tenant):
    campaign = await client.post(
        "/v1/campaigns", json={"name": "C", "kind": "other"}, headers=tenant.auth()
    )
    base = f"/v1/campaigns/{campaign.json()['id']}/goals"
    unknown = await client.post(
        base, json={"goal_type": "other", "metric_key": "likes"}, headers=tenant.auth()
    )
    problem = assert_problem(unknown, 422)
    assert fields_of(problem) == {"body.metric_key"}
    assert problem["errors"][0]["type"] == "unknown_metric"
    await client.post(
        "/v1/metrics",
        headers=tenant.auth(),
        json={"key": "likes", "name": "Likes", "unit": "count"},
    )
    known = await client.post(
        base, json={"goal_type": "other", "metric_key": "likes"}, headers=tenant.auth()
    )
    assert known.status_code == 201
