"""Reports through the API: the brief's daily channel report with its anomaly notes and
completion rates, the weekly report, the schedules, and the reports that went out."""

import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import update

from shared.activity.models import ActivityEntry
from shared.actor import Role
from shared.alerts.models import Alert, AlertStatus
from shared.campaigns.models import Campaign, CampaignStatus
from shared.issues.models import Issue
from shared.reports import service as reports
from shared.reports.schedule import ReportKind, week_label, week_start
from shared.rules.models import Severity
from shared.timeutil import utcnow
from tests.api.test_daily_report_import import brief_csv, post_csv
from tests.helpers import Tenant, add_member, assert_problem, fields_of

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai_day(days_ago: int) -> date:
    return utcnow().astimezone(SHANGHAI).date() - timedelta(days=days_ago)


def noon(day: date, zone: ZoneInfo = SHANGHAI) -> datetime:
    return datetime.combine(day, time(12), tzinfo=zone).astimezone(UTC)


async def report_campaign(
    client: httpx.AsyncClient,
    tenant: Tenant,
    session,
    *,
    start: date,
    name: str = "618 大促",
    budget: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An active 20-day campaign on the social feed and the offline store, with three
    goals: 4,000 new users (200 a day), 1,000,000 sales (50,000 a day), CTR 1.5%; and
    the budget lines given (planned while it was a draft)."""
    admin = tenant.auth()
    owner = await add_member(client, tenant, name="Wang Fang")
    for key, label in (("social_feed", "Social feed"), ("offline_store", "Offline store")):
        await client.post("/v1/channels", json={"key": key, "name": label}, headers=admin)
    created = await client.post(
        "/v1/campaigns",
        headers=admin,
        json={
            "name": name,
            "kind": "promotion",
            "timezone": "Asia/Shanghai",
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=19)).isoformat(),
            "owner_id": owner["id"],
        },
    )
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    attached = await client.put(
        f"/v1/campaigns/{cid}/channels",
        headers=admin,
        json={"channel_keys": ["social_feed", "offline_store"]},
    )
    assert attached.status_code == 200, attached.text
    goals = {}
    for goal_type, metric, target in (
        ("user_growth", "new_users", "4000"),
        ("sales_conversion", "gmv", "1000000"),
        ("sales_conversion", "ctr", "0.015"),
    ):
        goal = await client.post(
            f"/v1/campaigns/{cid}/goals",
            headers=admin,
            json={"goal_type": goal_type, "metric_key": metric, "target_value": target},
        )
        assert goal.status_code == 201, goal.text
        goals[metric] = goal.json()["id"]
    for category, amount in (budget or {}).items():
        line = await client.post(
            f"/v1/campaigns/{cid}/budget-lines",
            headers=admin,
            json={"category": category, "planned_amount": amount},
        )
        assert line.status_code == 201, line.text
    await session.execute(
        update(Campaign)
        .where(Campaign.id == uuid.UUID(cid))
        .values(status=CampaignStatus.active, registration_number="CMP-2026-0618")
    )
    await session.commit()
    return {"id": cid, "goals": goals, "owner": owner}


async def fired_alert(
    client: httpx.AsyncClient,
    tenant: Tenant,
    session,
    cid: str,
    *,
    at: datetime,
    channel: str | None,
    message: str,
    silenced: bool = False,
) -> uuid.UUID:
    watched = await client.post(
        "/v1/rules",
        headers=tenant.auth(Role.editor),
        json={
            "name": f"watch {message}",
            "campaign_id": cid,
            "condition": "threshold",
            "params": {"metric": "visitors", "op": "<", "value": "800"},
            "per_channel": channel is not None,
        },
    )
    assert watched.status_code == 201, watched.text
    alert = Alert(
        workspace_id=tenant.workspace_id,
        rule_id=uuid.UUID(watched.json()["id"]),
        campaign_id=uuid.UUID(cid),
        subject=channel or "",
        channel=channel,
        fingerprint=f"test:{uuid.uuid4()}",
        status=AlertStatus.firing,
        severity=Severity.warning,
        message=message,
        labels={},
        first_seen_at=at,
        last_seen_at=at,
        fired_at=at,
        breaches=1,
        consecutive=1,
        silenced=silenced,
    )
    session.add(alert)
    await session.commit()
    return alert.id


async def log_note(
    client: httpx.AsyncClient, tenant: Tenant, session, cid: str, note: str, at: datetime
) -> None:
    written = await client.post(
        f"/v1/campaigns/{cid}/log",
        headers=tenant.auth(Role.editor),
        json={"kind": "note", "note": note, "related_task_ids": []},
    )
    assert written.status_code == 201, written.text
    await session.execute(
        update(ActivityEntry)
        .where(ActivityEntry.id == uuid.UUID(written.json()["id"]))
        .values(created_at=at)
    )
    await session.commit()


def by_channel(report: dict[str, Any]) -> dict[str | None, dict[str, Any]]:
    return {row["channel"]: row for row in report["rows"]}


def rates(row: dict[str, Any], goals: dict[str, str]) -> dict[str, Decimal | None]:
    metric_of = {goal_id: metric for metric, goal_id in goals.items()}
    return {
        metric_of[c["goal_id"]]: None if c["rate"] is None else Decimal(c["rate"])
        for c in row["completion"]
    }


@pytest.mark.committed
async def test_the_brief_daily_report_with_its_notes_and_completion_rates(
    client, tenant: Tenant, session
):
    day = shanghai_day(1)
    campaign = await report_campaign(client, tenant, session, start=day - timedelta(days=9))
    cid, goals = campaign["id"], campaign["goals"]
    imported = await post_csv(client, tenant, cid, brief_csv(day))
    assert imported.status_code == 201, imported.text
    await log_note(client, tenant, session, cid, "Social feed: new key visual live", noon(day))
    await log_note(client, tenant, session, cid, "Stand-up: all on track", noon(day))
    await log_note(client, tenant, session, cid, "social feed paused", noon(day - timedelta(1)))
    await fired_alert(
        client, tenant, session, cid, at=noon(day), channel="offline_store",
        message="visitors 500 < 800",
    )  # fmt: skip
    await fired_alert(
        client, tenant, session, cid, at=noon(day), channel="offline_store",
        message="silenced one", silenced=True,
    )  # fmt: skip
    await fired_alert(
        client, tenant, session, cid, at=noon(day - timedelta(1)), channel="offline_store",
        message="the day before",
    )  # fmt: skip

    answer = await client.get(
        f"/v1/campaigns/{cid}/daily-report",
        params={"date": day.isoformat()},
        headers=tenant.auth(Role.viewer),
    )
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["date"] == day.isoformat()
    assert report["metrics"] == ["impressions", "ctr", "conversion_rate", "new_users", "gmv"]
    rows = by_channel(report)
    assert list(rows) == ["offline_store", "social_feed", None]
    store, feed, total = rows["offline_store"], rows["social_feed"], rows[None]
    assert store["channel_name"] == "Offline store"
    assert Decimal(store["figures"]["new_users"]) == 160
    assert Decimal(feed["figures"]["ctr"]) == Decimal("0.021")

    # 备注: the imported note and the alert that fired on the store that day; the feed's
    # note of that day names it; a stand-up naming no channel, a silenced alert and the
    # day before's entries are not the day's anomalies.
    assert store["anomaly_note"] == "traffic 20% under expectation; [warning] visitors 500 < 800"
    assert [(a["source"], a["text"]) for a in store["anomalies"]] == [
        ("log", "traffic 20% under expectation"),
        ("alert", "visitors 500 < 800"),
    ]
    assert feed["anomaly_note"] == "Social feed: new key visual live"
    assert total["anomaly_note"] is None

    # By hand: 200 new users and 50,000 of sales a day, CTR against 1.5%.
    assert rates(feed, goals) == {
        "new_users": Decimal("87.50"),
        "gmv": Decimal("70.00"),
        "ctr": Decimal("140.00"),
    }
    assert rates(store, goals) == {
        "new_users": Decimal("80.00"),
        "gmv": Decimal("64.00"),
        "ctr": None,  # the store measures no clicks
    }
    assert rates(total, goals) == {
        "new_users": Decimal("167.50"),
        "gmv": Decimal("134.00"),
        "ctr": Decimal("134.62"),  # 1,050 clicks / 52,000 impressions = 2.019%
    }
    targets = {g["metric_key"]: (g["basis"], Decimal(g["day_target"])) for g in report["goals"]}
    assert targets == {
        "new_users": ("day_share", Decimal(200)),
        "gmv": ("day_share", Decimal(50000)),
        "ctr": ("target", Decimal("0.015")),
    }

    # The report as it is sent carries the same data, a title and the Markdown table.
    message = await client.get(
        f"/v1/campaigns/{cid}/reports/daily",
        params={"date": day.isoformat()},
        headers=tenant.auth(Role.viewer),
    )
    assert message.status_code == 200, message.text
    sent = message.json()
    assert sent["title"] == f"【日报】618 大促 {day}"
    assert sent["language"] == "zh"  # a CNY campaign in Asia/Shanghai
    assert sent["rows"] == report["rows"]
    lines = sent["text"].splitlines()
    assert lines[2] == (
        "| 日期 | 渠道 | 曝光量 | 点击率 | 转化率 | 新增用户 | 销售额 | 目标完成率 | 备注 |"
    )
    assert lines[4] == (
        f"| {day} | Offline store | 2,000 | - | - | 160 | 32,000 | 新增用户 80.00%; "
        "销售额 64.00% | traffic 20% under expectation; [warning] visitors 500 < 800 |"
    )
    assert lines[6].startswith(f"| {day} | **合计** | 52,000 | 2.02% |")


async def test_a_day_outside_the_campaign_has_no_completion_and_bad_input_is_named(
    client, tenant: Tenant, other_tenant: Tenant, session
):
    start = shanghai_day(3)
    campaign = await report_campaign(client, tenant, session, start=start)
    cid = campaign["id"]
    before = await client.get(
        f"/v1/campaigns/{cid}/daily-report",
        params={"date": (start - timedelta(days=1)).isoformat()},
        headers=tenant.auth(Role.viewer),
    )
    assert before.status_code == 200, before.text
    totals = by_channel(before.json())[None]
    assert rates(totals, campaign["goals"]) == {"new_users": None, "gmv": None, "ctr": None}
    assert {g["metric_key"]: g["day_target"] for g in before.json()["goals"]} == {
        "new_users": None,
        "gmv": None,
        "ctr": "0.0150",  # a rate's target holds every day
    }

    for week in ("2024-24", "2021-W53", "1969-W01", "2024-W1x"):
        bad = await client.get(
            f"/v1/campaigns/{cid}/reports/weekly",
            params={"week": week},
            headers=tenant.auth(Role.viewer),
        )
        assert fields_of(assert_problem(bad, 422)) == {"query.week"}, week
    elsewhere = await client.get(
        f"/v1/campaigns/{cid}/reports/daily",
        params={"date": start.isoformat()},
        headers=other_tenant.auth(),
    )
    assert_problem(elsewhere, 404)


@pytest.mark.committed
async def test_the_weekly_report_compares_weeks_and_lists_the_weeks_troubles(
    client, tenant: Tenant, session
):
    this_monday = week_start(shanghai_day(0))
    monday = this_monday - timedelta(days=7)  # the last full week
    campaign = await report_campaign(
        client,
        tenant,
        session,
        start=monday - timedelta(days=7),
        budget={"promotion_media": "90000.00", "contingency": "10000.00"},
    )
    cid, owner = campaign["id"], campaign["owner"]
    admin = tenant.auth()

    async def enter(day: date, metric: str, value: int) -> None:
        entered = await client.post(
            f"/v1/campaigns/{cid}/metric-points",
            headers=admin,
            json={"points": [{"channel": "social_feed", "metric": metric, "date": day.isoformat(),
                              "value": value}]},
        )  # fmt: skip
        assert entered.status_code == 201, entered.text

    await enter(monday - timedelta(days=7), "new_users", 500)  # the week before: 500
    await enter(monday + timedelta(days=1), "new_users", 300)  # this week: 700 (+40%)
    await enter(monday + timedelta(days=6), "new_users", 400)
    await enter(this_monday, "new_users", 9999)  # the next week: not in this report

    for spent_on, amount in ((monday - timedelta(days=2), "5000.00"), (monday, "15000.00")):
        expense = await client.post(
            f"/v1/campaigns/{cid}/expenses",
            headers=admin,
            json={"category": "promotion_media", "amount": amount, "spent_on": str(spent_on)},
        )
        assert expense.status_code == 201, expense.text

    await fired_alert(
        client, tenant, session, cid, at=noon(monday + timedelta(days=2)), channel="social_feed",
        message="CTR 1.2% under the 1.5% target",
    )  # fmt: skip
    await fired_alert(
        client, tenant, session, cid, at=noon(monday - timedelta(days=1)), channel=None,
        message="last week's",
    )  # fmt: skip
    issue = await client.post(
        "/v1/issues",
        headers=admin,
        json={"campaign_id": cid, "title": "Weak creative", "description": "CTR under target",
              "owner_id": owner["id"], "severity": "warning"},
    )  # fmt: skip
    assert issue.status_code == 201, issue.text
    await session.execute(
        update(Issue)
        .where(Issue.id == uuid.UUID(issue.json()["id"]))
        .values(opened_at=noon(monday + timedelta(days=3)))
    )
    await session.commit()
    late = await client.post(
        f"/v1/campaigns/{cid}/tasks",
        headers=admin,
        json={"name": "Produce 10 posts + 5 short videos", "owner_id": owner["id"],
              "planned_start": str(monday - timedelta(days=3)),
              "planned_end": str(monday + timedelta(days=3))},
    )  # fmt: skip
    assert late.status_code == 201, late.text

    answer = await client.get(
        f"/v1/campaigns/{cid}/reports/weekly",
        params={"week": week_label(monday)},
        headers=tenant.auth(Role.viewer),
    )
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["week_start"], report["week_end"]) == (
        str(monday),
        str(monday + timedelta(days=6)),
    )
    assert report["title"] == f"【周报】618 大促 {week_label(monday)}"
    users = next(m for m in report["metrics"] if m["metric_key"] == "new_users")
    assert Decimal(users["this_week"]) == 700
    assert Decimal(users["previous_week"]) == 500
    assert Decimal(users["change_percent"]) == Decimal("40.00")

    # Goal pace at the week's end: day 14 of 20, so 4,000 x 14/20 = 2,800 expected;
    # 1,200 new users so far.
    pace = next(g for g in report["goals"] if g["metric_key"] == "new_users")
    assert Decimal(pace["actual_to_date"]) == 1200
    assert Decimal(pace["expected_to_date"]) == 2800
    assert Decimal(pace["pace_percent"]) == Decimal("42.86")
    assert Decimal(pace["achievement_rate"]) == Decimal("30.00")

    budget = report["budget"]
    assert Decimal(budget["planned"]) == 100000
    assert Decimal(budget["spent"]) == 20000
    assert Decimal(budget["burn_percent"]) == Decimal("20.00")
    assert Decimal(budget["spent_this_week"]) == 15000
    assert Decimal(budget["time_elapsed_percent"]) == Decimal("70.00")

    assert [a["message"] for a in report["alerts"]] == ["CTR 1.2% under the 1.5% target"]
    assert report["alerts_count"] == 1
    assert [i["title"] for i in report["issues"]["opened"]] == ["Weak creative"]
    assert report["issues"]["open_count"] == 1
    slipped = report["slipped_tasks"]
    assert [(t["name"], t["slip_days"], t["owner_name"]) for t in slipped] == [
        ("Produce 10 posts + 5 short videos", 3, "Wang Fang")  # due Thursday, open Sunday
    ]
    text = report["text"]
    assert "| 新增用户 | 700 | 500 | +40.00% |" in text
    assert "Produce 10 posts + 5 short videos: 延期 3 天, 负责人 Wang Fang" in text


async def test_schedules_are_inherited_and_only_admins_and_editors_set_them(
    client, tenant: Tenant, other_tenant: Tenant, session
):
    default = await client.get("/v1/report-schedule", headers=tenant.auth(Role.viewer))
    assert default.status_code == 200, default.text
    assert default.json() | {"inherited": None} == {
        "daily_enabled": True,
        "daily_time": "17:00",
        "weekly_enabled": True,
        "weekly_time": "09:00",
        "language": None,
        "inherited": None,
        "timezone": None,
        "resolved_language": None,
        "next_daily_at": None,
        "next_weekly_at": None,
    }
    refused = await client.put(
        "/v1/report-schedule", json={"daily_time": "18:00"}, headers=tenant.auth(Role.editor)
    )
    assert_problem(refused, 403)
    for bad in ({"daily_time": "25:00"}, {"daily_time": "5pm"}, {"language": "fr"}):
        wrong = await client.put("/v1/report-schedule", json=bad, headers=tenant.auth())
        assert fields_of(assert_problem(wrong, 422)) == {f"body.{next(iter(bad))}"}, bad
    put = await client.put(
        "/v1/report-schedule", json={"daily_time": "18:00", "language": "en"}, headers=tenant.auth()
    )
    assert put.status_code == 200, put.text
    assert put.json()["inherited"] == ["daily_enabled", "weekly_enabled", "weekly_time"]

    campaign = await report_campaign(client, tenant, session, start=shanghai_day(2))
    url = f"/v1/campaigns/{campaign['id']}/report-schedule"
    own = await client.put(
        url, json={"weekly_enabled": False, "language": None}, headers=tenant.auth(Role.editor)
    )
    assert own.status_code == 200, own.text
    body = own.json()
    assert (body["daily_time"], body["weekly_enabled"], body["language"]) == ("18:00", False, "en")
    assert body["resolved_language"] == "en"  # the workspace's setting over the CNY rule
    assert body["next_weekly_at"] is None
    next_daily = datetime.fromisoformat(body["next_daily_at"])
    assert next_daily.utcoffset() == timedelta(hours=8)  # campaign local
    assert next_daily.time() == time(18)
    assert next_daily > utcnow()
    assert "weekly_enabled" not in body["inherited"]

    viewer = await client.put(url, json={}, headers=tenant.auth(Role.viewer))
    assert_problem(viewer, 403)
    elsewhere = await client.get(url, headers=other_tenant.auth())
    assert_problem(elsewhere, 404)
    theirs = await client.get("/v1/report-schedule", headers=other_tenant.auth())
    assert theirs.json()["daily_time"] == "17:00"


@pytest.mark.committed
async def test_reports_that_went_out_are_listed_and_read_as_sent(
    client, tenant: Tenant, other_tenant: Tenant, sessionmaker, session
):
    day = shanghai_day(1)
    campaign = await report_campaign(client, tenant, session, start=day - timedelta(days=2))
    cid = uuid.UUID(campaign["id"])
    after_17 = datetime.combine(day, time(17, 5), tzinfo=SHANGHAI)
    async with sessionmaker() as worker, worker.begin():
        run = await reports.send_report(
            worker, campaign_id=cid, kind=ReportKind.daily, period_start=day, now=after_17
        )
    assert run is not None
    listed = await client.get(
        f"/v1/campaigns/{cid}/reports", params={"kind": "daily"}, headers=tenant.auth(Role.viewer)
    )
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    assert (item["kind"], item["period"], item["title"]) == (
        "daily",
        str(day),
        f"【日报】618 大促 {day}",
    )
    assert datetime.fromisoformat(item["due_at"]) == datetime.combine(
        day, time(17), tzinfo=SHANGHAI
    )
    weekly = await client.get(
        f"/v1/campaigns/{cid}/reports", params={"kind": "weekly"}, headers=tenant.auth()
    )
    assert weekly.json()["items"] == []

    detail = await client.get(f"/v1/reports/{run.id}", headers=tenant.auth(Role.viewer))
    assert detail.status_code == 200, detail.text
    content = detail.json()["content"]
    assert content["title"] == item["title"]
    assert content["period"] == str(day)
    assert [row["channel"] for row in content["rows"]] == ["offline_store", "social_feed", None]
    events = await client.get(
        "/v1/events", params={"kind": "report.daily"}, headers=tenant.auth(Role.viewer)
    )
    [event] = events.json()["items"]
    assert event["id"] == detail.json()["event_id"]
    assert (event["subject_type"], event["subject_id"]) == ("report", str(run.id))
    assert event["data"] == content
    assert_problem(await client.get(f"/v1/reports/{run.id}", headers=other_tenant.auth()), 404)
