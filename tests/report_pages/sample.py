"""The brief's sample campaign, run and closed out through the API, for the pages' tests.

夏季防晒新品上市 (a new sunscreen line, Shanghai, CNY) over the 28 days before `today`:
the brief's goals (200,000 new users, +30% brand searches, GMV 5,000,000, ROI 1:4), a
900,000 budget with its contingency, four phases and a risk, tasks M-001..M-005 with the
brief's dependencies, figures every day on three channels adding up to the brief's
evaluation (90%, 124%, 150%, 130%), the brief's problems as issues, a real alert (51
negative comments in a day, evaluated by the alerts service), then completed: evaluation
finalised, settlement explained, settled and signed off, retrospective written.

Issues and the alert happen on past days of the campaign; the API stamps them with the
time of the request, so `backdate` moves their times to those days (arranging data).
"""

# The sample is in Chinese, with its full-width punctuation.
# ruff: noqa: RUF001

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import jobs
from shared.alerts import service as alerts
from shared.alerts.models import Alert
from shared.db import unit_of_work
from shared.issues.models import Issue

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAYS = 28
CHANNELS = {"social_feed": "社交信息流", "ecommerce": "电商平台", "offline_store": "线下快闪店"}
# Campaign totals per channel: new users 180,000 (90% of 200,000), GMV 6,200,000 (124%),
# searches 14,500 over a 10,000 baseline (+45% on +30%: 150%), ROI 1,300,000 / 250,000
# = 5.2 (130% of 4).
TOTALS: dict[str, dict[str, int]] = {
    "social_feed": {
        "impressions": 2_500_000,
        "clicks": 50_000,
        "conversions": 3_000,
        "new_users": 110_000,
        "gmv": 2_000_000,
        "revenue": 600_000,
        "spend": 100_000,
        "orders": 20_000,
        "search_volume": 9_000,
    },
    "ecommerce": {
        "impressions": 1_600_000,
        "clicks": 40_000,
        "conversions": 9_000,
        "new_users": 60_000,
        "gmv": 3_800_000,
        "revenue": 620_000,
        "spend": 120_000,
        "orders": 30_000,
        "search_volume": 5_500,
    },
    "offline_store": {
        "visitors": 14_000,
        "conversions": 1_100,
        "new_users": 10_000,
        "gmv": 400_000,
        "revenue": 80_000,
        "spend": 30_000,
        "orders": 2_000,
    },
}


@dataclass
class Sample:
    id: str
    base: str
    name: str
    start: date
    end: date
    members: dict[str, str]  # member ids by role in the team
    goals: dict[str, str]  # goal ids by metric key
    tasks: dict[str, str]  # task ids by code
    issues: list[str]


class Api:
    """The calls the sample makes, each checked: `auth` is the header of a key per role."""

    def __init__(self, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
        self.client = client
        self.admin = admin

    async def send(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        auth: dict[str, str] | None = None,
        expect: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Any:
        response = await self.client.request(
            method, path, json=body, headers=(auth or self.admin) | (headers or {})
        )
        assert response.status_code == expect, (method, path, response.text)
        return response.json() if response.content else None

    async def member(
        self, name: str, title: str, role: str | None = None
    ) -> tuple[str, dict[str, str]]:
        member = await self.send(
            "POST",
            "/v1/members",
            {"name": name, "email": f"{uuid.uuid4().hex[:10]}@example.com", "title": title},
            expect=201,
        )
        if role is None:
            return member["id"], {}
        key = await self.send(
            "POST",
            "/v1/api-keys",
            {"name": f"{title} key", "role": role, "member_id": member["id"]},
            expect=201,
        )
        return member["id"], {"Authorization": f"Bearer {key['key']}"}


def spread(total: int, days: int, offset: int) -> list[int]:
    """`total` over `days` days, rising to a burst two thirds in, adding up exactly; the
    offset varies the day-to-day wobble (so that rates move from day to day)."""
    weights = [
        8 + 2 * (i if i < days * 2 // 3 else days - i) + (offset * 7 + i * 5) % 6
        for i in range(days)
    ]
    values = [total * w // sum(weights) for w in weights]
    values[-1] += total - sum(values)
    return values


async def backdate(session: AsyncSession, issue_id: str, opened: datetime, done: datetime | None):
    values: dict[str, Any] = {"opened_at": opened, "created_at": opened}
    if done is not None:
        values["resolved_at"] = done
    await session.execute(update(Issue).where(Issue.id == uuid.UUID(issue_id)).values(**values))


async def build(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    sessionmaker: async_sessionmaker[AsyncSession],
    queue: jobs.JobQueue,
    *,
    today: date,
    name: str = "夏季防晒新品上市 2024",
) -> Sample:
    api = Api(client, admin)
    start, end = today - timedelta(days=DAYS), today - timedelta(days=1)

    def day(n: int) -> str:  # the campaign's n-th day (0 is the first)
        return (start + timedelta(days=n)).isoformat()

    manager, _ = await api.member("吴经理", "Campaign manager", "editor")
    lead, _ = await api.member("赵主管", "Brand lead")
    specialist, _ = await api.member("钱专员", "Specialist")
    copywriter, _ = await api.member("孙文案", "Copywriter")
    designer, _ = await api.member("李设计", "Designer")
    _, head = await api.member("郑部长", "Department head", "approver")
    _, management = await api.member("周总", "Management", "admin")
    _, finance = await api.member("冯财务", "Finance", "approver")
    for key, channel_name in CHANNELS.items():
        response = await client.post(
            "/v1/channels", json={"key": key, "name": channel_name}, headers=admin
        )
        assert response.status_code in (201, 409), response.text

    campaign = await api.send(
        "POST",
        "/v1/campaigns",
        {
            "name": name,
            "kind": "new_product_launch",
            "background": "新品防晒系列上市，需要在夏季前建立认知并完成首批转化。",
            "objective_summary": "新增注册用户 20 万；品牌搜索量提升 30%；活动期 GMV 500 万。",
            "target_audience": "18-35 岁一二线城市女性，关注成分与防晒功效",
            "core_message": "轻薄不油腻的全天防晒",
            "timezone": "Asia/Shanghai",
            "currency": "CNY",
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "owner_id": manager,
            "tags": ["2024 新品上市", "线下快闪店"],
        },
        expect=201,
    )
    cid = campaign["id"]
    base = f"/v1/campaigns/{cid}"
    await api.send("PUT", f"{base}/channels", {"channel_keys": list(CHANNELS)})
    goals = {}
    for body in (
        {
            "goal_type": "user_growth",
            "strategy": "KOC 种草 + 信息流广告",
            "metric_key": "new_users",
            "target_value": "200000",
            "owner_id": manager,
        },
        {
            "goal_type": "brand_awareness",
            "strategy": "媒体专访 + 线下快闪店",
            "metric_key": "search_volume",
            "target_kind": "relative_lift",
            "target_value": "30",
            "baseline_value": "10000",
            "owner_id": lead,
        },
        {
            "goal_type": "sales_conversion",
            "strategy": "电商满减 + 社群推荐",
            "metric_key": "gmv",
            "target_value": "5000000",
            "owner_id": specialist,
        },
        {
            "goal_type": "cost_efficiency",
            "strategy": "低效渠道预算动态调配",
            "metric_key": "roi",
            "target_value": "4",
            "owner_id": manager,
        },
    ):
        made = await api.send(
            "POST", f"{base}/goals", body | {"due_date": day(DAYS - 1)}, expect=201
        )
        goals[body["metric_key"]] = made["id"]
    for category, amount, note, channel in (
        ("labour", "150000", "项目组人力", None),
        ("materials", "80000", "物料与样品", None),
        ("promotion_media", "250000", "信息流广告", "social_feed"),
        ("promotion_media", "150000", "快闪店推广", "offline_store"),
        ("promotion_media", "50000", "电商站内推广", "ecommerce"),
        ("third_party_services", "120000", "KOC 与代理费用", None),
        ("contingency", "100000", "应急预留", None),
    ):
        body = {"category": category, "planned_amount": amount, "note": note}
        await api.send(
            "POST",
            f"{base}/budget-lines",
            body | ({"channel_key": channel} if channel else {}),
            expect=201,
        )
    for phase, first, last, actions in (
        ("筹备期", 0, 9, "KOC 筛选、内容策划"),
        ("预热期", 10, 16, "种草内容发布"),
        ("爆发期", 17, 23, "信息流投放、快闪店"),
        ("收尾期", 24, DAYS - 1, "复盘与结算"),
    ):
        await api.send(
            "POST",
            f"{base}/phases",
            {
                "name": phase,
                "start_date": day(first),
                "end_date": day(last),
                "core_actions": actions,
                "executor_id": manager,
            },
            expect=201,
        )
    await api.send(
        "POST",
        f"{base}/risks",
        {
            "description": "种草笔记因医疗功效宣称被平台驳回",
            "probability": "high",
            "impact": "high",
            "mitigation": "发布前法务审核宣称用语",
            "owner_id": copywriter,
        },
        expect=201,
    )
    bulk = await api.send(
        "POST",
        f"{base}/tasks/bulk",
        {
            "tasks": [
                {"code": "M-001", "name": "选定 20 位美妆 KOC（≥ 5 万粉）", "owner_id": specialist,
                 "planned_start": day(0), "planned_end": day(8), "priority": "high",
                 "deliverable": "KOC 名单与报价"},
                {"code": "M-002", "name": "策划种草内容（10 个卖点）", "owner_id": copywriter,
                 "planned_start": day(3), "planned_end": day(9), "priority": "high",
                 "deliverable": "内容方案"},
                {"code": "M-003", "name": "制作 10 篇图文 + 5 条短视频", "owner_id": designer,
                 "planned_start": day(10), "planned_end": day(17), "priority": "high",
                 "deliverable": "成品素材", "predecessors": [{"code": "M-002"}]},
                {"code": "M-004", "name": "KOC 发布排期", "owner_id": specialist,
                 "planned_start": day(18), "planned_end": day(21), "priority": "medium",
                 "deliverable": "发布排期表",
                 "predecessors": [{"code": "M-001"}, {"code": "M-003"}]},
                {"code": "M-005", "name": "快闪店撤场", "owner_id": specialist,
                 "planned_start": day(24), "planned_end": day(26), "priority": "low",
                 "predecessors": [{"code": "M-004"}]},
            ]
        },
        expect=201,
    )  # fmt: skip
    items = bulk["items"] if isinstance(bulk, dict) else bulk
    tasks = {t["code"]: t["id"] for t in items}

    assert (await api.send("POST", f"{base}/submit"))["status"] == "pending_approval"
    await api.send(
        "POST", f"{base}/approvals", {"decision": "approve", "comment": "同意"}, auth=head
    )
    approved = await api.send(
        "POST", f"{base}/approvals", {"decision": "approve", "comment": "同意立项"}, auth=management
    )
    assert approved["status"] == "approved", approved
    await api.send("POST", f"{base}/activate")

    points = [
        {"channel": channel, "metric": metric, "date": day(1 + i), "value": value}
        for c, (channel, figures) in enumerate(TOTALS.items())
        for m, (metric, total) in enumerate(figures.items())
        for i, value in enumerate(spread(total, DAYS - 2, c + m))
    ]
    points.append({"channel": "social_feed", "metric": "negative_comments", "date": day(15),
                   "value": 51})  # fmt: skip
    await api.send("POST", f"{base}/metric-points", {"points": points}, expect=201)

    # The brief's rule of thumb, evaluated as the worker would on the day it happened.
    await api.send("POST", "/v1/rules/templates/enable", {"keys": ["negative_comments"]})
    fired_at = datetime.combine(start + timedelta(days=15), time(17, 30), tzinfo=SHANGHAI)
    async with unit_of_work(sessionmaker, queue) as work:
        [alert] = await alerts.watch_campaign(work, campaign_id=uuid.UUID(cid), now=fired_at)
        alert_id = alert.id
    await api.send("POST", f"/v1/alerts/{alert_id}/resolve", {"note": "已回复并删除违规评论"})
    for opened in (await api.send("GET", f"/v1/issues?alert_id={alert_id}"))["items"]:
        await api.send("PATCH", f"/v1/issues/{opened['id']}", {"status": "resolved"})

    issues = []
    for title, description, impact, owner, severity, opened, closed in (
        ("2 篇笔记因医疗宣称被驳回", "10 篇完成 8 篇，2 篇被驳回", "延误 2 天", copywriter,
         "warning", 12, 14),
        ("信息流 CTR 1.2%（目标 1.5%）", "创意吸引力不足", "转化可能不达标", designer,
         "warning", 19, 20),
        ("快闪店客流 500/天，低于预期 800", "商场人流不足", "品牌曝光减少", lead,
         "critical", 22, None),
    ):  # fmt: skip
        issue = await api.send(
            "POST",
            "/v1/issues",
            {
                "campaign_id": cid,
                "title": title,
                "description": description,
                "impact": impact,
                "owner_id": owner,
                "severity": severity,
                "action_plan": "见复盘",
            },
            expect=201,
        )
        issues.append(issue["id"])
        at = datetime.combine(start + timedelta(days=opened), time(10), tzinfo=SHANGHAI)
        done = (
            datetime.combine(start + timedelta(days=closed), time(18), tzinfo=SHANGHAI)
            if closed is not None
            else None
        )
        if done is not None:
            await api.send("PATCH", f"/v1/issues/{issue['id']}", {"status": "resolved"})
        async with unit_of_work(sessionmaker, queue) as work:
            await backdate(work, issue["id"], at, done)
    async with unit_of_work(sessionmaker, queue) as work:  # the alert's issue, and the alert
        await work.execute(
            update(Alert)
            .where(Alert.id == alert_id)
            .values(resolved_at=fired_at + timedelta(hours=20))
        )
        await work.execute(
            update(Issue)
            .where(Issue.alert_id == alert_id)
            .values(opened_at=fired_at, resolved_at=fired_at + timedelta(hours=20))
        )

    for category, amount, channel, invoice in (
        ("labour", "150000", None, "FP-2024-001"),
        ("materials", "76000", None, "FP-2024-002"),
        ("promotion_media", "240000", "social_feed", "FP-2024-003"),
        ("promotion_media", "168000", "offline_store", "FP-2024-004"),
        ("promotion_media", "50000", "ecommerce", "FP-2024-005"),
        ("third_party_services", "150000", None, "FP-2024-006"),
        ("contingency", "20000", None, "FP-2024-007"),
    ):
        body = {"category": category, "amount": amount, "spent_on": day(20),
                "invoice_reference": invoice}  # fmt: skip
        await api.send(
            "POST",
            f"{base}/expenses",
            body | ({"channel_key": channel} if channel else {}),
            expect=201,
        )

    for code, finished in (("M-001", 8), ("M-002", 9), ("M-003", 19), ("M-004", 21)):
        await api.send(
            "PATCH", f"/v1/tasks/{tasks[code]}", {"status": "done", "actual_end": day(finished)}
        )

    # Close-out: completed, evaluated, settled and signed off, the retrospective written.
    await api.send("POST", f"{base}/complete")
    await api.send("PATCH", f"/v1/tasks/{tasks['M-005']}", {"status": "cancelled"})
    await api.send("PATCH", f"/v1/issues/{issues[2]}", {"status": "resolved"})
    await api.send(
        "PATCH",
        f"{base}/evaluation/goals/{goals['new_users']}",
        {
            "cause_category": "execution",
            "analysis": "KOC 档期晚两周，预热期新增用户不足",
            "improvement_proposal": "提前两周锁定 KOC 档期",
        },
        headers={"If-Match": '"0"'},
    )
    await api.send("POST", f"{base}/evaluation/finalise", expect=201)
    await api.send("POST", f"{base}/settlement/verify", auth=finance)
    refused = await client.post(f"{base}/settlement/settle", headers=finance)
    assert refused.status_code == 422, refused.text
    for error in refused.json()["errors"]:
        key = error["field"].removeprefix("lines.").removesuffix(".explanation")
        await api.send(
            "PUT", f"{base}/settlement/lines/{key}/explanation", {"text": "按合同追加（代理费用）"}
        )
    await api.send("POST", f"{base}/settlement/settle", auth=finance)
    await api.send("POST", f"{base}/settlement/sign-off", {"comment": "同意结算"}, auth=management)
    for body in (
        {"stage": "预热期 KOC 种草", "what_worked": "种草笔记互动率高于行业均值",
         "shortfall": "KOC 档期晚两周", "root_cause": "execution",
         "improvement_action": "下次活动提前两周锁定 KOC 档期", "owner_id": manager,
         "due_date": day(DAYS + 30)},
        {"stage": "爆发期 信息流", "what_worked": "新主视觉上线后 CTR 回升到 1.6%",
         "shortfall": "首版创意 CTR 仅 1.2%", "root_cause": "strategy",
         "improvement_action": "创意上线前做 A/B 测试", "owner_id": designer},
        {"stage": "线下快闪店", "shortfall": "客流 500/天，低于预期 800",
         "root_cause": "external", "improvement_action": "选址参考商场历史客流",
         "owner_id": lead},
    ):  # fmt: skip
        await api.send("POST", f"{base}/retrospective/items", body, expect=201)
    await api.send(
        "POST",
        f"{base}/reviews",
        {"kind": "final", "notes": "结项复盘会：目标 4 项达成 3 项。"},
        expect=201,
    )
    return Sample(
        id=cid,
        base=base,
        name=name,
        start=start,
        end=end,
        members={"manager": manager},
        goals=goals,
        tasks=tasks,
        issues=issues,
    )
