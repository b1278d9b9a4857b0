"""Money by channel and by work: budget lines and expenses naming a channel or a task,
and the budget read per channel (expenses, else pushed spend) and per piece of work.

The brief's budget: labour 150,000, materials 80,000, promotion/media 450,000 (290,000 on
the social feed, 160,000 in the offline store), third-party services 220,000 (the mall's
elevator ads, for the store) and a contingency of 100,000: 10% of 1,000,000.
"""

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from shared.actor import Role
from shared.campaigns.models import CampaignStatus
from shared.timeutil import utcnow
from tests.api.test_campaign_plan import add_item, create_campaign, set_status
from tests.helpers import Tenant, add_member, assert_problem, fields_of

D = Decimal
CHANNELS = {"social_feed": "Social feed", "offline_store": "Offline store", "tv": "Television"}


async def add_channels(client: httpx.AsyncClient, tenant: Tenant, cid: str) -> None:
    for key, name in CHANNELS.items():
        created = await client.post(
            "/v1/channels", json={"key": key, "name": name}, headers=tenant.auth()
        )
        assert created.status_code == 201, created.text
    attached = await client.put(
        f"/v1/campaigns/{cid}/channels",
        json={"channel_keys": ["social_feed", "offline_store"]},  # not tv
        headers=tenant.auth(Role.editor),
    )
    assert attached.status_code == 200, attached.text


async def add_breakdown(client: httpx.AsyncClient, tenant: Tenant, cid: str) -> dict[str, str]:
    owner = (await add_member(client, tenant, name="Zhang Wei", title="Specialist"))["id"]
    items = [
        ("S-1", "KOC seeding + feed ads", "strategy", None),
        ("M-1", "Seeding content", "module", "S-1"),
        ("M-001", "Select 20 beauty KOCs", "task", "M-1"),
        ("M-003", "Produce 10 posts + 5 short videos", "task", "M-1"),
        ("S-2", "Offline pop-up store", "strategy", None),
    ]
    body = {
        "tasks": [
            {"code": code, "name": name, "level": level, "parent_code": parent, "owner_id": owner}
            for code, name, level, parent in items
        ]
    }
    created = await client.post(
        f"/v1/campaigns/{cid}/tasks/bulk", json=body, headers=tenant.auth(Role.editor)
    )
    assert created.status_code == 201, created.text
    return {task["code"]: task["id"] for task in created.json()}


async def brief_budget(
    client: httpx.AsyncClient, tenant: Tenant, cid: str, tasks: dict[str, str]
) -> dict[str, Any]:
    lines = [
        {"category": "labour", "planned_amount": "150000"},
        {"category": "materials", "planned_amount": "80000", "task_id": tasks["M-003"]},
        {
            "category": "promotion_media",
            "planned_amount": "290000",
            "channel_key": "social_feed",
            "task_id": tasks["S-1"],
        },
        {
            "category": "promotion_media",
            "planned_amount": "160000",
            "channel_key": "offline_store",
            "task_id": tasks["S-2"],
        },
        {
            "category": "third_party_services",
            "planned_amount": "220000",
            "channel_key": "offline_store",
            "note": "Mall elevator ads",
        },
        {"category": "contingency", "planned_amount": "100000"},
    ]
    created = [await add_item(client, tenant, cid, "budget-lines", line) for line in lines]
    return {line["category"] + (line["channel_key"] or ""): line for line in created}


async def brief_campaign(
    client: httpx.AsyncClient, tenant: Tenant
) -> tuple[str, dict[str, str], dict[str, Any]]:
    cid = (await create_campaign(client, tenant))["id"]
    await add_channels(client, tenant, cid)
    tasks = await add_breakdown(client, tenant, cid)
    lines = await brief_budget(client, tenant, cid, tasks)
    return cid, tasks, lines


def yesterday() -> str:
    """The campaign's yesterday (Asia/Shanghai, the workspace default): inside the 30 days
    the figures may be entered for."""
    return str(utcnow().astimezone(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=1))


async def push(client: httpx.AsyncClient, tenant: Tenant, cid: str, **figures: str) -> None:
    points = []
    for name, value in figures.items():
        channel, metric = name.split("__")
        points.append({"channel": channel, "metric": metric, "date": yesterday(), "value": value})
    entered = await client.post(
        f"/v1/campaigns/{cid}/metric-points", json={"points": points}, headers=tenant.auth()
    )
    assert entered.status_code == 201, entered.text
    assert entered.json()["accepted_count"] == len(points), entered.text


async def read(client: httpx.AsyncClient, tenant: Tenant, url: str) -> Any:
    response = await client.get(url, headers=tenant.auth(Role.viewer))
    assert response.status_code == 200, response.text
    return response.json()


async def test_budget_lines_name_a_channel_by_key_and_a_piece_of_work(client, tenant: Tenant):
    cid, tasks, lines = await brief_campaign(client, tenant)
    social = lines["promotion_mediasocial_feed"]
    assert (social["channel_key"], social["task_id"]) == ("social_feed", tasks["S-1"])
    assert (lines["labour"]["channel_key"], lines["labour"]["task_id"]) == (None, None)

    url = f"/v1/campaigns/{cid}/budget-lines/{social['id']}"
    moved = await client.patch(
        url, json={"channel_key": "offline_store", "task_id": None}, headers=tenant.auth()
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["channel_key"], moved.json()["task_id"]) == ("offline_store", None)
    assert moved.json()["planned_amount"] == "290000.00"
    assert (await read(client, tenant, url))["channel_key"] == "offline_store"
    listed = await read(client, tenant, f"/v1/campaigns/{cid}/budget-lines?limit=200")
    keys = sorted(str(item["channel_key"]) for item in listed["items"])
    assert keys == ["None", "None", "None", "offline_store", "offline_store", "offline_store"]

    cleared = await client.patch(url, json={"channel_key": None}, headers=tenant.auth())
    assert cleared.json()["channel_key"] is None

    log = await read(client, tenant, f"/v1/campaigns/{cid}/activity?limit=200")
    changes = [e["changes"] for e in log["items"] if e.get("entity_id") == social["id"]]
    assert any("channel_id" in c and "task_id" in c for c in changes if c), changes


async def test_references_outside_the_campaign_are_refused_naming_the_field(
    client, tenant: Tenant, other_tenant: Tenant
):
    cid, _, lines = await brief_campaign(client, tenant)
    theirs = (await create_campaign(client, other_tenant))["id"]
    await add_channels(client, other_tenant, theirs)
    created = await client.post(
        "/v1/channels",
        json={"key": "partner_tv", "name": "Partner TV"},
        headers=other_tenant.auth(),
    )
    assert created.status_code == 201
    their_tasks = await add_breakdown(client, other_tenant, theirs)
    sibling = (await create_campaign(client, tenant, name="Autumn campaign"))["id"]
    sibling_tasks = await add_breakdown(client, tenant, sibling)

    base = {"category": "promotion_media", "planned_amount": "1000"}
    cases = [
        ({"channel_key": "partner_tv"}, "body.channel_key", "No channel 'partner_tv'"),
        ({"channel_key": "tv"}, "body.channel_key", "not one of the campaign's channels"),
        ({"task_id": their_tasks["S-1"]}, "body.task_id", "No task"),
        ({"task_id": sibling_tasks["S-1"]}, "body.task_id", "No task"),
        ({"task_id": str(uuid.uuid4())}, "body.task_id", "No task"),
        ({"channel_key": "Social Feed"}, "body.channel_key", "pattern"),
    ]
    for fields, field, detail in cases:
        refused = await client.post(
            f"/v1/campaigns/{cid}/budget-lines", json=base | fields, headers=tenant.auth()
        )
        problem = assert_problem(refused, 422)
        assert fields_of(problem) == {field}, (fields, problem)
        assert detail in problem["errors"][0]["detail"], problem

    both = await client.post(
        f"/v1/campaigns/{cid}/budget-lines",
        json=base | {"channel_key": "partner_tv", "task_id": their_tasks["M-001"]},
        headers=tenant.auth(),
    )
    assert fields_of(assert_problem(both, 422)) == {"body.channel_key", "body.task_id"}

    line = lines["labour"]
    url = f"/v1/campaigns/{cid}/budget-lines/{line['id']}"
    refused = await client.patch(url, json={"channel_key": "partner_tv"}, headers=tenant.auth())
    assert fields_of(assert_problem(refused, 422)) == {"body.channel_key"}
    assert (await read(client, tenant, url))["version"] == line["version"]  # nothing changed

    # Another workspace's campaign is not found, whatever it names.
    assert_problem(
        await client.get(f"/v1/campaigns/{theirs}/budget/channels", headers=tenant.auth()), 404
    )
    assert_problem(
        await client.get(f"/v1/campaigns/{theirs}/budget/tasks", headers=tenant.auth()), 404
    )
    listed = await read(client, tenant, f"/v1/campaigns/{cid}/budget-lines?limit=200")
    assert len(listed["items"]) == 6


async def test_expenses_name_channels_and_tasks_too(client, tenant: Tenant, session: AsyncSession):
    path = "expenses"
    cid, tasks, _ = await brief_campaign(client, tenant)
    await set_status(session, cid, CampaignStatus.active)
    expense = await add_item(
        client,
        tenant,
        cid,
        path,
        {
            "category": "promotion_media",
            "amount": "35000.00",
            "spent_on": "2024-06-10",
            "vendor": "Feed ads platform",
            "channel_key": "social_feed",
            "task_id": tasks["S-1"],
        },
    )
    assert (expense["channel_key"], expense["task_id"]) == ("social_feed", tasks["S-1"])
    refused = await client.patch(
        f"/v1/campaigns/{cid}/{path}/{expense['id']}",
        json={"channel_key": "tv"},
        headers=tenant.auth(),
    )
    assert fields_of(assert_problem(refused, 422)) == {"body.channel_key"}


async def test_budget_by_channel_takes_expenses_where_recorded_and_pushed_spend_otherwise(
    client, tenant: Tenant, session: AsyncSession
):
    cid, tasks, _ = await brief_campaign(client, tenant)
    await set_status(session, cid, CampaignStatus.active)
    await push(
        client,
        tenant,
        cid,
        social_feed__spend="34650.25",
        social_feed__revenue="182000",
        social_feed__gmv="182000",
        offline_store__spend="40000",
        offline_store__revenue="32000",
        offline_store__gmv="32000",
    )
    before = await read(client, tenant, f"/v1/campaigns/{cid}/budget/channels")
    social = {c["channel"]: c for c in before["channels"]}["social_feed"]
    assert (social["spend_source"], social["spent"], social["roi"]) == (
        "pushed",
        "34650.25",
        "5.2525",  # 182,000 / 34,650.25 on the platform's figure, until finance records
    )

    for amount, day in (("20000.00", "2024-06-10"), ("15000.00", "2024-06-11")):
        await add_item(
            client,
            tenant,
            cid,
            "expenses",
            {
                "category": "promotion_media",
                "amount": amount,
                "spent_on": day,
                "channel_key": "social_feed",
                "task_id": tasks["S-1"],
            },
        )
    await add_item(
        client,
        tenant,
        cid,
        "expenses",
        {"category": "labour", "amount": "12000.00", "spent_on": "2024-06-10"},
    )

    summary = await read(client, tenant, f"/v1/campaigns/{cid}/budget/channels")
    assert summary["currency"] == "CNY"
    assert [c["channel"] for c in summary["channels"]] == ["offline_store", "social_feed"]
    store, social = summary["channels"]
    assert social == {
        "channel": "social_feed",
        "name": "Social feed",
        "planned": "290000.00",
        "spent": "35000.00",
        "remaining": "255000.00",
        "burn_percent": "12.07",
        "spend_source": "expenses",
        "expenses": "35000.00",
        "pushed_spend": "34650.25",
        "revenue": "182000.00",
        "gmv": "182000.00",
        "roi": "5.2000",  # 1:5.2, the brief's ROI, on the money finance recognises
    }
    assert store == {
        "channel": "offline_store",
        "name": "Offline store",
        "planned": "380000.00",
        "spent": "40000.00",
        "remaining": "340000.00",
        "burn_percent": "10.53",
        "spend_source": "pushed",
        "expenses": None,
        "pushed_spend": "40000.00",
        "revenue": "32000.00",
        "gmv": "32000.00",
        "roi": "0.8000",
    }
    assert summary["unassigned"] == {
        "planned": "330000.00",  # labour, materials (for M-003 only) and contingency
        "spent": "12000.00",
        "remaining": "318000.00",
        "burn_percent": "3.64",
    }
    assert sum(D(c["roi"]) * D(c["spent"]) for c in summary["channels"]) == D("214000")

    # The per-category summary is unchanged and still adds up to the same money.
    categories = await read(client, tenant, f"/v1/campaigns/{cid}/budget")
    assert (categories["planned"], categories["spent"]) == ("1000000.00", "47000.00")
    assert categories["contingency_share_percent"] == "10.00"
    planned = sum(D(c["planned"]) for c in summary["channels"]) + D(
        summary["unassigned"]["planned"]
    )
    assert planned == D(categories["planned"])


async def test_a_channel_without_money_or_figures_says_none(
    client, tenant: Tenant, session: AsyncSession
):
    cid = (await create_campaign(client, tenant))["id"]
    await add_channels(client, tenant, cid)
    summary = await read(client, tenant, f"/v1/campaigns/{cid}/budget/channels")
    assert [
        (c["channel"], c["spend_source"], c["spent"], c["roi"]) for c in summary["channels"]
    ] == [
        ("offline_store", "none", "0.00", None),
        ("social_feed", "none", "0.00", None),
    ]
    assert summary["unassigned"]["burn_percent"] is None


async def test_budget_by_work_rolls_up_the_breakdown(client, tenant: Tenant, session: AsyncSession):
    cid, tasks, _ = await brief_campaign(client, tenant)
    await set_status(session, cid, CampaignStatus.active)
    for amount, task in (("12000.00", "M-003"), ("500.00", "M-1")):
        await add_item(
            client,
            tenant,
            cid,
            "expenses",
            {
                "category": "materials",
                "amount": amount,
                "spent_on": "2024-05-20",
                "task_id": tasks[task],
            },
        )
    work = await read(client, tenant, f"/v1/campaigns/{cid}/budget/tasks")
    assert [(w["code"], w["level"]) for w in work["tasks"]] == [
        ("S-1", "strategy"),
        ("M-1", "module"),
        ("M-003", "task"),
        ("S-2", "strategy"),
    ]  # M-001 has no money
    rows = {w["code"]: w for w in work["tasks"]}
    assert rows["S-1"]["planned"] == "290000.00"
    assert rows["S-1"]["rollup"] == {
        "planned": "370000.00",
        "spent": "12500.00",
        "remaining": "357500.00",
        "burn_percent": "3.38",
    }
    assert (rows["M-1"]["spent"], rows["M-1"]["parent_id"]) == ("500.00", tasks["S-1"])
    assert rows["M-003"]["burn_percent"] == "15.00"
    assert rows["S-2"]["rollup"]["planned"] == "160000.00"
    assert work["unassigned"]["planned"] == "470000.00"  # labour, elevator ads, contingency


async def test_work_that_money_names_stays_but_a_draft_goes_with_its_money(client, tenant: Tenant):
    cid, tasks, lines = await brief_campaign(client, tenant)
    refused = await client.delete(f"/v1/tasks/{tasks['M-003']}", headers=tenant.auth())
    assert_problem(refused, 409, "task_has_money")
    moved = await client.patch(
        f"/v1/campaigns/{cid}/budget-lines/{lines['materials']['id']}",
        json={"task_id": tasks["M-001"]},
        headers=tenant.auth(),
    )
    assert moved.status_code == 200, moved.text
    assert (
        await client.delete(f"/v1/tasks/{tasks['M-003']}", headers=tenant.auth())
    ).status_code == 204

    # A draft goes with its money, its breakdown and the references between them.
    deleted = await client.delete(f"/v1/campaigns/{cid}", headers=tenant.auth(Role.editor))
    assert deleted.status_code == 204, deleted.text
    assert_problem(
        await client.get(f"/v1/campaigns/{cid}/budget/tasks", headers=tenant.auth()), 404
    )
