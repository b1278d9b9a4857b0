"""Rules watching campaigns: the brief's warnings end to end, with a real worker."""

import asyncio
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select, update

from shared import jobs
from shared.actor import Role
from shared.alerts import service as alerts
from shared.alerts.models import Alert, AlertStatus, AlertTransition
from shared.campaigns.models import (
    BudgetCategory,
    BudgetLine,
    Campaign,
    Direction,
    Expense,
    Goal,
    GoalType,
    Level,
    TargetKind,
)
from shared.db import unit_of_work
from shared.events.models import Event
from shared.tasks.models import Task, TaskLevel, TaskStatus
from shared.timeutil import utcnow
from tests.helpers import Tenant, add_member, assert_problem
from tests.worker.test_ingestion import setup

pytestmark = pytest.mark.committed
SHANGHAI = ZoneInfo("Asia/Shanghai")


async def campaign_with_owner(client: httpx.AsyncClient, tenant: Tenant, session) -> dict[str, Any]:
    ctx = await setup(client, tenant, session)
    owner = await add_member(client, tenant, name="Wang Fang")
    await session.execute(
        update(Campaign)
        .where(Campaign.id == uuid.UUID(ctx["campaign"]["id"]))
        .values(owner_id=uuid.UUID(owner["id"]))
    )
    await session.commit()
    return ctx | {"owner": owner}


async def rule(client: httpx.AsyncClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    created = await client.post(
        "/v1/rules", json={"name": "rule", **body}, headers=tenant.auth(Role.editor)
    )
    assert created.status_code == 201, created.text
    answer: dict[str, Any] = created.json()
    return answer


async def enter(
    client: httpx.AsyncClient, tenant: Tenant, cid: str, points: list[dict[str, Any]]
) -> None:
    entered = await client.post(
        f"/v1/campaigns/{cid}/metric-points", json={"points": points}, headers=tenant.auth()
    )
    assert entered.status_code == 201, entered.text


async def listed(client: httpx.AsyncClient, tenant: Tenant, **params: Any) -> list[dict[str, Any]]:
    answer = await client.get("/v1/alerts", params=params, headers=tenant.auth(Role.viewer))
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def today() -> date:
    return utcnow().astimezone(SHANGHAI).date()


async def add_goal(session, cid: str, metric: str, target: str) -> None:
    campaign = await session.get(Campaign, uuid.UUID(cid))
    session.add(
        Goal(
            workspace_id=campaign.workspace_id,
            campaign_id=campaign.id,
            goal_type=GoalType.sales_conversion,
            metric_key=metric,
            target_kind=TargetKind.absolute,
            target_value=Decimal(target),
            direction=Direction.higher_is_better,
        )
    )
    await session.commit()


async def test_ctr_20_percent_under_target_fires_opens_an_issue_and_recovers(
    client, tenant: Tenant, session, run_worker
):
    ctx = await campaign_with_owner(client, tenant, session)
    cid = ctx["campaign"]["id"]
    await add_goal(session, cid, "ctr", "0.015")
    watched = await rule(
        client,
        tenant,
        campaign_id=cid,
        condition="below_target",
        params={"metric": "ctr", "percent": "20"},
        opens_issue=True,
    )
    day = today().isoformat()

    def figures(clicks: int) -> list[dict[str, Any]]:
        return [
            {"channel": "social_feed", "metric": "impressions", "date": day, "value": 10_000},
            {"channel": "social_feed", "metric": "clicks", "date": day, "value": clicks},
        ]

    await enter(client, tenant, cid, figures(121))  # CTR 1.21%: 19.33% short, not yet
    await run_worker()
    assert await listed(client, tenant) == []

    await enter(client, tenant, cid, figures(120))  # CTR 1.2% against 1.5%: exactly 20%
    await run_worker()
    [alert] = await listed(client, tenant, status="firing")
    assert alert["rule_id"] == watched["id"]
    assert Decimal(alert["value"]) == Decimal("0.012")
    assert Decimal(alert["threshold"]) == Decimal("0.012")
    assert "20% under its target 0.015" in alert["message"]
    issues = await client.get("/v1/issues", params={"alert_id": alert["id"]}, headers=tenant.auth())
    [issue] = issues.json()["items"]
    assert issue["owner_id"] == ctx["owner"]["id"]
    assert issue["source"] == "alert"

    await enter(client, tenant, cid, figures(120))  # the same breach again: the same alert
    await run_worker()
    [again] = await listed(client, tenant)
    assert again["id"] == alert["id"]
    assert again["breaches"] == 2

    await enter(client, tenant, cid, figures(160))  # recovered
    await run_worker()
    [resolved] = await listed(client, tenant)
    assert resolved["status"] == "resolved"
    detail = (await client.get(f"/v1/alerts/{alert['id']}", headers=tenant.auth())).json()
    assert [t["to_status"] for t in detail["transitions"]] == ["pending", "firing", "resolved"]
    kinds = (await session.scalars(select(Event.kind).order_by(Event.seq))).all()
    assert [k for k in kinds if k.startswith("alert.")] == ["alert.fired", "alert.resolved"]


async def test_51_negative_comments_in_a_day_fire_50_do_not(
    client, tenant: Tenant, session, run_worker
):
    ctx = await campaign_with_owner(client, tenant, session)
    cid = ctx["campaign"]["id"]
    enabled = await client.post(
        "/v1/rules/templates/enable",
        json={"keys": ["negative_comments"]},
        headers=tenant.auth(Role.editor),
    )
    assert enabled.status_code == 200, enabled.text
    point = {"channel": "social_feed", "metric": "negative_comments", "date": today().isoformat()}
    await enter(client, tenant, cid, [point | {"value": 50}])
    await run_worker()
    assert await listed(client, tenant) == []
    await enter(client, tenant, cid, [point | {"value": 51}])
    await run_worker()
    [alert] = await listed(client, tenant)
    assert (alert["status"], alert["severity"]) == ("firing", "critical")
    assert Decimal(alert["value"]) == 51


async def test_a_channel_silent_by_1700_fires_no_data(client, tenant: Tenant, session, runtime):
    ctx = await campaign_with_owner(client, tenant, session)
    cid = uuid.UUID(ctx["campaign"]["id"])
    await client.post(
        "/v1/rules/templates/enable",
        json={"keys": ["no_data_by_1700"]},
        headers=tenant.auth(Role.editor),
    )
    day = today() - timedelta(days=1)
    await enter(
        client,
        tenant,
        str(cid),
        [{"channel": "social_feed", "metric": "impressions", "date": day.isoformat(), "value": 9}],
    )

    async def watch(at: time) -> list[Alert]:
        now = datetime.combine(day, at, tzinfo=SHANGHAI)
        async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
            return await alerts.watch_campaign(work, campaign_id=cid, now=now)

    assert await watch(time(16, 59)) == []  # before the collection time: nothing expected
    [alert] = await watch(time(17, 0))
    assert (alert.channel, alert.status) == ("offline_store", AlertStatus.firing)
    assert alert.message == "no impressions on offline_store today by 17:00"


async def overdue_campaign(client, tenant: Tenant, session) -> tuple[uuid.UUID, Task]:
    ctx = await campaign_with_owner(client, tenant, session)
    cid = uuid.UUID(ctx["campaign"]["id"])
    task = Task(
        workspace_id=tenant.workspace_id,
        campaign_id=cid,
        code="M-003",
        name="Pop-up store opening",
        level=TaskLevel.task,
        owner_id=uuid.UUID(ctx["owner"]["id"]),
        planned_start=today() - timedelta(days=5),
        planned_end=today() - timedelta(days=2),
        priority=Level.high,
        status=TaskStatus.in_progress,
        progress=60,
        supporting_departments=[],
    )
    session.add(task)
    await session.commit()
    enabled = await client.post(
        "/v1/rules/templates/enable",
        json={"keys": ["overdue_high_priority_task"]},
        headers=tenant.auth(Role.editor),
    )
    assert enabled.status_code == 200, enabled.text
    return cid, task


async def test_a_task_past_its_end_fires_task_overdue_until_done(
    client, tenant: Tenant, session, runtime
):
    cid, task = await overdue_campaign(client, tenant, session)

    async def watch() -> list[Alert]:
        async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
            return await alerts.watch_campaign(work, campaign_id=cid, now=utcnow())

    [alert] = await watch()
    assert (alert.task_id, alert.status) == (task.id, AlertStatus.firing)
    assert alert.message.startswith("M-003 Pop-up store opening: planned end")
    assert "task.overdue" in (await session.scalars(select(Event.kind))).all()

    await session.execute(update(Task).where(Task.id == task.id).values(status=TaskStatus.done))
    await session.commit()
    [resolved] = await watch()
    assert resolved.status == AlertStatus.resolved


async def test_two_workers_evaluating_at_once_raise_one_alert(
    client, tenant: Tenant, session, runtime
):
    ctx = await campaign_with_owner(client, tenant, session)
    cid = uuid.UUID(ctx["campaign"]["id"])
    await rule(
        client,
        tenant,
        campaign_id=str(cid),
        condition="threshold",
        params={"metric": "clicks", "op": ">=", "value": "10"},
        per_channel=True,
    )
    await enter(
        client,
        tenant,
        str(cid),
        [
            {"channel": channel, "metric": "clicks", "date": today().isoformat(), "value": 10}
            for channel in ("social_feed", "offline_store")
        ],
    )

    async def watch() -> None:
        async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
            await alerts.watch_campaign(work, campaign_id=cid, now=utcnow())

    await asyncio.gather(*(watch() for _ in range(4)))
    rows = (await session.scalars(select(Alert).order_by(Alert.channel))).all()
    assert [(a.channel, a.status) for a in rows] == [
        ("offline_store", AlertStatus.firing),
        ("social_feed", AlertStatus.firing),
    ]
    assert sorted(a.breaches for a in rows) == [4, 4]  # four looks, each counted once
    fired = await session.scalar(
        select(func.count()).select_from(Event).where(Event.kind == "alert.fired")
    )
    assert fired == 2


async def test_holds_silences_and_preview(client, tenant: Tenant, session, runtime):
    ctx = await campaign_with_owner(client, tenant, session)
    cid = uuid.UUID(ctx["campaign"]["id"])
    watched = await rule(
        client,
        tenant,
        campaign_id=str(cid),
        condition="threshold",
        params={"metric": "gmv", "op": "<", "value": "1000"},
        hold_evaluations=2,
        labels={"team": "sales"},
    )
    silence = await client.post(
        "/v1/silences",
        json={
            "labels": {"team": "sales"},
            "starts_at": (utcnow() - timedelta(minutes=1)).isoformat(),
            "ends_at": (utcnow() + timedelta(hours=1)).isoformat(),
            "comment": "Sales know: the shop opens at noon",
        },
        headers=tenant.auth(Role.editor),
    )
    assert silence.status_code == 201, silence.text

    preview = await client.post(f"/v1/rules/{watched['id']}/preview", headers=tenant.auth())
    assert preview.status_code == 200, preview.text
    [finding] = preview.json()["findings"]
    assert (finding["state"], finding["value"], finding["open_alert_id"]) == ("breached", "0", None)
    for model in (Alert, AlertTransition, Event):
        assert await session.scalar(select(func.count()).select_from(model)) == 0

    async def watch() -> list[Alert]:
        async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
            return await alerts.watch_campaign(work, campaign_id=cid, now=utcnow())

    [pending] = await watch()
    assert pending.status == AlertStatus.pending  # held for a second evaluation
    [fired] = await watch()
    assert (fired.status, fired.silenced) == (AlertStatus.firing, True)
    assert fired.silence_id == uuid.UUID(silence.json()["id"])

    acknowledged = await client.post(
        f"/v1/alerts/{fired.id}/acknowledge",
        json={"comment": "Checking the shop's opening hours"},
        headers=tenant.auth(Role.editor),
    )
    assert acknowledged.json()["status"] == "acknowledged"
    assert acknowledged.json()["transitions"][-1]["note"] == "Checking the shop's opening hours"
    assert_problem(
        await client.post(f"/v1/alerts/{fired.id}/acknowledge", headers=tenant.auth()), 409
    )
    resolved = await client.post(
        f"/v1/alerts/{fired.id}/resolve",
        json={"note": "Opening hours changed"},
        headers=tenant.auth(Role.editor),
    )
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["transitions"][-1]["note"] == "Opening hours changed"


async def test_rules_are_validated_and_private(
    client, tenant: Tenant, other_tenant: Tenant, session
):
    ctx = await campaign_with_owner(client, tenant, session)
    cid = ctx["campaign"]["id"]
    ctr: dict[str, Any] = {"metric": "ctr"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"condition": "threshold", "params": {"metric": "likes", "value": 1}}, "params.metric"),
        ({"condition": "below_target", "params": ctr | {"percent": -5}}, "params.percent"),
        ({"condition": "no_data", "params": ctr | {"within_hours": 3}}, "params.metric"),
        ({"condition": "no_data", "params": {"metric": "clicks"}}, "params"),
        ({"condition": "task_overdue", "params": {}, "per_channel": True}, "per_channel"),
        ({"condition": "change", "params": ctr | {"percent": 30, "x": 1}}, "params.x"),
    ]
    for body, field in cases:
        refused = await client.post(
            "/v1/rules", json={"name": "bad", "campaign_id": cid, **body}, headers=tenant.auth()
        )
        problem = assert_problem(refused, 422)
        assert field in {e["field"] for e in problem["errors"]}, (body, problem)

    mine = await rule(client, tenant, condition="change", params={"metric": "ctr", "percent": "30"})
    assert mine["params"] == {
        "metric": "ctr",
        "percent": "30",
        "direction": "drop",
        "period": "day",
        "against": "previous",
        "periods": 7,
    }
    for method, path in (
        ("GET", f"/v1/rules/{mine['id']}"),
        ("POST", f"/v1/rules/{mine['id']}/preview"),
        ("DELETE", f"/v1/rules/{mine['id']}"),
    ):
        assert_problem(await client.request(method, path, headers=other_tenant.auth()), 404)
    again = await client.post(
        "/v1/rules/templates/enable",
        json={"keys": ["negative_comments", "negative_comments"]},
        headers=tenant.auth(),
    )
    twice = await client.post(
        "/v1/rules/templates/enable", json={"keys": ["negative_comments"]}, headers=tenant.auth()
    )
    assert [r["id"] for r in again.json()] == [r["id"] for r in twice.json()]


async def test_change_budget_burn_inhibition_and_inactive_campaigns(
    client, tenant: Tenant, session, runtime, run_worker
):
    ctx = await campaign_with_owner(client, tenant, session)
    cid = uuid.UUID(ctx["campaign"]["id"])
    campaign = await session.get(Campaign, cid)
    assert campaign is not None
    yesterday, before = today() - timedelta(days=1), today() - timedelta(days=2)
    await rule(
        client,
        tenant,
        campaign_id=str(cid),
        condition="change",
        params={"metric": "ctr", "percent": "30"},
        per_channel=True,
    )
    await enter(
        client,
        tenant,
        str(cid),
        [
            {"channel": ch, "metric": m, "date": d.isoformat(), "value": v}
            for ch in ("social_feed", "offline_store")
            for d, m, v in (
                (before, "impressions", 1000),
                (before, "clicks", 20),  # CTR 2%
                (yesterday, "impressions", 1000),
                (yesterday, "clicks", 14),  # CTR 1.4%: exactly 30% down
            )
        ],
    )
    # Contingency: 1,000 planned, 1,000 spent: used up.
    session.add_all(
        [
            BudgetLine(workspace_id=tenant.workspace_id, campaign_id=cid,
                       category=BudgetCategory.contingency, planned_amount=Decimal(1000)),
            Expense(workspace_id=tenant.workspace_id, campaign_id=cid,
                    category=BudgetCategory.contingency, amount=Decimal(1000), spent_on=today()),
        ]
    )  # fmt: skip
    await session.commit()
    await client.post(
        "/v1/rules/templates/enable",
        json={"keys": ["contingency_eaten"]},
        headers=tenant.auth(Role.editor),
    )

    async def watch(now: datetime | None = None) -> list[Alert]:
        async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
            return await alerts.watch_campaign(work, campaign_id=cid, now=now or utcnow())

    changed = await watch()
    assert sorted((a.channel or "", a.message.split(":")[0]) for a in changed) == [
        ("", "spent 1000.00 of 1000.00 planned for contingency (100%"),
        ("offline_store", "ctr 0.014 against 0.02"),
        ("social_feed", "ctr 0.014 against 0.02"),
    ]

    # A channel with no data today by 17:00: its own alert holds back the others.
    await client.post(
        "/v1/rules/templates/enable", json={"keys": ["no_data_by_1700"]}, headers=tenant.auth()
    )
    late = datetime.combine(today(), time(17, 30), SHANGHAI)
    for alert in await watch(late):
        assert alert.status == AlertStatus.firing
    preview_rule = (
        await client.get("/v1/rules", params={"condition": "change"}, headers=tenant.auth())
    ).json()["items"][0]
    # Resolve the change alerts by hand: a new breach on an inhibited channel stays quiet.
    for alert in (
        await session.scalars(select(Alert).where(Alert.rule_id == uuid.UUID(preview_rule["id"])))
    ).all():
        await client.post(
            f"/v1/alerts/{alert.id}/resolve", json={"note": "seen"}, headers=tenant.auth()
        )
    assert [a for a in await watch(late) if a.rule_id == uuid.UUID(preview_rule["id"])] == []
    preview = await client.post(f"/v1/rules/{preview_rule['id']}/preview", headers=tenant.auth())
    assert {f["state"] for f in preview.json()["findings"]} == {"inhibited"}

    # A campaign that is not active raises nothing, even from the minute's cron.
    await session.execute(update(Campaign).where(Campaign.id == cid).values(status="completed"))
    await session.commit()
    before_count = await session.scalar(select(func.count()).select_from(Alert))
    async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
        jobs.enqueue(work, "watch_active_campaigns")
    worker = await run_worker()
    assert worker.jobs_failed == 0
    assert await session.scalar(select(func.count()).select_from(Alert)) == before_count
