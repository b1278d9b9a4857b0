"""Channel history for planning, through the API: how each channel did across the
workspace's finished campaigns of a kind, and the same beside a draft's budget lines.

The workspace's campaigns (CNY), their figures per channel, and when they ended:

| id | kind      | status    | ended     | channel       | spend    | revenue   | clicks  | conv. |
|----|-----------|-----------|-----------|---------------|----------|-----------|---------|-------|
| A  | launch    | completed | 60 d ago  | social_feed   | 100,000* | 500,000   | 50,000  | 2,500 |
|    |           |           |           | ecommerce     | 50,000   | 300,000   | 20,000  | 1,000 |
| B  | launch    | archived  | 150 d ago | social_feed   | 80,000   | 480,000   | 40,000  | 1,600 |
|    |           |           |           | ecommerce     | 100      | 5,000     | 12      | 2     |
| G  | launch    | completed | 200 d ago | social_feed   | 50,000   | 150,000   | 10,000  | 400   |
|    |           |           |           | offline_store | 1,000    | 20,000    |         | 10    |
| D  | promotion | completed | 30 d ago  | social_feed   | 200,000  | 1,000,000 | 100,000 | 8,000 |
|    |           |           |           | offline_store |          | 32,000    |         | 160   |
| C  | launch    | completed | 13 months | social_feed   | 10,000   | 1,000     | 500     | 5     |
| E  | launch    | active    |           | social_feed   | 1,000    | 100,000   | 1,000   | 100   |

launch: new_product_launch. *pushed; finance recorded 120,000 of expenses against it.

The social feed over A, B and G: spend 120,000 + 80,000 + 50,000 = 250,000 (finance's
figure for A), revenue 1,130,000, ROI 4.52; CPA 250,000 / 4,500 = 55.56; conversion
4,500 / 100,000 = 4.5%. Its campaigns' ROIs are 4.1667, 6 and 3.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.actor import Role
from shared.campaigns.models import Campaign, CampaignStatus
from shared.channel_history import service
from shared.timeutil import utcnow
from tests.helpers import (
    Tenant,
    add_budget_lines,
    assert_problem,
    created,
    fields_of,
    register_channels,
)

S = CampaignStatus
CHANNELS = {
    "social_feed": "Social feed",
    "ecommerce": "E-commerce",
    "offline_store": "Offline store",
    "short_video": "Short video",
}
HISTORY = "/v1/channels/history"


@dataclass(frozen=True)
class Ran:
    """A campaign as it ran: kind, figures per channel, expenses per channel, and how it
    ended (status, days before now; None while active)."""

    kind: str
    figures: dict[str, dict[str, str]]
    status: CampaignStatus
    ended_days_ago: int | None
    expenses: dict[str, str] | None = None


CAMPAIGNS = {
    "A": Ran(
        "new_product_launch",
        {
            "social_feed": {
                "spend": "100000",
                "revenue": "500000",
                "clicks": "50000",
                "conversions": "2500",
            },
            "ecommerce": {
                "spend": "50000",
                "revenue": "300000",
                "clicks": "20000",
                "conversions": "1000",
            },
        },
        S.completed,
        60,
        expenses={"social_feed": "120000"},
    ),
    "B": Ran(
        "new_product_launch",
        {
            "social_feed": {
                "spend": "80000",
                "revenue": "480000",
                "clicks": "40000",
                "conversions": "1600",
            },
            "ecommerce": {"spend": "100", "revenue": "5000", "clicks": "12", "conversions": "2"},
        },
        S.archived,
        150,
    ),
    "G": Ran(
        "new_product_launch",
        {
            "social_feed": {
                "spend": "50000",
                "revenue": "150000",
                "clicks": "10000",
                "conversions": "400",
            },
            "offline_store": {"spend": "1000", "revenue": "20000", "conversions": "10"},
        },
        S.completed,
        200,
    ),
    "D": Ran(
        "promotion",
        {
            "social_feed": {
                "spend": "200000",
                "revenue": "1000000",
                "clicks": "100000",
                "conversions": "8000",
            },
            "offline_store": {"revenue": "32000", "conversions": "160"},
        },
        S.completed,
        30,
    ),
    "C": Ran(
        "new_product_launch",
        {"social_feed": {"spend": "10000", "revenue": "1000", "clicks": "500", "conversions": "5"}},
        S.completed,
        400,  # 13 months and some days
    ),
    "E": Ran(
        "new_product_launch",
        {
            "social_feed": {
                "spend": "1000",
                "revenue": "100000",
                "clicks": "1000",
                "conversions": "100",
            }
        },
        S.active,
        None,
    ),
}


def yesterday() -> str:
    """The campaigns' yesterday (Asia/Shanghai): inside the window figures are taken for."""
    today: date = utcnow().astimezone(ZoneInfo("Asia/Shanghai")).date()
    return (today - timedelta(days=1)).isoformat()


async def finish(
    session: AsyncSession, cid: str, status: CampaignStatus, ended: datetime | None
) -> None:
    """End the campaign directly at `ended` (the lifecycle is tested elsewhere)."""
    archived = ended if status == S.archived else None
    await session.execute(
        update(Campaign)
        .where(Campaign.id == uuid.UUID(cid))
        .values(status=status, completed_at=ended, archived_at=archived)
    )
    await session.commit()


async def run(
    client: httpx.AsyncClient, tenant: Tenant, session: AsyncSession, name: str, ran: Ran
) -> str:
    campaign = await created(client, tenant, "/v1/campaigns", {"name": name, "kind": ran.kind})
    cid = campaign["id"]
    attached = await client.put(
        f"/v1/campaigns/{cid}/channels",
        json={"channel_keys": sorted(ran.figures)},
        headers=tenant.auth(Role.editor),
    )
    assert attached.status_code == 200, attached.text
    await finish(session, cid, S.active, None)
    points = [
        {"channel": channel, "metric": metric, "date": yesterday(), "value": value}
        for channel, figures in ran.figures.items()
        for metric, value in figures.items()
    ]
    await created(client, tenant, f"/v1/campaigns/{cid}/metric-points", {"points": points})
    for channel, amount in (ran.expenses or {}).items():
        await created(
            client,
            tenant,
            f"/v1/campaigns/{cid}/expenses",
            {
                "category": "promotion_media",
                "amount": amount,
                "spent_on": "2024-06-10",
                "channel_key": channel,
            },
        )
    if ran.ended_days_ago is not None:
        await finish(session, cid, ran.status, utcnow() - timedelta(days=ran.ended_days_ago))
    return str(cid)


async def workspace_history(
    client: httpx.AsyncClient, tenant: Tenant, session: AsyncSession
) -> dict[str, str]:
    """The campaigns of the table above; their ids by letter."""
    await register_channels(client, tenant, CHANNELS)
    return {
        name: await run(client, tenant, session, f"Campaign {name}", ran)
        for name, ran in CAMPAIGNS.items()
    }


async def history(client: httpx.AsyncClient, tenant: Tenant, **params: Any) -> dict[str, Any]:
    response = await client.get(HISTORY, params=params, headers=tenant.auth(Role.viewer))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def items_of(found: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(item["kind"], item["channel"]): item for item in found["items"]}


def spread(campaigns: int, *values: str | None) -> dict[str, Any]:
    """A spread as the API shows it: over `campaigns`, min, p25, median, p75, max."""
    return {"campaigns": campaigns} | dict(
        zip(("min", "p25", "median", "p75", "max"), values, strict=True)
    )


NOTHING = spread(0, None, None, None, None, None)


async def test_each_channel_pools_the_kinds_finished_campaigns_exactly(
    client, tenant: Tenant, session: AsyncSession
):
    await workspace_history(client, tenant, session)
    found = await history(client, tenant)
    assert found["window"]["months"] == 12
    assert found["window"]["include_active"] is False
    assert found["campaigns"] == 4  # A, B, G, D: not C (13 months ago), not E (running)
    assert [(i["kind"], i["rank"], i["channel"]) for i in found["items"]] == [
        ("new_product_launch", 1, "ecommerce"),
        ("new_product_launch", 2, "social_feed"),
        ("new_product_launch", 3, "offline_store"),  # the best ROI, on 10 conversions
        ("promotion", 1, "social_feed"),
        ("promotion", 2, "offline_store"),  # no spend: no ROI
    ]
    items = items_of(found)
    assert items[("new_product_launch", "social_feed")] == {
        "kind": "new_product_launch",
        "channel": "social_feed",
        "name": "Social feed",
        "currency": "CNY",
        "rank": 2,
        "campaigns": 3,
        "spend": "250000.00",
        "spend_sources": {"expenses": 1, "pushed": 2, "none": 0},
        "expenses": "120000.00",
        "pushed_spend": "230000.00",
        "revenue": "1130000.00",
        "roi": "4.5200",
        "roi_display": "1:4.52",
        "cpa": "55.56",
        "conversion_rate": "0.0450",
        "clicks": "100000.000000",
        "conversions": "4500.000000",
        "insufficient_sample": False,
        "sample_shortfalls": [],
        "spread": {
            # A 500,000 / 120,000 (finance's figure), B 6, G 3
            "roi": spread(3, "3.0000", "3.5834", "4.1667", "5.0834", "6.0000"),
            # A 120,000 / 2,500, B 80,000 / 1,600, G 50,000 / 400
            "cpa": spread(3, "48.00", "49.00", "50.00", "87.50", "125.00"),
            "conversion_rate": spread(3, "0.0400", "0.0400", "0.0400", "0.0450", "0.0500"),
        },
    }
    ecommerce = items[("new_product_launch", "ecommerce")]
    assert (ecommerce["spend"], ecommerce["revenue"], ecommerce["roi"]) == (
        "50100.00",
        "305000.00",
        "6.0878",  # 305,000 / 50,100: B's 50 on 100 weighs by its money, not as 1 of 2
    )
    assert (ecommerce["cpa"], ecommerce["conversion_rate"]) == ("50.00", "0.0501")
    assert ecommerce["spend_sources"] == {"expenses": 0, "pushed": 2, "none": 0}
    assert ecommerce["expenses"] is None
    assert ecommerce["spread"]["roi"] == spread(
        2, "6.0000", "17.0000", "28.0000", "39.0000", "50.0000"
    )

    store = items[("new_product_launch", "offline_store")]
    assert (store["roi"], store["roi_display"], store["insufficient_sample"]) == (
        "20.0000",
        "1:20",
        True,
    )
    assert store["sample_shortfalls"] == ["10 conversions, fewer than 30"]  # no clicks sent
    assert store["clicks"] is None

    promoted = items[("promotion", "offline_store")]
    assert (promoted["spend"], promoted["spend_sources"]) == (
        "0.00",
        {"expenses": 0, "pushed": 0, "none": 1},
    )
    assert (promoted["revenue"], promoted["roi"], promoted["cpa"]) == ("32000.00", None, None)
    assert (promoted["conversion_rate"], promoted["spread"]["roi"]) == (None, NOTHING)
    assert promoted["insufficient_sample"] is False  # 160 conversions; a store sends no clicks


async def test_a_channel_reads_as_the_campaigns_evaluation_reads_it(
    client, tenant: Tenant, session: AsyncSession
):
    ids = await workspace_history(client, tenant, session)
    evaluation = await client.get(
        f"/v1/campaigns/{ids['D']}/evaluation", headers=tenant.auth(Role.viewer)
    )
    assert evaluation.status_code == 200, evaluation.text
    evaluated = {c["channel"]: c for c in evaluation.json()["channels"]["items"]}
    found = items_of(await history(client, tenant, kind="promotion"))
    for channel in ("social_feed", "offline_store"):
        mine, theirs = found[("promotion", channel)], evaluated[channel]
        for figure in ("spend", "spend_source", "roi", "roi_display", "cpa", "conversion_rate"):
            if figure == "spend_source":
                assert mine["spend_sources"][theirs["spend_source"]] == 1
            else:
                assert mine[figure] == theirs[figure], (channel, figure)
        for figure in ("clicks", "conversions", "insufficient_sample", "sample_shortfalls"):
            assert mine[figure] == theirs[figure], (channel, figure)
    assert found[("promotion", "social_feed")]["roi"] == "5.0000"


async def test_the_month_window_running_campaigns_and_filters(
    client, tenant: Tenant, session: AsyncSession
):
    await workspace_history(client, tenant, session)
    social = ("new_product_launch", "social_feed")

    twelve = items_of(await history(client, tenant, months=12))[social]
    assert (twelve["campaigns"], twelve["spend"]) == (3, "250000.00")
    fourteen = items_of(await history(client, tenant, months=14))[social]
    assert (fourteen["campaigns"], fourteen["spend"]) == (4, "260000.00")  # with C
    recent = await history(client, tenant, months=3)  # A (60 days) and D (30 days)
    assert {k: v["campaigns"] for k, v in items_of(recent).items()} == {
        ("new_product_launch", "social_feed"): 1,
        ("new_product_launch", "ecommerce"): 1,
        ("promotion", "social_feed"): 1,
        ("promotion", "offline_store"): 1,
    }
    assert recent["campaigns"] == 2

    running = await history(client, tenant, include_active="true")
    assert running["window"]["include_active"] is True
    with_e = items_of(running)[social]
    assert (with_e["campaigns"], with_e["spend"], with_e["roi"]) == (4, "251000.00", "4.9004")

    launch = await history(client, tenant, kind="new_product_launch")
    assert {item["kind"] for item in launch["items"]} == {"new_product_launch"}
    assert launch["campaigns"] == 3

    feed = await history(client, tenant, channel="social_feed")
    assert [(i["kind"], i["rank"]) for i in feed["items"]] == [
        ("new_product_launch", 2),  # its place among the kind's channels, filter or not
        ("promotion", 1),
    ]
    assert feed["campaigns"] == 4
    store = await history(client, tenant, channel="offline_store", kind="promotion")
    assert [(i["channel"], i["campaigns"]) for i in store["items"]] == [("offline_store", 1)]

    unused = await history(client, tenant, channel="short_video")
    assert (unused["items"], unused["campaigns"]) == ([], 0)


async def test_the_window_starts_the_same_day_and_time_months_before_now(
    client, tenant: Tenant, session: AsyncSession
):
    """With `now` injected: a campaign ended exactly 12 months earlier is in, a second
    earlier is out, and one ending after `now` is not history yet."""
    await register_channels(client, tenant, {"social_feed": "Social feed"})
    now = datetime(2026, 3, 31, 9, 0, tzinfo=UTC)
    ids = {}
    for name in ("edge", "before", "after"):
        ids[name] = await run(
            client,
            tenant,
            session,
            name,
            Ran("promotion", {"social_feed": {"spend": "10", "revenue": "40"}}, S.active, None),
        )
    await finish(session, ids["edge"], S.completed, datetime(2025, 3, 31, 9, 0, tzinfo=UTC))
    await finish(session, ids["before"], S.archived, datetime(2025, 3, 31, 8, 59, 59, tzinfo=UTC))
    await finish(session, ids["after"], S.completed, now + timedelta(seconds=1))

    found = await service.read_history(session, workspace_id=tenant.workspace_id, now=now)
    assert found.window.since == datetime(2025, 3, 31, 9, 0, tzinfo=UTC)
    assert [(i.channel, i.figures.campaigns) for i in found.items] == [("social_feed", 1)]
    a_month = await service.read_history(
        session, workspace_id=tenant.workspace_id, now=now, months=1
    )
    assert a_month.window.since == datetime(2026, 2, 28, 9, 0, tzinfo=UTC)
    assert a_month.items == []


async def test_another_workspace_sees_none_of_it(
    client, tenant: Tenant, other_tenant: Tenant, session: AsyncSession
):
    await workspace_history(client, tenant, session)
    await register_channels(client, other_tenant, {"social_feed": "Social feed"})
    theirs = await run(
        client,
        other_tenant,
        session,
        "Theirs",
        Ran(
            "new_product_launch",
            {"social_feed": {"spend": "999", "revenue": "9990000"}},
            S.completed,
            10,
        ),
    )
    found = await history(client, other_tenant)
    assert [(i["channel"], i["campaigns"], i["spend"]) for i in found["items"]] == [
        ("social_feed", 1, "999.00")
    ]
    mine = items_of(await history(client, tenant))[("new_product_launch", "social_feed")]
    assert (mine["campaigns"], mine["spend"]) == (3, "250000.00")
    problem = assert_problem(
        await client.get(HISTORY, params={"channel": "ecommerce"}, headers=other_tenant.auth()),
        422,
    )
    assert fields_of(problem) == {"query.channel"}
    assert_problem(
        await client.get(
            f"/v1/campaigns/{theirs}/budget/channels",
            params={"with_history": "true"},
            headers=tenant.auth(),
        ),
        404,
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"months": "0"}, "query.months"),
        ({"months": "61"}, "query.months"),
        ({"months": "a year"}, "query.months"),
        ({"kind": "festival"}, "query.kind"),
        ({"channel": ""}, "query.channel"),
        ({"channel": "x" * 65}, "query.channel"),
        ({"channel": "tv"}, "query.channel"),  # no such channel in the workspace
        ({"include_active": "maybe"}, "query.include_active"),
    ],
)
async def test_bad_parameters_are_422_naming_them(client, tenant: Tenant, params, field):
    response = await client.get(HISTORY, params=params, headers=tenant.auth(Role.viewer))
    assert fields_of(assert_problem(response, 422)) == {field}


async def test_reading_the_history_needs_a_key(client):
    assert_problem(await client.get(HISTORY), 401)


async def test_a_drafts_budget_by_channel_shows_each_lines_history(
    client, tenant: Tenant, session: AsyncSession
):
    ids = await workspace_history(client, tenant, session)
    draft = await created(
        client, tenant, "/v1/campaigns", {"name": "Autumn launch", "kind": "new_product_launch"}
    )
    base = f"/v1/campaigns/{draft['id']}"
    attached = await client.put(
        f"{base}/channels",
        json={"channel_keys": ["social_feed", "short_video"]},
        headers=tenant.auth(Role.editor),
    )
    assert attached.status_code == 200, attached.text
    await add_budget_lines(
        client,
        tenant,
        base,
        [
            ("promotion_media", "290000", "Feed ads", "social_feed"),
            ("promotion_media", "60000", "Short videos", "short_video"),
            ("labour", "150000", "Team", None),
        ],
    )
    url = f"{base}/budget/channels"
    plain = await client.get(url, headers=tenant.auth(Role.viewer))
    assert plain.status_code == 200, plain.text
    assert "history_window" not in plain.json()
    assert all("history" not in line for line in plain.json()["channels"])  # as before

    shown = await client.get(url, params={"with_history": "true"}, headers=tenant.auth(Role.viewer))
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["history_window"]["months"] == 12
    lines = {line["channel"]: line for line in body["channels"]}
    assert (lines["social_feed"]["planned"], lines["social_feed"]["spend_source"]) == (
        "290000.00",
        "none",
    )
    listed = items_of(await history(client, tenant, kind="new_product_launch"))
    assert lines["social_feed"]["history"] == listed[("new_product_launch", "social_feed")]
    assert lines["short_video"]["history"] is None  # never ran on it
    assert body["unassigned"]["planned"] == "150000.00"

    longer = await client.get(
        url, params={"with_history": "true", "history_months": 14}, headers=tenant.auth()
    )
    social = {line["channel"]: line for line in longer.json()["channels"]}["social_feed"]
    assert social["history"]["campaigns"] == 4  # with C
    assert fields_of(
        assert_problem(
            await client.get(url, params={"history_months": 0}, headers=tenant.auth()), 422
        )
    ) == {"query.history_months"}

    # A finished campaign's own lines read the others' history, not its own figures again.
    own = await client.get(
        f"/v1/campaigns/{ids['A']}/budget/channels",
        params={"with_history": "true"},
        headers=tenant.auth(),
    )
    others = {line["channel"]: line for line in own.json()["channels"]}
    assert (others["social_feed"]["spent"], others["social_feed"]["spend_source"]) == (
        "120000.00",
        "expenses",
    )
    assert others["social_feed"]["history"]["campaigns"] == 2  # B and G
    assert others["social_feed"]["history"]["spend"] == "130000.00"
    assert others["ecommerce"]["history"]["campaigns"] == 1  # B


async def test_a_workspace_without_history_answers_empty(client, tenant: Tenant):
    found = await history(client, tenant, months=60)
    assert (found["campaigns"], found["items"]) == (0, [])
    assert found["minimum_clicks"] == 100
    assert found["minimum_conversions"] == 30
    assert "insufficient_sample" in found["ranking"]


async def test_the_readme_walk(client, tenant: Tenant, session: AsyncSession):
    """README "Channel history for planning", request by request: the launches' channels,
    a window out of range, and a draft's budget lines with their history beside them."""
    await workspace_history(client, tenant, session)
    viewer = tenant.auth(Role.viewer)

    launch = await client.get(HISTORY, params={"kind": "new_product_launch"}, headers=viewer)
    assert launch.status_code == 200, launch.text
    body = launch.json()
    assert body["window"]["months"] == 12
    assert (body["minimum_clicks"], body["minimum_conversions"], body["campaigns"]) == (100, 30, 3)
    shown = [
        {key: item[key] for key in ("channel", "rank", "campaigns", "spend", "revenue", "roi")}
        | {"roi_display": item["roi_display"], "cpa": item["cpa"]}
        for item in body["items"]
    ]
    assert shown == [
        {"channel": "ecommerce", "rank": 1, "campaigns": 2, "spend": "50100.00",
         "revenue": "305000.00", "roi": "6.0878", "roi_display": "1:6.09", "cpa": "50.00"},
        {"channel": "social_feed", "rank": 2, "campaigns": 3, "spend": "250000.00",
         "revenue": "1130000.00", "roi": "4.5200", "roi_display": "1:4.52", "cpa": "55.56"},
        {"channel": "offline_store", "rank": 3, "campaigns": 1, "spend": "1000.00",
         "revenue": "20000.00", "roi": "20.0000", "roi_display": "1:20", "cpa": "100.00"},
    ]  # fmt: skip
    ecommerce, social, store = body["items"]
    assert (ecommerce["conversion_rate"], ecommerce["insufficient_sample"]) == ("0.0501", False)
    assert ecommerce["spread"]["roi"] == spread(
        2, "6.0000", "17.0000", "28.0000", "39.0000", "50.0000"
    )
    assert (social["spend_sources"], social["expenses"], social["pushed_spend"]) == (
        {"expenses": 1, "pushed": 2, "none": 0},
        "120000.00",
        "230000.00",
    )
    assert (social["conversion_rate"], social["clicks"], social["conversions"]) == (
        "0.0450",
        "100000.000000",
        "4500.000000",
    )
    assert social["spread"]["roi"] == spread(3, "3.0000", "3.5834", "4.1667", "5.0834", "6.0000")
    assert (store["insufficient_sample"], store["sample_shortfalls"]) == (
        True,
        ["10 conversions, fewer than 30"],
    )

    bad = await client.get(HISTORY, params={"months": "0"}, headers=viewer)
    problem = assert_problem(bad, 422)
    assert problem["code"] == "validation_error"
    assert problem["errors"] == [
        {
            "detail": "Input should be greater than or equal to 1",
            "location": "query",
            "field": "months",
            "type": "greater_than_equal",
        }
    ]

    draft = await created(
        client, tenant, "/v1/campaigns", {"name": "Autumn launch", "kind": "new_product_launch"}
    )
    base = f"/v1/campaigns/{draft['id']}"
    attached = await client.put(
        f"{base}/channels",
        json={"channel_keys": ["social_feed", "short_video"]},
        headers=tenant.auth(Role.editor),
    )
    assert attached.status_code == 200, attached.text
    await add_budget_lines(
        client,
        tenant,
        base,
        [
            ("promotion_media", "290000", "Feed ads", "social_feed"),
            ("promotion_media", "60000", "Short videos", "short_video"),
        ],
    )
    lines = await client.get(
        f"{base}/budget/channels", params={"with_history": "true"}, headers=viewer
    )
    assert lines.status_code == 200, lines.text
    budget = lines.json()
    assert [(line["channel"], line["planned"], line["spent"]) for line in budget["channels"]] == [
        ("short_video", "60000.00", "0.00"),
        ("social_feed", "290000.00", "0.00"),
    ]
    assert budget["channels"][0]["history"] is None
    assert budget["channels"][1]["history"] == social
    assert budget["history_window"]["months"] == 12
