"""Campaign planning: campaigns, their goals, budget, expenses, phases and risks.

The sample data is the brief's: "Summer skincare launch 2024", 2024-05-01..2024-07-15.
"""

import dataclasses
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.actor import Role
from shared.campaigns.models import Campaign, CampaignStatus
from tests.helpers import Tenant, add_member, assert_problem, fields_of

S = CampaignStatus

SAMPLE_CAMPAIGN: dict[str, Any] = {
    "name": "Summer skincare launch 2024",
    "kind": "new_product_launch",
    "background": "New sunscreen line; the category grows 30% a year on lifestyle apps.",
    "objective_summary": "200,000 new users and 5,000,000 GMV by the end of June.",
    "target_audience": "Women 18-35 in tier-1 and tier-2 cities",
    "core_message": "Light as water, strong as summer",
    "channels": ["social feed", "short video", "e-commerce", "offline pop-up store"],
    "start_date": "2024-05-01",
    "end_date": "2024-07-15",
    "tags": ["2024 new product launch", "offline pop-up store"],
}

BUDGET = {
    "labour": "150000",
    "materials": "80000",
    "promotion_media": "450000",
    "third_party_services": "120000",
    "contingency": "100000",
}

PHASES = [
    ("preparation", "2024-05-01", "2024-05-25"),
    ("warm-up", "2024-05-26", "2024-05-31"),
    ("burst", "2024-06-01", "2024-06-18"),
    ("wrap-up", "2024-06-19", "2024-07-15"),
]

GOALS: list[dict[str, Any]] = [
    {
        "goal_type": "user_growth",
        "metric_key": "new_users",
        "target_value": "200000",
        "due_date": "2024-06-30",
    },
    {
        "goal_type": "brand_awareness",
        "metric_key": "search_volume",
        "target_kind": "relative_lift",
        "target_value": "30",
        "baseline_value": "10000",
        "due_date": "2024-06-30",
    },
    {
        "goal_type": "sales_conversion",
        "metric_key": "gmv",
        "target_value": "5000000",
        "due_date": "2024-06-30",
    },
]


# --- arranging --------------------------------------------------------------------------------


async def create_campaign(client: httpx.AsyncClient, tenant: Tenant, **fields: Any) -> Any:
    response = await client.post(
        "/v1/campaigns", json=SAMPLE_CAMPAIGN | fields, headers=tenant.auth(Role.editor)
    )
    assert response.status_code == 201, response.text
    return response.json()


async def add_item(
    client: httpx.AsyncClient, tenant: Tenant, campaign_id: str, path: str, body: dict[str, Any]
) -> Any:
    response = await client.post(
        f"/v1/campaigns/{campaign_id}/{path}", json=body, headers=tenant.auth(Role.editor)
    )
    assert response.status_code == 201, response.text
    return response.json()


async def add_phase(
    client: httpx.AsyncClient,
    tenant: Tenant,
    campaign_id: str,
    name: str = "burst",
    start: str = "2024-06-01",
    end: str = "2024-06-18",
) -> Any:
    body = {"name": name, "start_date": start, "end_date": end}
    return await add_item(client, tenant, campaign_id, "phases", body)


async def set_status(session: AsyncSession, campaign_id: str, status: CampaignStatus) -> None:
    """Put the campaign in `status` directly (the approval flow is tested elsewhere)."""
    await session.execute(
        update(Campaign).where(Campaign.id == uuid.UUID(campaign_id)).values(status=status)
    )
    await session.commit()


async def list_all(client: httpx.AsyncClient, tenant: Tenant, url: str) -> list[Any]:
    response = await client.get(url, headers=tenant.auth(Role.viewer))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next_cursor"] is None
    items: list[Any] = body["items"]
    return items


async def campaign_names(client: httpx.AsyncClient, tenant: Tenant, **params: Any) -> list[str]:
    response = await client.get(
        "/v1/campaigns", params={"sort": "name", **params}, headers=tenant.auth(Role.viewer)
    )
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return [c["name"] for c in response.json()["items"]]


# --- one description per plan kind ------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Refs:
    member: str
    other_member: str
    phase: str


@dataclasses.dataclass(frozen=True)
class Kind:
    path: str
    status: CampaignStatus  # a status in which this kind may be written
    create: Callable[[Refs], dict[str, Any]]
    patch: Callable[[Refs], dict[str, Any]]
    # fields as a GET returns them after the create and after the patch
    created: Callable[[Refs], dict[str, Any]]
    patched: Callable[[Refs], dict[str, Any]]


KINDS = [
    Kind(
        "goals",
        S.draft,
        lambda r: GOALS[1] | {"owner_id": r.member, "strategy": "KOL reviews + search ads"},
        lambda r: {"target_value": "35", "owner_id": r.other_member},
        lambda r: {
            "goal_type": "brand_awareness",
            "metric_key": "search_volume",
            "target_kind": "relative_lift",
            "target_value": "30.0000",
            "baseline_value": "10000.0000",
            "direction": "higher_is_better",
            "owner_id": r.member,
            "due_date": "2024-06-30",
            "strategy": "KOL reviews + search ads",
        },
        lambda r: {
            "target_value": "35.0000",
            "owner_id": r.other_member,
            "strategy": "KOL reviews + search ads",
        },
    ),
    Kind(
        "budget-lines",
        S.draft,
        lambda r: {"category": "promotion_media", "planned_amount": "450000.00", "note": "Feeds"},
        lambda r: {"planned_amount": "420000.50", "note": None},
        lambda r: {"category": "promotion_media", "planned_amount": "450000.00", "note": "Feeds"},
        lambda r: {"category": "promotion_media", "planned_amount": "420000.50", "note": None},
    ),
    Kind(
        "expenses",
        S.approved,
        lambda r: {
            "category": "promotion_media",
            "amount": "35000.00",
            "spent_on": "2024-06-10",
            "vendor": "Feed ads platform",
            "reference": "INV-2024-0610",
        },
        lambda r: {"amount": "34800.00", "reference": "INV-2024-0610-B"},
        lambda r: {"amount": "35000.00", "spent_on": "2024-06-10", "vendor": "Feed ads platform"},
        lambda r: {"amount": "34800.00", "reference": "INV-2024-0610-B", "spent_on": "2024-06-10"},
    ),
    Kind(
        "phases",
        S.draft,
        lambda r: {
            "name": "warm-up",
            "start_date": "2024-05-26",
            "end_date": "2024-05-31",
            "core_actions": "KOC teasers, countdown posts",
            "executor_id": r.member,
        },
        lambda r: {"end_date": "2024-06-01", "executor_id": None},
        lambda r: {"name": "warm-up", "end_date": "2024-05-31", "executor_id": r.member},
        lambda r: {"name": "warm-up", "end_date": "2024-06-01", "executor_id": None},
    ),
    Kind(
        "risks",
        S.draft,
        lambda r: {
            "description": "Posts rejected for medical claims",
            "probability": "high",
            "impact": "high",
            "mitigation": "Legal review of every claim",
            "owner_id": r.member,
            "phase_id": r.phase,
        },
        lambda r: {"status": "mitigated", "phase_id": None},
        lambda r: {"status": "open", "phase_id": r.phase, "owner_id": r.member},
        lambda r: {"status": "mitigated", "phase_id": None, "owner_id": r.member},
    ),
]
KIND_IDS = [k.path for k in KINDS]


def assert_fields(item: dict[str, Any], expected: dict[str, Any]) -> None:
    assert {name: item[name] for name in expected} == expected


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
async def test_plan_item_crud_with_location_etag_and_if_match(
    client, tenant: Tenant, session: AsyncSession, kind: Kind
):
    member = await add_member(client, tenant, name="Zhang Min")
    other_member = await add_member(client, tenant, name="Wang Fang")
    campaign = await create_campaign(client, tenant)
    phase = await add_phase(client, tenant, campaign["id"])
    await set_status(session, campaign["id"], kind.status)
    refs = Refs(member["id"], other_member["id"], phase["id"])
    base = f"/v1/campaigns/{campaign['id']}/{kind.path}"
    editor = tenant.auth(Role.editor)

    created = await client.post(base, json=kind.create(refs), headers=editor)
    assert created.status_code == 201, created.text
    item = created.json()
    assert created.headers["location"] == f"{base}/{item['id']}"
    assert created.headers["etag"] == '"1"'
    assert item["campaign_id"] == campaign["id"]
    assert item["version"] == 1

    fetched = await client.get(created.headers["location"], headers=tenant.auth(Role.viewer))
    assert fetched.status_code == 200
    assert fetched.headers["etag"] == '"1"'
    assert_fields(fetched.json(), kind.created(refs))
    listed = [i["id"] for i in await list_all(client, tenant, base)]
    expected_ids = [item["id"]] if kind.path != "phases" else [phase["id"], item["id"]]
    assert listed == expected_ids

    patched = await client.patch(
        f"{base}/{item['id']}", json=kind.patch(refs), headers=editor | {"If-Match": '"1"'}
    )
    assert patched.status_code == 200, patched.text
    assert patched.headers["etag"] == '"2"'
    assert patched.json()["version"] == 2

    stale = await client.patch(
        f"{base}/{item['id']}", json=kind.create(refs), headers=editor | {"If-Match": '"1"'}
    )
    problem = assert_problem(stale, 412, "precondition_failed")
    assert problem["current_version"] == 2
    after = await client.get(f"{base}/{item['id']}", headers=editor)
    assert after.headers["etag"] == '"2"'
    assert_fields(after.json(), kind.patched(refs))

    stale_delete = await client.delete(f"{base}/{item['id']}", headers=editor | {"If-Match": '"1"'})
    assert_problem(stale_delete, 412)
    deleted = await client.delete(f"{base}/{item['id']}", headers=editor | {"If-Match": '"2"'})
    assert deleted.status_code == 204
    assert_problem(await client.get(f"{base}/{item['id']}", headers=editor), 404, "not_found")
    assert item["id"] not in [i["id"] for i in await list_all(client, tenant, base)]


async def test_plan_items_are_listed_page_by_page_in_creation_order(client, tenant: Tenant):
    campaign = await create_campaign(client, tenant)
    created = [
        (await add_item(client, tenant, campaign["id"], "budget-lines", body))["id"]
        for body in (
            {"category": category, "planned_amount": amount} for category, amount in BUDGET.items()
        )
    ]
    seen: list[str] = []
    cursor = None
    pages = 0
    while pages < 10:  # a bound, so that a cursor that never ends fails instead of hanging
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        response = await client.get(
            f"/v1/campaigns/{campaign['id']}/budget-lines",
            params=params,
            headers=tenant.auth(Role.viewer),
        )
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        seen += [line["id"] for line in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == created


# --- campaigns --------------------------------------------------------------------------------


async def test_campaign_is_created_as_a_draft_with_workspace_defaults(client, tenant: Tenant):
    owner = await add_member(client, tenant, name="Zhang Min", title="Brand manager")
    response = await client.post(
        "/v1/campaigns",
        json=SAMPLE_CAMPAIGN | {"owner_id": owner["id"]},
        headers=tenant.auth(Role.editor),
    )
    assert response.status_code == 201, response.text
    campaign = response.json()
    assert response.headers["location"] == f"/v1/campaigns/{campaign['id']}"
    assert response.headers["etag"] == '"1"'
    assert campaign["status"] == "draft"
    assert campaign["timezone"] == "Asia/Shanghai"
    assert campaign["currency"] == "CNY"
    assert campaign["owner_id"] == owner["id"]
    assert campaign["channels"] == SAMPLE_CAMPAIGN["channels"]
    assert campaign["tags"] == SAMPLE_CAMPAIGN["tags"]
    assert (campaign["start_date"], campaign["end_date"]) == ("2024-05-01", "2024-07-15")

    fetched = await client.get(response.headers["location"], headers=tenant.auth(Role.viewer))
    assert fetched.headers["etag"] == '"1"'
    assert fetched.json()["name"] == "Summer skincare launch 2024"

    other = await create_campaign(
        client, tenant, name="Europe rollout", timezone="Europe/Berlin", currency="EUR"
    )
    assert (other["timezone"], other["currency"]) == ("Europe/Berlin", "EUR")


async def test_campaign_patch_honours_if_match(client, tenant: Tenant):
    campaign = await create_campaign(client, tenant)
    url = f"/v1/campaigns/{campaign['id']}"
    editor = tenant.auth(Role.editor)
    changed = await client.patch(
        url, json={"core_message": "Sun-proof, all summer"}, headers=editor | {"If-Match": '"1"'}
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"'
    stale = await client.patch(
        url, json={"core_message": "Too late"}, headers=editor | {"If-Match": '"1"'}
    )
    assert_problem(stale, 412, "precondition_failed")
    current = (await client.get(url, headers=editor)).json()
    assert current["core_message"] == "Sun-proof, all summer"
    assert current["version"] == 2


async def test_only_a_draft_campaign_can_be_deleted(client, tenant: Tenant, session: AsyncSession):
    draft = await create_campaign(client, tenant, name="Scrapped idea")
    goal = await add_item(client, tenant, draft["id"], "goals", GOALS[0])
    assert (
        await client.delete(f"/v1/campaigns/{draft['id']}", headers=tenant.auth(Role.editor))
    ).status_code == 204
    assert_problem(
        await client.get(f"/v1/campaigns/{draft['id']}", headers=tenant.auth()), 404, "not_found"
    )
    assert_problem(
        await client.get(f"/v1/campaigns/{draft['id']}/goals/{goal['id']}", headers=tenant.auth()),
        404,
    )

    approved = await create_campaign(client, tenant)
    await set_status(session, approved["id"], S.approved)
    refused = await client.delete(f"/v1/campaigns/{approved['id']}", headers=tenant.auth())
    problem = assert_problem(refused, 409, "invalid_transition")
    assert problem["allowed_actions"] == ["revise", "activate", "cancel"]
    assert problem["campaign_status"] == "approved"
    still = await client.get(f"/v1/campaigns/{approved['id']}", headers=tenant.auth())
    assert still.status_code == 200
    assert still.json()["status"] == "approved"


async def test_campaign_owner_must_be_a_member_of_the_workspace(
    client, tenant: Tenant, other_tenant: Tenant
):
    foreign = await add_member(client, other_tenant, name="Outsider")
    for owner_id in (foreign["id"], str(uuid.uuid4())):
        response = await client.post(
            "/v1/campaigns",
            json=SAMPLE_CAMPAIGN | {"owner_id": owner_id},
            headers=tenant.auth(Role.editor),
        )
        problem = assert_problem(response, 422)
        assert fields_of(problem) == {"body.owner_id"}
        assert problem["errors"][0]["type"] == "unknown_member"
    assert await list_all(client, tenant, "/v1/campaigns") == []

    campaign = await create_campaign(client, tenant)
    patched = await client.patch(
        f"/v1/campaigns/{campaign['id']}",
        json={"owner_id": foreign["id"]},
        headers=tenant.auth(Role.editor),
    )
    assert fields_of(assert_problem(patched, 422)) == {"body.owner_id"}
    current = await client.get(f"/v1/campaigns/{campaign['id']}", headers=tenant.auth())
    assert current.json()["owner_id"] is None


# --- when each kind may change ----------------------------------------------------------------


async def test_goals_and_budget_are_frozen_once_approved(
    client, tenant: Tenant, session: AsyncSession
):
    campaign = await create_campaign(client, tenant)
    cid = campaign["id"]
    goal = await add_item(client, tenant, cid, "goals", GOALS[0])
    line = await add_item(
        client, tenant, cid, "budget-lines", {"category": "labour", "planned_amount": "150000"}
    )
    editor = tenant.auth(Role.editor)
    for status in (S.approved, S.active, S.pending_approval, S.completed):
        await set_status(session, cid, status)
        for path, item, body in (
            ("goals", goal, GOALS[2]),
            ("budget-lines", line, {"category": "contingency", "planned_amount": "100000"}),
        ):
            base = f"/v1/campaigns/{cid}/{path}"
            posted = await client.post(base, json=body, headers=editor)
            assert assert_problem(posted, 409, "campaign_locked")["campaign_status"] == status
            patched = await client.patch(f"{base}/{item['id']}", json=body, headers=editor)
            assert_problem(patched, 409, "campaign_locked")
            deleted = await client.delete(f"{base}/{item['id']}", headers=editor)
            assert_problem(deleted, 409, "campaign_locked")
            assert [i["id"] for i in await list_all(client, tenant, base)] == [item["id"]]
    unchanged = await client.get(f"/v1/campaigns/{cid}/goals/{goal['id']}", headers=editor)
    assert unchanged.json()["metric_key"] == "new_users"
    assert unchanged.json()["version"] == 1

    await set_status(session, cid, S.rejected)
    await add_item(client, tenant, cid, "goals", GOALS[2])
    patched = await client.patch(
        f"/v1/campaigns/{cid}/budget-lines/{line['id']}",
        json={"planned_amount": "160000"},
        headers=editor,
    )
    assert patched.status_code == 200, patched.text
    assert Decimal(patched.json()["planned_amount"]) == Decimal("160000")


async def test_approved_campaign_dates_are_frozen_but_its_texts_are_not(
    client, tenant: Tenant, session: AsyncSession
):
    campaign = await create_campaign(client, tenant)
    await set_status(session, campaign["id"], S.approved)
    url = f"/v1/campaigns/{campaign['id']}"
    dates = await client.patch(url, json={"end_date": "2024-07-31"}, headers=tenant.auth())
    assert_problem(dates, 409, "campaign_locked")
    texts = await client.patch(url, json={"core_message": "Summer, unburnt"}, headers=tenant.auth())
    assert texts.status_code == 200, texts.text
    assert texts.json()["end_date"] == "2024-07-15"


async def test_expenses_are_recorded_only_once_approved(
    client, tenant: Tenant, session: AsyncSession
):
    campaign = await create_campaign(client, tenant)
    cid = campaign["id"]
    base = f"/v1/campaigns/{cid}/expenses"
    body = {"category": "promotion_media", "amount": "35000.00", "spent_on": "2024-06-10"}
    editor = tenant.auth(Role.editor)
    for status in (S.draft, S.pending_approval, S.rejected):
        await set_status(session, cid, status)
        assert_problem(await client.post(base, json=body, headers=editor), 409, "campaign_locked")
    assert await list_all(client, tenant, base) == []

    recorded = []
    for status in (S.approved, S.active, S.completed):
        await set_status(session, cid, status)
        expense = await add_item(client, tenant, cid, "expenses", body)
        recorded.append(expense["id"])
        fixed = await client.patch(
            f"{base}/{expense['id']}", json={"amount": "34800.00"}, headers=editor
        )
        assert fixed.status_code == 200, fixed.text
    assert [e["id"] for e in await list_all(client, tenant, base)] == recorded

    await set_status(session, cid, S.archived)
    assert_problem(await client.post(base, json=body, headers=editor), 409, "campaign_locked")
    assert_problem(
        await client.delete(f"{base}/{recorded[0]}", headers=editor), 409, "campaign_locked"
    )


async def test_phases_and_risks_stay_editable_while_active(
    client, tenant: Tenant, session: AsyncSession
):
    campaign = await create_campaign(client, tenant)
    cid = campaign["id"]
    editor = tenant.auth(Role.editor)
    await set_status(session, cid, S.active)
    phase = await add_phase(client, tenant, cid)
    moved = await client.patch(
        f"/v1/campaigns/{cid}/phases/{phase['id']}",
        json={"end_date": "2024-06-20"},
        headers=editor,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["end_date"] == "2024-06-20"
    risk = await add_item(
        client,
        tenant,
        cid,
        "risks",
        {"description": "Stock runs out in the burst", "probability": "medium", "impact": "high"},
    )
    occurred = await client.patch(
        f"/v1/campaigns/{cid}/risks/{risk['id']}", json={"status": "occurred"}, headers=editor
    )
    assert occurred.json()["status"] == "occurred"

    for status in (S.pending_approval, S.completed, S.cancelled):
        await set_status(session, cid, status)
        for path, item, body in (
            ("phases", phase, {"name": "wrap-up"}),
            ("risks", risk, {"status": "closed"}),
        ):
            base = f"/v1/campaigns/{cid}/{path}"
            refused = await client.patch(f"{base}/{item['id']}", json=body, headers=editor)
            assert_problem(refused, 409, "campaign_locked")
    assert_problem(
        await client.post(
            f"/v1/campaigns/{cid}/phases",
            json={"name": "encore", "start_date": "2024-07-01", "end_date": "2024-07-10"},
            headers=editor,
        ),
        409,
        "campaign_locked",
    )


# --- who and what an item may name ------------------------------------------------------------

MEMBER_FIELDS = [
    ("goals", "owner_id", GOALS[0]),
    (
        "phases",
        "executor_id",
        {"name": "burst", "start_date": "2024-06-01", "end_date": "2024-06-18"},
    ),
    (
        "risks",
        "owner_id",
        {"description": "KOC no-shows", "probability": "low", "impact": "medium"},
    ),
]
MEMBER_FIELD_IDS = [f"{path}.{field}" for path, field, _ in MEMBER_FIELDS]


@pytest.mark.parametrize(("path", "field", "body"), MEMBER_FIELDS, ids=MEMBER_FIELD_IDS)
async def test_member_fields_must_name_a_member_of_the_workspace(
    client, tenant: Tenant, other_tenant: Tenant, path: str, field: str, body: dict[str, Any]
):
    campaign = await create_campaign(client, tenant)
    base = f"/v1/campaigns/{campaign['id']}/{path}"
    editor = tenant.auth(Role.editor)
    foreign = await add_member(client, other_tenant, name="Outsider")
    for member_id in (foreign["id"], str(uuid.uuid4())):
        refused = await client.post(base, json=body | {field: member_id}, headers=editor)
        problem = assert_problem(refused, 422)
        assert fields_of(problem) == {f"body.{field}"}
        assert problem["errors"][0]["type"] == "unknown_member"
    assert await list_all(client, tenant, base) == []

    member = await add_member(client, tenant, name="Li Na")
    item = await add_item(client, tenant, campaign["id"], path, body | {field: member["id"]})
    assert item[field] == member["id"]
    patched = await client.patch(
        f"{base}/{item['id']}", json={field: foreign["id"]}, headers=editor
    )
    problem = assert_problem(patched, 422)
    assert fields_of(problem) == {f"body.{field}"}
    assert problem["errors"][0]["type"] == "unknown_member"
    current = await client.get(f"{base}/{item['id']}", headers=editor)
    assert current.json()[field] == member["id"]
    assert current.json()["version"] == 1


@pytest.mark.parametrize(
    ("path", "field", "body"),
    [*MEMBER_FIELDS, ("risks", "phase_id", MEMBER_FIELDS[2][2])],
    ids=[*MEMBER_FIELD_IDS, "risks.phase_id"],
)
async def test_patch_naming_an_id_that_does_not_exist_is_422(
    client, tenant: Tenant, path: str, field: str, body: dict[str, Any]
):
    campaign = await create_campaign(client, tenant)
    item = await add_item(client, tenant, campaign["id"], path, body)
    response = await client.patch(
        f"/v1/campaigns/{campaign['id']}/{path}/{item['id']}",
        json={field: str(uuid.uuid4())},
        headers=tenant.auth(Role.editor),
    )
    assert fields_of(assert_problem(response, 422)) == {f"body.{field}"}


@pytest.mark.parametrize(
    ("start", "end", "fields"),
    [
        ("2024-06-18", "2024-06-01", {"body.end_date"}),
        ("2024-04-30", "2024-05-25", {"body.start_date"}),
        ("2024-06-19", "2024-07-16", {"body.end_date"}),
        ("2024-04-01", "2024-08-01", {"body.start_date", "body.end_date"}),
    ],
)
async def test_phase_dates_must_be_ordered_and_inside_the_campaign(
    client, tenant: Tenant, start: str, end: str, fields: set[str]
):
    campaign = await create_campaign(client, tenant)
    base = f"/v1/campaigns/{campaign['id']}/phases"
    response = await client.post(
        base,
        json={"name": "burst", "start_date": start, "end_date": end},
        headers=tenant.auth(Role.editor),
    )
    assert fields_of(assert_problem(response, 422)) == fields
    assert await list_all(client, tenant, base) == []


async def test_phase_dates_are_checked_on_patch_and_the_bounds_are_inclusive(
    client, tenant: Tenant
):
    campaign = await create_campaign(client, tenant)
    whole = await add_phase(client, tenant, campaign["id"], "whole", "2024-05-01", "2024-07-15")
    url = f"/v1/campaigns/{campaign['id']}/phases/{whole['id']}"
    editor = tenant.auth(Role.editor)
    backwards = await client.patch(url, json={"end_date": "2024-04-30"}, headers=editor)
    assert "body.end_date" in fields_of(assert_problem(backwards, 422))
    early = await client.patch(url, json={"start_date": "2024-04-30"}, headers=editor)
    assert fields_of(assert_problem(early, 422)) == {"body.start_date"}
    current = (await client.get(url, headers=editor)).json()
    assert (current["start_date"], current["end_date"]) == ("2024-05-01", "2024-07-15")
    assert current["version"] == 1

    undated = await create_campaign(client, tenant, start_date=None, end_date=None)
    await add_phase(client, tenant, undated["id"], "teaser", "2023-12-01", "2023-12-31")


async def test_a_risk_can_only_point_at_a_phase_of_its_own_campaign(client, tenant: Tenant):
    campaign = await create_campaign(client, tenant)
    other = await create_campaign(client, tenant, name="618 shopping festival push")
    own_phase = await add_phase(client, tenant, campaign["id"])
    other_phase = await add_phase(client, tenant, other["id"])
    base = f"/v1/campaigns/{campaign['id']}/risks"
    editor = tenant.auth(Role.editor)
    body = {"description": "Livestream host cancels", "probability": "low", "impact": "high"}

    refused = await client.post(base, json=body | {"phase_id": other_phase["id"]}, headers=editor)
    assert fields_of(assert_problem(refused, 422)) == {"body.phase_id"}
    assert await list_all(client, tenant, base) == []

    risk = await add_item(
        client, tenant, campaign["id"], "risks", body | {"phase_id": own_phase["id"]}
    )
    moved = await client.patch(
        f"{base}/{risk['id']}", json={"phase_id": other_phase["id"]}, headers=editor
    )
    assert fields_of(assert_problem(moved, 422)) == {"body.phase_id"}

    removed = await client.delete(
        f"/v1/campaigns/{campaign['id']}/phases/{own_phase['id']}", headers=editor
    )
    assert removed.status_code == 204
    orphan = await client.get(f"{base}/{risk['id']}", headers=editor)
    assert orphan.status_code == 200
    assert orphan.json()["phase_id"] is None


# --- money ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount", ["-0.01", -5, "100.005", 1.005, "abc", "NaN", "1000000000000.00", True, None]
)
async def test_money_must_be_a_non_negative_amount_with_at_most_two_decimals(
    client, tenant: Tenant, session: AsyncSession, amount: Any
):
    campaign = await create_campaign(client, tenant)
    cid = campaign["id"]
    editor = tenant.auth(Role.editor)
    line = await client.post(
        f"/v1/campaigns/{cid}/budget-lines",
        json={"category": "materials", "planned_amount": amount},
        headers=editor,
    )
    assert fields_of(assert_problem(line, 422)) == {"body.planned_amount"}
    assert await list_all(client, tenant, f"/v1/campaigns/{cid}/budget-lines") == []

    await set_status(session, cid, S.approved)
    expense = await client.post(
        f"/v1/campaigns/{cid}/expenses",
        json={"category": "materials", "amount": amount, "spent_on": "2024-05-20"},
        headers=editor,
    )
    assert fields_of(assert_problem(expense, 422)) == {"body.amount"}
    recorded = await add_item(
        client,
        tenant,
        cid,
        "expenses",
        {"category": "materials", "amount": "1200.00", "spent_on": "2024-05-20"},
    )
    patched = await client.patch(
        f"/v1/campaigns/{cid}/expenses/{recorded['id']}", json={"amount": amount}, headers=editor
    )
    assert fields_of(assert_problem(patched, 422)) == {"body.amount"}


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("450000.00", "450000.00"),
        ("450000", "450000.00"),
        (120000, "120000.00"),
        (0.5, "0.50"),
        ("0", "0.00"),
        ("999999999999.99", "999999999999.99"),
    ],
)
async def test_money_is_accepted_as_string_or_number_and_read_back_with_two_decimals(
    client, tenant: Tenant, sent: Any, stored: str
):
    campaign = await create_campaign(client, tenant)
    line = await add_item(
        client,
        tenant,
        campaign["id"],
        "budget-lines",
        {"category": "labour", "planned_amount": sent},
    )
    assert Decimal(line["planned_amount"]) == Decimal(stored)
    fetched = await client.get(
        f"/v1/campaigns/{campaign['id']}/budget-lines/{line['id']}", headers=tenant.auth()
    )
    assert fetched.json()["planned_amount"] == stored


async def test_money_in_write_responses_has_two_decimals(client, tenant: Tenant):
    campaign = await create_campaign(client, tenant)
    base = f"/v1/campaigns/{campaign['id']}/budget-lines"
    created = await client.post(
        base, json={"category": "labour", "planned_amount": 120000}, headers=tenant.auth()
    )
    assert created.json()["planned_amount"] == "120000.00"
    patched = await client.patch(
        f"{base}/{created.json()['id']}", json={"planned_amount": 0.5}, headers=tenant.auth()
    )
    assert patched.json()["planned_amount"] == "0.50"


# --- budget summary ---------------------------------------------------------------------------


def category(summary: dict[str, Any], name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [c for c in summary["categories"] if c["category"] == name]
    assert len(found) == 1
    return found[0]


async def test_budget_summary_before_anything_is_planned(client, tenant: Tenant):
    campaign = await create_campaign(client, tenant)
    response = await client.get(
        f"/v1/campaigns/{campaign['id']}/budget", headers=tenant.auth(Role.viewer)
    )
    assert response.status_code == 200
    summary = response.json()
    assert summary["currency"] == "CNY"
    assert [c["category"] for c in summary["categories"]] == [
        "labour",
        "materials",
        "promotion_media",
        "third_party_services",
        "contingency",
        "other",
    ]
    for figures in [*summary["categories"], summary]:
        assert (figures["planned"], figures["spent"], figures["remaining"]) == (
            "0.00",
            "0.00",
            "0.00",
        )
        assert figures["burn_percent"] is None
    assert summary["contingency_share_percent"] is None


async def test_budget_summary_gives_exact_figures(client, tenant: Tenant, session: AsyncSession):
    campaign = await create_campaign(client, tenant, currency="CNY")
    cid = campaign["id"]
    for name, amount in BUDGET.items():
        await add_item(
            client, tenant, cid, "budget-lines", {"category": name, "planned_amount": amount}
        )
    await set_status(session, cid, S.approved)
    spending: list[tuple[Any, str]] = [("35000.00", "Feed ads"), (12345.67, "Short video ads")]
    for amount, vendor in spending:
        await add_item(
            client,
            tenant,
            cid,
            "expenses",
            {
                "category": "promotion_media",
                "amount": amount,
                "spent_on": "2024-06-10",
                "vendor": vendor,
            },
        )
    await add_item(
        client,
        tenant,
        cid,
        "expenses",
        {"category": "other", "amount": "500", "spent_on": "2024-06-11", "note": "Courier"},
    )

    summary = (await client.get(f"/v1/campaigns/{cid}/budget", headers=tenant.auth())).json()
    assert summary["currency"] == "CNY"
    assert category(summary, "promotion_media") == {
        "category": "promotion_media",
        "planned": "450000.00",
        "spent": "47345.67",
        "remaining": "402654.33",
        "burn_percent": "10.52",
        "approved_planned": "450000.00",  # approved: the baseline is the plan itself
    }
    assert category(summary, "labour") == {
        "category": "labour",
        "planned": "150000.00",
        "spent": "0.00",
        "remaining": "150000.00",
        "burn_percent": "0.00",
        "approved_planned": "150000.00",
    }
    assert category(summary, "other") == {
        "category": "other",
        "planned": "0.00",
        "spent": "500.00",
        "remaining": "-500.00",
        "burn_percent": None,
        "approved_planned": "0.00",
    }
    assert category(summary, "contingency")["planned"] == "100000.00"
    assert summary["planned"] == "900000.00"
    assert summary["spent"] == "47845.67"
    assert summary["remaining"] == "852154.33"
    assert summary["burn_percent"] == "5.32"
    assert summary["contingency_share_percent"] == "11.11"


# --- readiness (lightly) ----------------------------------------------------------------------


async def test_readiness_flags_overlapping_phases_and_phases_outside_new_dates(
    client, tenant: Tenant
):
    campaign = await create_campaign(client, tenant)
    cid = campaign["id"]
    phases = {name: await add_phase(client, tenant, cid, name, s, e) for name, s, e in PHASES}
    url = f"/v1/campaigns/{cid}/readiness"

    before = (await client.get(url, headers=tenant.auth(Role.viewer))).json()
    assert "phases_overlap" not in {w["code"] for w in before["warnings"]}
    assert "phase_outside_campaign" not in {b["code"] for b in before["blockers"]}

    stretched = await client.patch(
        f"/v1/campaigns/{cid}/phases/{phases['warm-up']['id']}",
        json={"end_date": "2024-06-01"},
        headers=tenant.auth(Role.editor),
    )
    assert stretched.status_code == 200, stretched.text
    overlap = (await client.get(url, headers=tenant.auth())).json()
    warnings = [w for w in overlap["warnings"] if w["code"] == "phases_overlap"]
    assert len(warnings) == 1
    assert "'warm-up'" in warnings[0]["message"]
    assert "'burst'" in warnings[0]["message"]

    shortened = await client.patch(
        f"/v1/campaigns/{cid}", json={"end_date": "2024-06-30"}, headers=tenant.auth(Role.editor)
    )
    assert shortened.status_code == 200, shortened.text
    after = (await client.get(url, headers=tenant.auth())).json()
    assert after["ready"] is False
    outside = [b for b in after["blockers"] if b["code"] == "phase_outside_campaign"]
    assert [b["ref"] for b in outside] == [f"phases/{phases['wrap-up']['id']}"]


# --- tenancy and roles ------------------------------------------------------------------------


async def test_another_workspace_cannot_see_or_touch_the_campaign(
    client, tenant: Tenant, other_tenant: Tenant
):
    campaign = await create_campaign(client, tenant)
    cid = campaign["id"]
    goal = await add_item(client, tenant, cid, "goals", GOALS[0])
    foreign = other_tenant.auth()
    for method, url, body in (
        ("GET", f"/v1/campaigns/{cid}", None),
        ("PATCH", f"/v1/campaigns/{cid}", {"name": "Hijacked"}),
        ("DELETE", f"/v1/campaigns/{cid}", None),
        ("GET", f"/v1/campaigns/{cid}/budget", None),
        ("GET", f"/v1/campaigns/{cid}/readiness", None),
        ("GET", f"/v1/campaigns/{cid}/goals", None),
        ("POST", f"/v1/campaigns/{cid}/goals", GOALS[2]),
        ("GET", f"/v1/campaigns/{cid}/goals/{goal['id']}", None),
        ("PATCH", f"/v1/campaigns/{cid}/goals/{goal['id']}", {"metric_key": "gmv"}),
        ("DELETE", f"/v1/campaigns/{cid}/goals/{goal['id']}", None),
    ):
        response = await client.request(method, url, json=body, headers=foreign)
        assert_problem(response, 404, "not_found")
    assert await list_all(client, other_tenant, "/v1/campaigns") == []
    mine = await client.get(f"/v1/campaigns/{cid}/goals/{goal['id']}", headers=tenant.auth())
    assert mine.json()["metric_key"] == "new_users"
    assert mine.json()["version"] == 1
    assert (await client.get(f"/v1/campaigns/{cid}", headers=tenant.auth())).json()[
        "name"
    ] == SAMPLE_CAMPAIGN["name"]


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
async def test_an_item_of_another_campaign_is_not_found(
    client, tenant: Tenant, session: AsyncSession, kind: Kind
):
    member = await add_member(client, tenant)
    first = await create_campaign(client, tenant)
    second = await create_campaign(client, tenant, name="618 shopping festival push")
    phase = await add_phase(client, tenant, first["id"])
    await set_status(session, first["id"], kind.status)
    await set_status(session, second["id"], kind.status)
    refs = Refs(member["id"], member["id"], phase["id"])
    item = await add_item(client, tenant, first["id"], kind.path, kind.create(refs))
    wrong = f"/v1/campaigns/{second['id']}/{kind.path}/{item['id']}"
    editor = tenant.auth(Role.editor)
    assert_problem(await client.get(wrong, headers=editor), 404, "not_found")
    assert_problem(await client.patch(wrong, json=kind.patch(refs), headers=editor), 404)
    assert_problem(await client.delete(wrong, headers=editor), 404)
    right = await client.get(
        f"/v1/campaigns/{first['id']}/{kind.path}/{item['id']}", headers=editor
    )
    assert right.status_code == 200
    assert right.json()["version"] == 1


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
async def test_a_viewer_cannot_add_plan_items(
    client, tenant: Tenant, session: AsyncSession, kind: Kind
):
    member = await add_member(client, tenant)
    campaign = await create_campaign(client, tenant)
    phase = await add_phase(client, tenant, campaign["id"])
    await set_status(session, campaign["id"], kind.status)
    refs = Refs(member["id"], member["id"], phase["id"])
    base = f"/v1/campaigns/{campaign['id']}/{kind.path}"
    before = await list_all(client, tenant, base)
    refused = await client.post(base, json=kind.create(refs), headers=tenant.auth(Role.viewer))
    problem = assert_problem(refused, 403, "forbidden")
    assert "editor" in problem["detail"]
    assert await list_all(client, tenant, base) == before
    allowed = await client.post(base, json=kind.create(refs), headers=tenant.auth(Role.editor))
    assert allowed.status_code == 201, allowed.text


async def test_a_viewer_cannot_create_or_change_a_campaign(client, tenant: Tenant):
    refused = await client.post(
        "/v1/campaigns", json=SAMPLE_CAMPAIGN, headers=tenant.auth(Role.viewer)
    )
    assert_problem(refused, 403, "forbidden")
    campaign = await create_campaign(client, tenant)
    patched = await client.patch(
        f"/v1/campaigns/{campaign['id']}", json={"name": "x"}, headers=tenant.auth(Role.viewer)
    )
    assert_problem(patched, 403)
    assert [c["id"] for c in await list_all(client, tenant, "/v1/campaigns")] == [campaign["id"]]


# --- the campaign list ------------------------------------------------------------------------

LISTED = [  # name, start, end  (created in this order)
    ("Double eleven warm-up", "2024-10-20", "2024-11-11"),
    ("Brand film autumn", "2024-09-01", "2024-10-31"),
    ("Eastern region rollout", None, None),
    ("Summer skincare launch 2024", "2024-05-01", "2024-07-15"),
    ("Autumn livestreams", "2024-08-15", "2024-09-30"),
]
BY_NAME = sorted(name for name, _, _ in LISTED)
CREATED = [name for name, _, _ in LISTED]
BY_START = [
    "Summer skincare launch 2024",
    "Autumn livestreams",
    "Brand film autumn",
    "Double eleven warm-up",
    "Eastern region rollout",  # no start date: last
]


async def walk(client: httpx.AsyncClient, tenant: Tenant, sort: str) -> list[str]:
    names: list[str] = []
    ids: set[str] = set()
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"sort": sort, "limit": 2} | ({"cursor": cursor} if cursor else {})
        response = await client.get("/v1/campaigns", params=params, headers=tenant.auth())
        assert response.status_code == 200, response.text
        page = response.json()
        assert 1 <= len(page["items"]) <= 2
        for campaign in page["items"]:
            assert campaign["id"] not in ids
            ids.add(campaign["id"])
            names.append(campaign["name"])
        cursor = page["next_cursor"]
        if cursor is None:
            return names
    raise AssertionError("the pages never end")


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("created_at", CREATED),
        ("-created_at", CREATED[::-1]),
        ("start_date", BY_START),
        ("-start_date", BY_START[::-1]),
        ("name", BY_NAME),
        ("-name", BY_NAME[::-1]),
    ],
)
async def test_campaign_list_sorts_and_pages(
    client, tenant: Tenant, sort: str, expected: list[str]
):
    for name, start, end in LISTED:
        await create_campaign(client, tenant, name=name, start_date=start, end_date=end)
    assert await walk(client, tenant, sort) == expected


async def test_default_order_is_newest_first(client, tenant: Tenant):
    for name, start, end in LISTED:
        await create_campaign(client, tenant, name=name, start_date=start, end_date=end)
    names = [c["name"] for c in await list_all(client, tenant, "/v1/campaigns")]
    assert names == CREATED[::-1]


async def test_a_cursor_only_works_with_the_sort_it_was_made_for(client, tenant: Tenant):
    for name, start, end in LISTED:
        await create_campaign(client, tenant, name=name, start_date=start, end_date=end)
    first = await client.get(
        "/v1/campaigns", params={"sort": "name", "limit": 2}, headers=tenant.auth()
    )
    cursor = first.json()["next_cursor"]
    assert cursor is not None
    for sort in ("-name", "start_date", "-created_at"):
        reused = await client.get(
            "/v1/campaigns",
            params={"sort": sort, "limit": 2, "cursor": cursor},
            headers=tenant.auth(),
        )
        assert_problem(reused, 400, "bad_request")
    garbage = await client.get(
        "/v1/campaigns", params={"sort": "name", "cursor": "not-a-cursor"}, headers=tenant.auth()
    )
    assert_problem(garbage, 400)
    same = await client.get(
        "/v1/campaigns",
        params={"sort": "name", "limit": 2, "cursor": cursor},
        headers=tenant.auth(),
    )
    assert [c["name"] for c in same.json()["items"]] == BY_NAME[2:4]
    unknown_sort = await client.get(
        "/v1/campaigns", params={"sort": "budget"}, headers=tenant.auth()
    )
    assert fields_of(assert_problem(unknown_sort, 422)) == {"query.sort"}


async def test_campaign_list_filters(
    client, tenant: Tenant, other_tenant: Tenant, session: AsyncSession
):
    lead = await add_member(client, tenant, name="Zhang Min")
    sales = await add_member(client, tenant, name="Chen Jie")
    launch = await create_campaign(client, tenant, owner_id=lead["id"])
    festival = await create_campaign(
        client,
        tenant,
        name="618 shopping festival push",
        kind="promotion",
        background="Mid-year sale on the e-commerce channels",
        tags=["618"],
        start_date="2024-06-01",
        end_date="2024-06-18",
        owner_id=sales["id"],
    )
    film = await create_campaign(
        client,
        tenant,
        name="Brand film autumn",
        kind="brand_awareness",
        background="Follow-up to the SKINCARE launch, 100% brand",
        tags=["video"],
        start_date="2024-09-01",
        end_date="2024-10-31",
    )
    await create_campaign(
        client,
        tenant,
        name="Untitled idea",
        kind="other",
        background=None,
        tags=[],
        start_date=None,
        end_date=None,
    )
    await create_campaign(client, other_tenant, name="Summer skincare rival")
    await set_status(session, festival["id"], S.approved)
    await set_status(session, film["id"], S.rejected)
    names = {
        launch["id"]: "Summer skincare launch 2024",
        festival["id"]: "618 shopping festival push",
        film["id"]: "Brand film autumn",
    }
    assert set(names.values()) <= set(await campaign_names(client, tenant))

    assert await campaign_names(client, tenant, status="draft") == [
        "Summer skincare launch 2024",
        "Untitled idea",
    ]
    assert await campaign_names(client, tenant, status=["approved", "rejected"]) == [
        "618 shopping festival push",
        "Brand film autumn",
    ]
    assert await campaign_names(client, tenant, owner_id=lead["id"]) == [
        "Summer skincare launch 2024"
    ]
    assert await campaign_names(client, tenant, kind="promotion") == ["618 shopping festival push"]
    assert await campaign_names(client, tenant, tag="offline pop-up store") == [
        "Summer skincare launch 2024"
    ]
    assert await campaign_names(client, tenant, tag="618") == ["618 shopping festival push"]
    assert await campaign_names(client, tenant, tag="offline") == []

    # Date overlap, bounds included; campaigns without dates never match.
    assert await campaign_names(client, tenant, active_from="2024-07-01") == [
        "Brand film autumn",
        "Summer skincare launch 2024",
    ]
    assert await campaign_names(client, tenant, active_to="2024-05-31") == [
        "Summer skincare launch 2024"
    ]
    assert await campaign_names(client, tenant, active_to="2024-06-01") == [
        "618 shopping festival push",
        "Summer skincare launch 2024",
    ]
    assert await campaign_names(
        client, tenant, active_from="2024-06-10", active_to="2024-06-12"
    ) == ["618 shopping festival push", "Summer skincare launch 2024"]
    assert await campaign_names(client, tenant, active_from="2024-06-18") == [
        "618 shopping festival push",
        "Brand film autumn",
        "Summer skincare launch 2024",
    ]
    assert await campaign_names(
        client, tenant, active_from="2024-06-19", active_to="2024-08-31"
    ) == ["Summer skincare launch 2024"]

    # q: name or background, any case; wildcards are literal.
    assert await campaign_names(client, tenant, q="skincare") == [
        "Brand film autumn",
        "Summer skincare launch 2024",
    ]
    assert await campaign_names(client, tenant, q="E-COMMERCE") == ["618 shopping festival push"]
    assert await campaign_names(client, tenant, q="100%") == ["Brand film autumn"]
    assert await campaign_names(client, tenant, q="%") == [
        "Brand film autumn",
        "Summer skincare launch 2024",
    ]
    assert await campaign_names(client, tenant, q="_") == []
    assert await campaign_names(client, tenant, kind="promotion", status="draft") == []
