"""The brief's sample campaign from request to archive: readiness, approval, registration."""

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import update

from shared.actor import Role
from shared.campaigns.lifecycle import TRANSITIONS
from shared.campaigns.models import Campaign, CampaignStatus
from tests.helpers import Tenant, add_member, assert_problem, fields_of


@dataclass
class Team:
    """The people of the brief, and API keys bound to the approvers among them."""

    manager: dict[str, Any]
    lead: dict[str, Any]
    specialist: dict[str, Any]
    department_head: dict[str, str]  # Authorization header of a key bound to them
    management: dict[str, str]
    other_approver: dict[str, str]
    department_head_id: str
    management_id: str


async def approver_key(
    client: httpx.AsyncClient, tenant: Tenant, title: str
) -> tuple[str, dict[str, str]]:
    member = await add_member(client, tenant, name=f"{title} person", title=title)
    created = await client.post(
        "/v1/api-keys",
        json={"name": f"{title} approvals", "role": "approver", "member_id": member["id"]},
        headers=tenant.auth(),
    )
    assert created.status_code == 201, created.text
    return member["id"], {"Authorization": f"Bearer {created.json()['key']}"}


@pytest.fixture
async def team(client, tenant: Tenant) -> Team:
    head_id, head = await approver_key(client, tenant, "Department head")
    management_id, management = await approver_key(client, tenant, "Management")
    _, other = await approver_key(client, tenant, "Designer")
    return Team(
        manager=await add_member(client, tenant, name="Manager Wu", title="Campaign manager"),
        lead=await add_member(client, tenant, name="Lead Zhao", title="Brand lead"),
        specialist=await add_member(client, tenant, name="Specialist Qian", title="Specialist"),
        department_head=head,
        management=management,
        other_approver=other,
        department_head_id=head_id,
        management_id=management_id,
    )


async def post(
    client: httpx.AsyncClient, tenant: Tenant, path: str, body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(path, json=body, headers=tenant.auth(Role.editor))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def sample_campaign(client, tenant: Tenant, team: Team, *, flawed: bool) -> dict[str, Any]:
    """The brief's launch. `flawed`: the brand goal has no owner, the budget no contingency,
    and a severe risk no mitigation — the three things readiness must find."""
    campaign = await post(
        client,
        tenant,
        "/v1/campaigns",
        {
            "name": "Summer skincare launch 2024",
            "kind": "new_product_launch",
            "background": "New sunscreen line",
            "start_date": "2024-05-01",
            "end_date": "2024-07-15",
            "owner_id": team.manager["id"],
            "channels": ["social feed", "offline pop-up store"],
            "tags": ["2024 new product launch"],
        },
    )
    base = f"/v1/campaigns/{campaign['id']}"
    goals = [
        {
            "goal_type": "user_growth",
            "strategy": "KOC seeding + feed ads",
            "metric_key": "new_users",
            "target_value": 200000,
            "owner_id": team.manager["id"],
            "due_date": "2024-06-30",
        },
        {
            "goal_type": "brand_awareness",
            "strategy": "media interviews + offline pop-up",
            "metric_key": "search_volume",
            "target_kind": "relative_lift",
            "target_value": 30,
            "baseline_value": 10000,
            "due_date": "2024-07-15",
            "owner_id": None if flawed else team.lead["id"],
        },
        {
            "goal_type": "sales_conversion",
            "strategy": "e-commerce discounts + community",
            "metric_key": "gmv",
            "target_value": "5000000",
            "owner_id": team.specialist["id"],
            "due_date": "2024-06-18",
        },
    ]
    for goal in goals:
        await post(client, tenant, f"{base}/goals", goal)
    budget = {
        "labour": "150000",
        "materials": "80000",
        "promotion_media": "450000",
        "third_party_services": "120000",
    }
    if not flawed:
        budget["contingency"] = "100000"
    for category, amount in budget.items():
        await post(
            client, tenant, f"{base}/budget-lines", {"category": category, "planned_amount": amount}
        )
    for name, start, end in [
        ("preparation", "2024-05-01", "2024-05-25"),
        ("warm-up", "2024-05-26", "2024-05-31"),
        ("burst", "2024-06-01", "2024-06-18"),
        ("wrap-up", "2024-06-19", "2024-07-15"),
    ]:
        await post(
            client, tenant, f"{base}/phases", {"name": name, "start_date": start, "end_date": end}
        )
    await post(
        client,
        tenant,
        f"{base}/risks",
        {
            "description": "Posts rejected for medical claims",
            "probability": "high",
            "impact": "high",
            "mitigation": None if flawed else "Legal review before publishing",
        },
    )
    return campaign


async def action(
    client: httpx.AsyncClient, tenant: Tenant, campaign_id: str, name: str
) -> httpx.Response:
    return await client.post(
        f"/v1/campaigns/{campaign_id}/{name}", headers=tenant.auth(Role.editor)
    )


async def decide(
    client: httpx.AsyncClient,
    campaign_id: str,
    auth: dict[str, str],
    decision: str = "approve",
    comment: str | None = "ok",
) -> httpx.Response:
    return await client.post(
        f"/v1/campaigns/{campaign_id}/approvals",
        json={"decision": decision, "comment": comment},
        headers=auth,
    )


def this_year() -> int:
    return datetime.now(ZoneInfo("Asia/Shanghai")).year


async def test_sample_campaign_from_request_to_archive(client, tenant: Tenant, team: Team):
    campaign = await sample_campaign(client, tenant, team, flawed=True)
    cid, base = campaign["id"], f"/v1/campaigns/{campaign['id']}"
    assert campaign["status"] == "draft"
    assert campaign["allowed_actions"] == ["submit", "cancel"]

    readiness = (await client.get(f"{base}/readiness", headers=tenant.auth(Role.viewer))).json()
    assert readiness["ready"] is False
    assert sorted(b["code"] for b in readiness["blockers"]) == [
        "goal_without_owner",
        "no_contingency",
        "risk_without_mitigation",
    ]
    refused = await action(client, tenant, cid, "submit")
    problem = assert_problem(refused, 422, "not_ready")
    assert sorted(b["code"] for b in problem["blockers"]) == sorted(
        b["code"] for b in readiness["blockers"]
    )

    # Fix the three blockers.
    goals = (await client.get(f"{base}/goals", headers=tenant.auth())).json()["items"]
    brand = next(g for g in goals if g["metric_key"] == "search_volume")
    fixed = await client.patch(
        f"{base}/goals/{brand['id']}",
        json={"owner_id": team.lead["id"]},
        headers=tenant.auth(Role.editor),
    )
    assert fixed.status_code == 200
    await post(
        client,
        tenant,
        f"{base}/budget-lines",
        {"category": "contingency", "planned_amount": "100000.00"},
    )
    risks = (await client.get(f"{base}/risks", headers=tenant.auth())).json()["items"]
    await client.patch(
        f"{base}/risks/{risks[0]['id']}",
        json={"mitigation": "Legal review of every claim"},
        headers=tenant.auth(Role.editor),
    )
    readiness = (await client.get(f"{base}/readiness", headers=tenant.auth())).json()
    assert readiness == {"ready": True, "blockers": [], "warnings": []}

    submitted = await action(client, tenant, cid, "submit")
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "pending_approval"
    assert submitted.json()["allowed_actions"] == ["approve", "reject", "cancel"]
    frozen = await client.post(
        f"{base}/goals",
        json={"goal_type": "other", "metric_key": "x"},
        headers=tenant.auth(Role.editor),
    )
    assert_problem(frozen, 409, "campaign_locked")

    # Management may not go first; a designer may not decide at all; an editor key neither.
    assert_problem(await decide(client, cid, team.management), 409, "out_of_turn")
    assert_problem(await decide(client, cid, team.other_approver), 403, "forbidden")
    assert_problem(await decide(client, cid, tenant.auth(Role.editor)), 403, "forbidden")
    unbound = await decide(client, cid, tenant.auth(Role.approver))
    assert "bound to a member" in assert_problem(unbound, 403)["detail"]

    first = await decide(client, cid, team.department_head, comment="Sound split of budget")
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "pending_approval"
    assert first.json()["registration_number"] is None
    again = await decide(client, cid, team.department_head)
    assert_problem(again, 403)  # the head's step is done: management decides now

    final = await decide(client, cid, team.management)
    assert final.status_code == 200, final.text
    approved = final.json()
    assert approved["status"] == "approved"
    assert approved["registration_number"] == f"CMP-{this_year()}-0001"
    assert approved["approved_at"] is not None

    history = (await client.get(f"{base}/approvals", headers=tenant.auth(Role.viewer))).json()
    assert [r["status"] for r in history] == ["approved"]
    assert [(d["step_name"], d["decision"], d["member_id"]) for d in history[0]["decisions"]] == [
        ("Department head", "approve", team.department_head_id),
        ("Management", "approve", team.management_id),
    ]
    assert history[0]["decisions"][0]["comment"] == "Sound split of budget"

    for name, expected in [("activate", "active"), ("complete", "completed")]:
        moved = await action(client, tenant, cid, name)
        assert moved.status_code == 200, moved.text
        assert moved.json()["status"] == expected
    completed = (await client.get(base, headers=tenant.auth())).json()
    assert completed["allowed_actions"] == ["archive"]
    assert completed["registration_number"] == approved["registration_number"]
    # Archiving waits for the close-out (tests/api/test_close_out.py walks it whole).
    incomplete = assert_problem(await action(client, tenant, cid, "archive"), 409)
    assert incomplete["code"] == "close_out_incomplete"
    assert incomplete["blockers"]


async def test_rejection_keeps_comments_and_resubmission_starts_a_new_round(
    client, tenant: Tenant, team: Team
):
    cid = (await sample_campaign(client, tenant, team, flawed=False))["id"]
    await action(client, tenant, cid, "submit")
    no_reason = await decide(client, cid, team.department_head, "reject", comment=None)
    assert fields_of(assert_problem(no_reason, 422)) == {"body.comment"}

    rejected = await decide(
        client, cid, team.department_head, "reject", comment="Contingency too thin for a 618 push"
    )
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["allowed_actions"] == ["submit", "cancel"]
    # Editable again: raise the contingency, then submit a second time.
    await post(
        client,
        tenant,
        f"/v1/campaigns/{cid}/budget-lines",
        {"category": "contingency", "planned_amount": "20000"},
    )
    assert (await action(client, tenant, cid, "submit")).json()["status"] == "pending_approval"
    await decide(client, cid, team.department_head)
    final = await decide(client, cid, team.management)
    assert final.json()["status"] == "approved"

    history = (await client.get(f"/v1/campaigns/{cid}/approvals", headers=tenant.auth())).json()
    assert [(r["number"], r["status"]) for r in history] == [(1, "rejected"), (2, "approved")]
    assert history[0]["decisions"][0]["comment"] == "Contingency too thin for a 618 push"
    assert history[0]["closed_at"] is not None


async def test_an_approved_plan_changes_only_through_revise(client, tenant: Tenant, team: Team):
    cid = (await sample_campaign(client, tenant, team, flawed=False))["id"]
    base = f"/v1/campaigns/{cid}"
    await action(client, tenant, cid, "submit")
    await decide(client, cid, team.department_head)
    number = (await decide(client, cid, team.management)).json()["registration_number"]

    goal = (await client.get(f"{base}/goals", headers=tenant.auth())).json()["items"][0]
    locked = await client.patch(
        f"{base}/goals/{goal['id']}", json={"target_value": 1}, headers=tenant.auth(Role.editor)
    )
    assert "revise" in assert_problem(locked, 409, "campaign_locked")["detail"]
    dates = await client.patch(
        base, json={"end_date": "2024-07-31"}, headers=tenant.auth(Role.editor)
    )
    assert_problem(dates, 409, "campaign_locked")
    texts = await client.patch(
        base, json={"core_message": "Light as water"}, headers=tenant.auth(Role.editor)
    )
    assert texts.status_code == 200  # descriptive fields stay editable

    revised = await action(client, tenant, cid, "revise")
    assert revised.json()["status"] == "draft"
    ok = await client.patch(
        f"{base}/goals/{goal['id']}",
        json={"target_value": 210000},
        headers=tenant.auth(Role.editor),
    )
    assert ok.status_code == 200
    await action(client, tenant, cid, "submit")
    await decide(client, cid, team.department_head)
    again = await decide(client, cid, team.management)
    assert again.json()["registration_number"] == number  # registered once, number kept


async def test_cancelling_a_pending_campaign_withdraws_its_round(client, tenant, team):
    cid = (await sample_campaign(client, tenant, team, flawed=False))["id"]
    await action(client, tenant, cid, "submit")
    cancelled = await client.post(
        f"/v1/campaigns/{cid}/cancel",
        json={"reason": "Postponed"},
        headers=tenant.auth(Role.editor),
    )
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancel_reason"] == "Postponed"
    history = (await client.get(f"/v1/campaigns/{cid}/approvals", headers=tenant.auth())).json()
    assert history[0]["status"] == "withdrawn"
    assert_problem(await decide(client, cid, team.department_head), 409, "invalid_transition")


ENDPOINT_ACTIONS = ["submit", "activate", "complete", "archive", "revise", "cancel"]


@pytest.mark.parametrize("status", list(CampaignStatus))
async def test_every_transition_outside_the_diagram_is_409(
    client, tenant: Tenant, team: Team, session, status: CampaignStatus
):
    cid = (await sample_campaign(client, tenant, team, flawed=False))["id"]
    await session.execute(
        update(Campaign).where(Campaign.id == uuid.UUID(cid)).values(status=status)
    )
    await session.commit()
    allowed = {name for name, t in TRANSITIONS.items() if status in t.sources}
    for name in ENDPOINT_ACTIONS:
        if name in allowed:
            continue
        problem = assert_problem(await action(client, tenant, cid, name), 409, "invalid_transition")
        assert problem["campaign_status"] == status.value
        assert sorted(problem["allowed_actions"]) == sorted(allowed)
    if "approve" not in allowed:
        problem = assert_problem(await decide(client, cid, team.department_head), 409)
        assert sorted(problem["allowed_actions"]) == sorted(allowed)
    current = (await client.get(f"/v1/campaigns/{cid}", headers=tenant.auth())).json()
    assert current["status"] == status.value  # nothing moved


async def test_the_approval_chain_is_configurable(client, tenant: Tenant, team: Team):
    default = (await client.get("/v1/approval-chain", headers=tenant.auth(Role.viewer))).json()
    assert default["is_default"] is True
    assert [s["name"] for s in default["steps"]] == ["Department head", "Management"]

    chain = {"steps": [{"name": "Brand director", "approver_member_ids": [team.management_id]}]}
    refused = await client.put("/v1/approval-chain", json=chain, headers=tenant.auth(Role.approver))
    assert_problem(refused, 403)
    bad = await client.put(
        "/v1/approval-chain",
        headers=tenant.auth(),
        json={
            "steps": [
                {"name": "Nobody"},
                {"name": "Ghost", "approver_member_ids": [str(uuid.uuid4())]},
            ]
        },
    )
    assert fields_of(assert_problem(bad, 422)) == {
        "body.steps.0",
        "body.steps.1.approver_member_ids",
    }

    # A round already under way keeps the chain it started with.
    cid = (await sample_campaign(client, tenant, team, flawed=False))["id"]
    await action(client, tenant, cid, "submit")
    saved = await client.put("/v1/approval-chain", json=chain, headers=tenant.auth())
    assert saved.json()["is_default"] is False
    assert_problem(await decide(client, cid, team.management), 409, "out_of_turn")
    await decide(client, cid, team.department_head)
    assert (await decide(client, cid, team.management)).json()["status"] == "approved"

    # A new campaign goes through the new one-step chain.
    second = (await sample_campaign(client, tenant, team, flawed=False))["id"]
    await action(client, tenant, second, "submit")
    assert_problem(await decide(client, second, team.department_head), 403)
    assert (await decide(client, second, team.management)).json()["status"] == "approved"


@pytest.mark.committed
async def test_concurrent_final_approvals_get_consecutive_numbers(
    client, tenant: Tenant, team: Team
):
    ids = []
    for _ in range(2):
        cid = (await sample_campaign(client, tenant, team, flawed=False))["id"]
        await action(client, tenant, cid, "submit")
        await decide(client, cid, team.department_head)
        ids.append(cid)
    # Two API requests on two connections at once: the counter row lock orders them.
    results = await asyncio.gather(*(decide(client, cid, team.management) for cid in ids))
    numbers = sorted(r.json()["registration_number"] for r in results)
    assert numbers == [f"CMP-{this_year()}-0001", f"CMP-{this_year()}-0002"]


async def test_registration_numbers_are_per_workspace(client, tenant, other_tenant, team):
    cid = (await sample_campaign(client, tenant, team, flawed=False))["id"]
    await action(client, tenant, cid, "submit")
    await decide(client, cid, team.department_head)
    assert (
        (await decide(client, cid, team.management)).json()["registration_number"].endswith("-0001")
    )
    other_team_head_id, other_head = await approver_key(client, other_tenant, "Department head")
    _, other_management = await approver_key(client, other_tenant, "Management")
    owner = await add_member(client, other_tenant)
    theirs = await post(
        client,
        other_tenant,
        "/v1/campaigns",
        {
            "name": "Other",
            "kind": "other",
            "start_date": "2024-01-01",
            "end_date": "2024-01-31",
            "owner_id": owner["id"],
        },
    )
    base = f"/v1/campaigns/{theirs['id']}"
    await post(
        client,
        other_tenant,
        f"{base}/goals",
        {
            "goal_type": "other",
            "metric_key": "visitors",
            "target_value": 1,
            "owner_id": owner["id"],
            "due_date": "2024-01-31",
        },
    )
    for category, amount in [("labour", "90"), ("contingency", "10")]:
        await post(
            client,
            other_tenant,
            f"{base}/budget-lines",
            {"category": category, "planned_amount": amount},
        )
    await action(client, other_tenant, theirs["id"], "submit")
    await decide(client, theirs["id"], other_head)
    final = await decide(client, theirs["id"], other_management)
    assert final.json()["registration_number"] == f"CMP-{this_year()}-0001"
    assert other_team_head_id
