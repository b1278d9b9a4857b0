"""Campaign templates, and new campaigns started from a finished one, through the API.

The source is the brief's sample campaign (tests/api/test_campaign_lifecycle.py): 2024-05-01
to 07-15 (75 days), three goals (200,000 new users by 06-30; +30% search volume over a
10,000 baseline by 07-15; 5,000,000 GMV by 06-18), a 900,000 budget (labour 150,000,
materials 80,000 for M-003, promotion/media 450,000 on the social feed, third-party
120,000, contingency 100,000), four phases, a severe risk with its mitigation; with the
brief's breakdown (M-001..M-004 under a strategy and a module; M-003 after M-002, M-004
after M-001 and M-003), a warning rule escalated by the manuals' policy, and, once it
ran, a retrospective with two improvement actions. The next campaign starts 2025-05-01:
every date moves by 365 days.
"""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import delete, func, select

from shared.actor import Role
from shared.escalations.models import EscalationPolicy
from shared.models import Base
from tests.api import test_campaign_lifecycle as lifecycle
from tests.api.test_campaign_lifecycle import Team, action, decide, sample_campaign
from tests.api.test_settlement import bound_key
from tests.helpers import (
    Tenant,
    add_member,
    assert_problem,
    created,
    fields_of,
    register_channels,
)

team = lifecycle.team  # the brief's people, approvers bound to API keys

CHANNELS = {"social_feed": "Social feed", "offline_store": "Offline pop-up store"}
YEAR = timedelta(days=365)  # 2024-05-01 -> 2025-05-01
NEXT = {"name": "Summer skincare launch 2025", "start_date": "2025-05-01"}
LESSONS = [
    "下次活动提前两周锁定 KOC 档期",
    "快闪店选址前核对商场客流数据",
    "KOC 发布排期提前一周确认",  # accepted from a suggestion
]


@dataclass
class Source:
    id: str
    base: str
    goals: dict[str, str]  # ids by metric key
    tasks: dict[str, str]  # ids by code
    lines: dict[str, str]  # budget line ids by category
    policy: str
    copywriter: dict[str, Any]
    designer: dict[str, Any]


async def read(client: httpx.AsyncClient, tenant: Tenant, path: str, **params: Any) -> Any:
    response = await client.get(path, params=params, headers=tenant.auth(Role.viewer))
    assert response.status_code == 200, response.text
    return response.json()


async def items(client: httpx.AsyncClient, tenant: Tenant, path: str) -> list[Any]:
    listed: list[Any] = (await read(client, tenant, path, limit=200))["items"]
    return listed


async def patch(client, tenant: Tenant, path: str, body: dict[str, Any]) -> Any:
    response = await client.patch(path, json=body, headers=tenant.auth(Role.editor))
    assert response.status_code == 200, response.text
    return response.json()


async def planned(client, tenant: Tenant, team: Team) -> Source:
    """The brief's campaign as a draft with its whole plan."""
    await register_channels(client, tenant, CHANNELS)
    campaign = await sample_campaign(client, tenant, team, flawed=False)
    cid, base = campaign["id"], f"/v1/campaigns/{campaign['id']}"
    attached = await client.put(
        f"{base}/channels", json={"channel_keys": list(CHANNELS)}, headers=tenant.auth()
    )
    assert attached.status_code == 200, attached.text
    copywriter = await add_member(client, tenant, name="Copywriter Sun", title="Copywriter")
    designer = await add_member(client, tenant, name="Designer Li", title="Designer")
    goals = {g["metric_key"]: g["id"] for g in await items(client, tenant, f"{base}/goals")}
    phases = {p["name"]: p["id"] for p in await items(client, tenant, f"{base}/phases")}
    specialist = team.specialist["id"]
    wbs = [
        {
            "code": "S-01",
            "level": "strategy",
            "name": "KOC seeding + feed ads",
            "owner_id": team.manager["id"],
            "goal_id": goals["new_users"],
        },
        {
            "code": "MOD-01",
            "level": "module",
            "parent_code": "S-01",
            "name": "Seeding content",
            "owner_id": specialist,
            "phase_id": phases["preparation"],
        },
        {
            "code": "M-001",
            "parent_code": "MOD-01",
            "name": "Select 20 beauty KOCs (>= 50k followers)",
            "owner_id": specialist,
            "planned_start": "2024-05-01",
            "planned_end": "2024-05-10",
            "deliverable": "KOC list and quotes",
            "priority": "high",
            "phase_id": phases["preparation"],
        },
        {
            "code": "M-002",
            "parent_code": "MOD-01",
            "name": "Plan seeding content (10 selling points)",
            "owner_id": copywriter["id"],
            "planned_start": "2024-05-11",
            "planned_end": "2024-05-15",
            "deliverable": "Content plan",
            "priority": "high",
        },
        {
            "code": "M-003",
            "parent_code": "MOD-01",
            "name": "Produce 10 posts + 5 short videos",
            "owner_id": designer["id"],
            "approver_id": team.lead["id"],
            "supporting_departments": ["Design", "Legal"],
            "planned_start": "2024-05-16",
            "planned_end": "2024-05-25",
            "deliverable": "Final assets",
            "priority": "high",
            "predecessors": [{"code": "M-002"}],
        },
        {
            "code": "M-004",
            "parent_code": "MOD-01",
            "name": "Publishing schedule for KOCs (06-01..06-15)",
            "owner_id": specialist,
            "planned_start": "2024-05-26",
            "planned_end": "2024-05-30",
            "deliverable": "Schedule",
            "predecessors": [{"code": "M-001"}, {"code": "M-003", "lag_days": 1}],
        },
    ]
    bulk = await client.post(
        f"{base}/tasks/bulk", json={"tasks": wbs}, headers=tenant.auth(Role.editor)
    )
    assert bulk.status_code == 201, bulk.text
    tasks = {t["code"]: t["id"] for t in bulk.json()}
    (risk,) = await items(client, tenant, f"{base}/risks")
    await patch(client, tenant, f"{base}/risks/{risk['id']}", {"phase_id": phases["burst"]})
    lines = {x["category"]: x["id"] for x in await items(client, tenant, f"{base}/budget-lines")}
    await patch(
        client,
        tenant,
        f"{base}/budget-lines/{lines['promotion_media']}",
        {"channel_key": "social_feed"},
    )
    await patch(
        client, tenant, f"{base}/budget-lines/{lines['materials']}", {"task_id": tasks["M-003"]}
    )
    policy = await client.post("/v1/escalation-policies/default", headers=tenant.auth())
    assert policy.status_code == 200, policy.text
    await created(
        client,
        tenant,
        "/v1/rules",
        {
            "name": "Conversion 20% under target",
            "campaign_id": cid,
            "condition": "below_target",
            "params": {"metric": "conversion_rate", "percent": "20"},
            "per_channel": True,
            "min_sample_metric": "clicks",
            "min_sample_count": 100,
            "opens_issue": True,
            "escalation_policy_id": policy.json()["id"],
            "labels": {"team": "growth"},
        },
    )
    return Source(cid, base, goals, tasks, lines, policy.json()["id"], copywriter, designer)


async def completed(client, tenant: Tenant, team: Team) -> Source:
    """The campaign above, approved, run (money spent, work done) and completed, with its
    retrospective: two items the team wrote with an improvement action, one without, and
    two accepted suggestions (its tasks finished late): one given an improvement action,
    one not."""
    source = await planned(client, tenant, team)
    cid, base = source.id, source.base
    assert (await action(client, tenant, cid, "submit")).status_code == 200
    assert (await decide(client, cid, team.department_head)).status_code == 200
    assert (await decide(client, cid, team.management)).status_code == 200
    assert (await action(client, tenant, cid, "activate")).status_code == 200
    await created(
        client,
        tenant,
        f"{base}/expenses",
        {
            "category": "promotion_media",
            "amount": "420000",
            "spent_on": "2024-06-10",
            "channel_key": "social_feed",
        },
    )
    for code, status in (("M-001", "done"), ("M-002", "done"), ("M-003", "cancelled")):
        await patch(client, tenant, f"/v1/tasks/{source.tasks[code]}", {"status": status})
    await patch(client, tenant, f"/v1/tasks/{source.tasks['M-004']}", {"status": "done"})
    assert (await action(client, tenant, cid, "complete")).status_code == 200
    for item in (
        {
            "stage": "预热期 KOC seeding",
            "shortfall": "新注册用户 180,000, 目标 200,000",
            "root_cause": "execution",
            "improvement_action": LESSONS[0],
            "owner_id": team.manager["id"],
        },
        {"stage": "爆发期", "what_worked": "快闪店话题度高"},
        {
            "stage": "快闪店",
            "shortfall": "客流 500/天, 低于预期 800",
            "root_cause": "strategy",
            "improvement_action": LESSONS[1],
        },
    ):
        await created(client, tenant, f"{base}/retrospective/items", item)
    suggestions = await read(client, tenant, f"{base}/retrospective/suggestions")
    slipped = {
        s["draft"]["stage"].split()[0]: s["id"]
        for s in suggestions["items"]
        if s["kind"] == "task_slipped"
    }
    for code, edits in (
        ("M-001", {}),
        ("M-004", {"shortfall": "M-004 排期晚于 KOC 档期", "improvement_action": LESSONS[2]}),
    ):
        accepted = await client.post(
            f"{base}/retrospective/suggestions/{slipped[code]}/accept",
            json=edits,
            headers=tenant.auth(Role.editor),
        )
        assert accepted.status_code == 201, accepted.text
    return source


async def archived(client, tenant: Tenant, team: Team) -> Source:
    """The campaign above, closed out and archived (as tests/api/test_close_out.py does)."""
    source = await completed(client, tenant, team)
    base, editor = source.base, tenant.auth(Role.editor)
    _, finance = await bound_key(client, tenant, "approver", "Finance")
    _, management = await bound_key(client, tenant, "admin", "CMO")
    assert (await client.post(f"{base}/evaluation/finalise", headers=editor)).status_code == 201
    settlement = f"{base}/settlement"
    assert (await client.post(f"{settlement}/verify", headers=finance)).status_code == 200
    unexplained = assert_problem(await client.post(f"{settlement}/settle", headers=finance), 422)
    for field in fields_of(unexplained):
        key = field.removeprefix("body.lines.").removesuffix(".explanation")
        explained = await client.put(
            f"{settlement}/lines/{key}/explanation", json={"text": "按实际执行"}, headers=editor
        )
        assert explained.status_code == 200, explained.text
    assert (await client.post(f"{settlement}/settle", headers=finance)).status_code == 200
    signed = await client.post(
        f"{settlement}/sign-off", json={"comment": "同意"}, headers=management
    )
    assert signed.status_code == 200, signed.text
    archived = await action(client, tenant, source.id, "archive")
    assert archived.status_code == 200, archived.text
    return source


TABLES = (
    "campaigns",
    "goals",
    "budget_lines",
    "phases",
    "risks",
    "tasks",
    "task_dependencies",
    "rules",
    "campaign_channels",
    "campaign_templates",
    "campaign_lessons",
    "campaign_origins",
    "activity_entries",
    "events",
)


async def row_counts(session) -> dict[str, int]:
    tables = Base.metadata.tables
    return {
        name: await session.scalar(select(func.count()).select_from(tables[name]))
        for name in TABLES
    }


def moved(day: str | None) -> str | None:
    return None if day is None else (date.fromisoformat(day) + YEAR).isoformat()


async def structure(client, tenant: Tenant, base: str) -> dict[str, Any]:
    """A campaign's plan as comparable values: ids turned into codes and names."""
    goals = await items(client, tenant, f"{base}/goals")
    phases = await items(client, tenant, f"{base}/phases")
    tasks = await items(client, tenant, f"{base}/tasks")
    code = {t["id"]: t["code"] for t in tasks}
    goal = {g["id"]: g["metric_key"] for g in goals}
    phase = {p["id"]: p["name"] for p in phases}
    return {
        "goals": sorted(
            (
                g["metric_key"],
                g["goal_type"],
                g["strategy"],
                g["target_kind"],
                g["direction"],
                g["owner_id"],
                g["due_date"],
            )
            for g in goals
        ),
        "phases": sorted((p["name"], p["start_date"], p["end_date"]) for p in phases),
        "risks": [
            (
                r["description"],
                phase.get(r["phase_id"]),
                r["probability"],
                r["impact"],
                r["mitigation"],
                r["status"],
            )
            for r in await items(client, tenant, f"{base}/risks")
        ],
        "tasks": sorted(
            (
                t["code"],
                t["level"],
                code.get(t["parent_id"]),
                t["name"],
                goal.get(t["goal_id"]),
                phase.get(t["phase_id"]),
                t["owner_id"],
                t["approver_id"],
                tuple(t["supporting_departments"]),
                t["planned_start"],
                t["planned_end"],
                t["deliverable"],
                t["priority"],
                tuple(sorted((p["code"], p["lag_days"]) for p in t["predecessors"])),
            )
            for t in tasks
        ),
        "budget_lines": sorted(
            (x["category"], x["note"], x["channel_key"], code.get(x["task_id"]))
            for x in await items(client, tenant, f"{base}/budget-lines")
        ),
        "channels": [c["key"] for c in await read(client, tenant, f"{base}/channels")],
    }


def shifted(plan: dict[str, Any]) -> dict[str, Any]:
    """The source's structure as it should read a year later."""
    return plan | {
        "goals": sorted((*g[:-1], moved(g[-1])) for g in plan["goals"]),
        "phases": sorted((p[0], moved(p[1]), moved(p[2])) for p in plan["phases"]),
        "tasks": sorted((*t[:9], moved(t[9]), moved(t[10]), *t[11:]) for t in plan["tasks"]),
    }


async def rules_of(client, tenant: Tenant, campaign_id: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = (
        await read(client, tenant, "/v1/rules", campaign_id=campaign_id)
    )["items"]
    return listed


SAME_RULE = (
    "name",
    "condition",
    "params",
    "per_channel",
    "severity",
    "min_sample_metric",
    "min_sample_count",
    "opens_issue",
    "escalation_policy_id",
    "labels",
    "enabled",
)


async def test_a_campaign_started_from_an_archived_one_carries_its_plan_to_new_dates(
    client, tenant: Tenant, team: Team, session
):
    source = await archived(client, tenant, team)
    source_plan = await structure(client, tenant, source.base)
    body = NEXT | {"total_budget": "1200000"}
    counts = {
        "goals": 3,
        "budget_lines": 5,
        "phases": 4,
        "risks": 1,
        "tasks": 6,
        "dependencies": 3,
        "rules": 1,
        "lessons": 3,
    }

    # Saved as a template: the plan frozen, dates as offsets, members with their names.
    template = await created(
        client,
        tenant,
        "/v1/campaign-templates",
        {"campaign_id": source.id, "name": "New product launch (summer 2024)"},
    )
    assert (template["kind"], template["duration_days"], template["counts"]) == (
        "new_product_launch",
        75,
        counts,
    )
    assert {k: template["budget"][k] for k in ("reference_total", "contingency_share_percent")} == {
        "reference_total": "900000.00",
        "contingency_share_percent": "11.11",
    }
    m003 = next(t for t in template["plan"]["tasks"] if t["code"] == "M-003")
    assert (m003["start_offset_days"], m003["end_offset_days"], m003["owner"]) == (
        15,
        24,
        {"id": source.designer["id"], "name": "Designer Li"},
    )
    assert [x["improvement_action"] for x in template["plan"]["lessons"]] == LESSONS

    # The preview: every item with its new dates and amounts; nothing is written.
    before = await row_counts(session)
    previewed = await client.post(
        f"{source.base}/copy/preview", json=body, headers=tenant.auth(Role.viewer)
    )
    assert previewed.status_code == 200, previewed.text
    assert await row_counts(session) == before
    preview = previewed.json()
    assert preview["source"] == {
        "type": "campaign",
        "template_id": None,
        "template_name": None,
        "campaign_id": source.id,
        "campaign_name": "Summer skincare launch 2024",
    }
    assert {
        k: preview["campaign"][k]
        for k in ("status", "start_date", "end_date", "owner_id", "channel_keys", "tags")
    } == {
        "status": "draft",
        "start_date": "2025-05-01",
        "end_date": "2025-07-15",
        "owner_id": team.manager["id"],
        "channel_keys": ["offline_store", "social_feed"],
        "tags": ["2024 new product launch"],
    }
    assert preview["counts"] == counts
    # 1,200,000 by the source's shares of 900,000; the cent rounding left goes to the
    # largest category (promotion/media), so the lines add up exactly.
    assert preview["budget"] == {
        "total": "1200000.00",
        "reference_total": "900000.00",
        "scaled": True,
        "contingency_share_percent": "11.11",
        "categories": [
            {"category": "labour", "planned": "200000.00", "share_percent": "16.67"},
            {"category": "materials", "planned": "106666.66", "share_percent": "8.89"},
            {"category": "promotion_media", "planned": "600000.01", "share_percent": "50.00"},
            {"category": "third_party_services", "planned": "160000.00", "share_percent": "13.33"},
            {"category": "contingency", "planned": "133333.33", "share_percent": "11.11"},
        ],
    }
    assert [
        (g["metric_key"], g["target_value"], g["reference_target"], g["due_date"])
        for g in preview["goals"]
    ] == [
        ("new_users", None, "200000.0000", "2025-06-30"),
        ("search_volume", None, "30.0000", "2025-07-15"),
        ("gmv", None, "5000000.0000", "2025-06-18"),
    ]
    assert preview["goals"][1]["reference_baseline"] == "10000.0000"
    assert [(t["code"], t["planned_start"], t["planned_end"]) for t in preview["tasks"]] == [
        ("S-01", None, None),
        ("MOD-01", None, None),
        ("M-001", "2025-05-01", "2025-05-10"),
        ("M-002", "2025-05-11", "2025-05-15"),
        ("M-003", "2025-05-16", "2025-05-25"),
        ("M-004", "2025-05-26", "2025-05-30"),
    ]
    m003 = preview["tasks"][4]
    assert (m003["parent_code"], m003["approver_id"], m003["predecessors"]) == (
        "MOD-01",
        team.lead["id"],
        [{"code": "M-002", "lag_days": 0}],
    )
    assert preview["tasks"][5]["predecessors"] == [
        {"code": "M-001", "lag_days": 0},
        {"code": "M-003", "lag_days": 1},
    ]
    assert [(r["name"], r["escalation_policy_id"]) for r in preview["rules"]] == [
        ("Conversion 20% under target", source.policy)
    ]
    assert preview["warnings"] == [
        {
            "code": "targets_to_confirm",
            "message": "3 goals have their target to confirm (the source's is shown as "
            "reference_target); the campaign cannot be submitted until each is set.",
            "ref": None,
        }
    ]
    # The improvement actions of the retrospective: the team's and the accepted suggestion's.
    assert [(x["position"], x["stage"], x["improvement_action"]) for x in preview["lessons"]] == [
        (1, "预热期 KOC seeding", LESSONS[0]),
        (2, "快闪店", LESSONS[1]),
        (3, "M-004 Publishing schedule for KOCs (06-01..06-15)", LESSONS[2]),
    ]

    # The campaign, made as previewed, once: a retry with the same key replays it.
    editor = tenant.auth(Role.editor) | {"Idempotency-Key": "summer-launch-2025"}
    made = await client.post(f"{source.base}/copy", json=body, headers=editor)
    assert made.status_code == 201, made.text
    new = made.json()["campaign"]
    base = f"/v1/campaigns/{new['id']}"
    assert made.headers["location"] == base
    replayed = await client.post(f"{source.base}/copy", json=body, headers=editor)
    assert replayed.status_code == 201
    assert replayed.headers["idempotent-replayed"] == "true"
    assert (replayed.json()["campaign"]["id"], replayed.headers["location"]) == (new["id"], base)
    origin = made.json()["origin"]
    assert (origin["source"]["type"], origin["source"]["campaign_name"]) == (
        "campaign",
        "Summer skincare launch 2024",
    )
    assert (origin["budget_total"], origin["lessons"], origin["counts"]) == (
        "1200000.00",
        {"total": 3, "done": 0},
        counts,
    )
    assert origin["goals_to_confirm"][0] | {"goal_id": None} == {
        "goal_id": None,
        "metric_key": "new_users",
        "reference_target": "200000.0000",
        "reference_baseline": None,
        "target_value": None,
        "baseline_value": None,
        "confirmed": False,
    }
    assert (await row_counts(session))["campaigns"] == before["campaigns"] + 1

    # A faithful copy of the structure, a year later.
    assert await structure(client, tenant, base) == shifted(source_plan)
    lines = await items(client, tenant, f"{base}/budget-lines")
    assert {x["category"]: x["planned_amount"] for x in lines} == {
        c["category"]: c["planned"] for c in preview["budget"]["categories"]
    }
    budget = await read(client, tenant, f"{base}/budget")
    assert (budget["planned"], budget["spent"], budget["contingency_share_percent"]) == (
        "1200000.00",
        "0.00",
        "11.11",
    )
    copied_rules = await rules_of(client, tenant, new["id"])
    source_rules = await rules_of(client, tenant, source.id)
    assert [{k: r[k] for k in SAME_RULE} for r in copied_rules] == [
        {k: r[k] for k in SAME_RULE} for r in source_rules
    ]
    assert copied_rules[0]["escalation_policy_id"] == source.policy

    # Nothing of what happened: no figures, money spent, approvals, number, statuses.
    assert (new["status"], new["registration_number"], new["approved_at"]) == ("draft", None, None)
    assert new["tags"] == ["2024 new product launch"]  # the source's, as none were given
    assert new["allowed_actions"] == ["submit", "cancel"]
    assert await items(client, tenant, f"{base}/expenses") == []
    assert await read(client, tenant, f"{base}/approvals") == []
    assert await items(client, tenant, f"{base}/retrospective/items") == []
    tasks = await items(client, tenant, f"{base}/tasks")
    assert {(t["status"], t["progress"], t["actual_start"], t["actual_end"]) for t in tasks} == {
        ("todo", 0, None, None)
    }
    goals = await items(client, tenant, f"{base}/goals")
    assert {(g["target_value"], g["baseline_value"]) for g in goals} == {(None, None)}
    log = await items(client, tenant, f"{base}/activity?kind=note")
    assert log[0]["note"].startswith("Started from campaign 'Summer skincare launch 2024': 3 goals")

    # The lessons of the source's retrospective, as a checklist.
    lessons = await items(client, tenant, f"{base}/lessons")
    assert [
        (x["position"], x["improvement_action"], x["source_campaign_id"], x["done"])
        for x in lessons
    ] == [(i + 1, action, source.id, False) for i, action in enumerate(LESSONS)]

    # The targets are to confirm: submitting waits for them.
    readiness = await read(client, tenant, f"{base}/readiness")
    assert sorted(b["code"] for b in readiness["blockers"]) == [
        "goal_without_baseline",
        "goal_without_target",
        "goal_without_target",
        "goal_without_target",
    ]
    refused = assert_problem(await action(client, tenant, new["id"], "submit"), 422, "not_ready")
    assert {
        "code": "goal_without_target",
        "message": "Goal 'new_users' has no target value.",
        "ref": f"goals/{origin['goals_to_confirm'][0]['goal_id']}",
    } in refused["blockers"]

    # The team ticks a lesson: who and when are recorded.
    _, manager_key = await bound_key(client, tenant, "editor", "Campaign manager")
    ticked = await client.patch(
        f"{base}/lessons/{lessons[0]['id']}", json={"done": True}, headers=manager_key
    )
    assert ticked.status_code == 200, ticked.text
    assert {
        k: ticked.json()[k]
        for k in ("position", "improvement_action", "done", "done_by_member_name", "version")
    } == {
        "position": 1,
        "improvement_action": LESSONS[0],
        "done": True,
        "done_by_member_name": "Campaign manager 王",
        "version": 2,
    }
    origin = await read(client, tenant, f"{base}/origin")
    assert origin["source"]["campaign_id"] == source.id
    assert [
        (g["metric_key"], g["reference_target"], g["confirmed"]) for g in origin["goals_to_confirm"]
    ] == [
        ("new_users", "200000.0000", False),
        ("search_volume", "30.0000", False),
        ("gmv", "5000000.0000", False),
    ]
    targets = {"new_users": "240000", "search_volume": "25", "gmv": "6000000"}
    for goal in goals:
        change = {"target_value": targets[goal["metric_key"]]}
        if goal["target_kind"] == "relative_lift":
            change["baseline_value"] = "14500"
        await patch(client, tenant, f"{base}/goals/{goal['id']}", change)
    origin = await read(client, tenant, f"{base}/origin")
    assert {g["confirmed"] for g in origin["goals_to_confirm"]} == {True}
    submitted = await action(client, tenant, new["id"], "submit")
    assert submitted.status_code == 200, submitted.text
    assert (await read(client, tenant, f"{base}/origin"))["lessons"] == {"total": 3, "done": 1}
    # While the approval is pending nothing changes, the checklist neither.
    pending = await client.patch(
        f"{base}/lessons/{lessons[1]['id']}", json={"done": True}, headers=manager_key
    )
    assert_problem(pending, 409, "campaign_locked")


async def test_a_template_keeps_the_plan_as_saved_and_starts_campaigns(
    client, tenant: Tenant, team: Team
):
    source = await planned(client, tenant, team)  # a draft, still being edited
    editor = tenant.auth(Role.editor)
    saved = await client.post(
        "/v1/campaign-templates",
        json={"campaign_id": source.id, "name": "New product launch", "description": "76 days"},
        headers=editor | {"Idempotency-Key": "save-launch"},
    )
    assert saved.status_code == 201, saved.text
    template = saved.json()
    path = f"/v1/campaign-templates/{template['id']}"
    assert saved.headers["location"] == path
    assert (template["kind"], template["duration_days"], template["source_campaign_id"]) == (
        "new_product_launch",
        75,
        source.id,
    )
    assert template["counts"]["tasks"] == 6
    assert template["budget"]["contingency_share_percent"] == "11.11"
    plan = template["plan"]
    assert [(t["code"], t["start_offset_days"], t["end_offset_days"]) for t in plan["tasks"]][
        2:
    ] == [
        ("M-001", 0, 9),
        ("M-002", 10, 14),
        ("M-003", 15, 24),
        ("M-004", 25, 29),
    ]
    assert plan["tasks"][4]["owner"] == {"id": source.designer["id"], "name": "Designer Li"}

    # Later edits of the source do not reach the template.
    source_plan = await structure(client, tenant, source.base)
    await patch(client, tenant, f"/v1/tasks/{source.tasks['M-003']}", {"name": "Produce 20 posts"})
    risks = await items(client, tenant, f"{source.base}/risks")
    removed = await client.delete(f"{source.base}/risks/{risks[0]['id']}", headers=editor)
    assert removed.status_code == 204
    assert (await read(client, tenant, path))["plan"] == plan

    # Renamed, described, listed.
    taken = await client.post(
        "/v1/campaign-templates",
        json={"campaign_id": source.id, "name": "New product launch"},
        headers=editor,
    )
    assert assert_problem(taken, 409, "template_name_taken")["field"] == "name"
    second = await created(
        client, tenant, "/v1/campaign-templates", {"campaign_id": source.id, "name": "Lean launch"}
    )
    assert second["counts"]["risks"] == 0  # saved after the risk was removed
    stale = await client.patch(path, json={"name": "x"}, headers=editor | {"If-Match": '"0"'})
    assert_problem(stale, 412)
    renamed = await client.patch(
        path,
        json={"name": "Launch (reference)", "description": None},
        headers=editor | {"If-Match": '"1"'},
    )
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["description"], renamed.headers["etag"]) == (
        "Launch (reference)",
        None,
        '"2"',
    )
    clash = await client.patch(
        f"/v1/campaign-templates/{second['id']}",
        json={"name": "Launch (reference)"},
        headers=editor,
    )
    assert_problem(clash, 409, "template_name_taken")
    first = await read(client, tenant, "/v1/campaign-templates", limit=1)
    rest = await read(
        client, tenant, "/v1/campaign-templates", limit=1, cursor=first["next_cursor"]
    )
    assert [t["name"] for t in first["items"] + rest["items"]] == [
        "Launch (reference)",
        "Lean launch",
    ]
    assert rest["next_cursor"] is None
    assert "plan" not in first["items"][0]
    launches = await read(client, tenant, "/v1/campaign-templates", kind="new_product_launch")
    assert len(launches["items"]) == 2
    assert (await read(client, tenant, "/v1/campaign-templates", kind="promotion"))["items"] == []

    # A campaign from the template: the plan as saved, on the new dates.
    body = NEXT | {"end_date": "2025-07-31", "tags": ["2025 new product launch"]}
    previewed = await client.post(f"{path}/preview", json=body, headers=tenant.auth(Role.viewer))
    assert previewed.status_code == 200, previewed.text
    made = await client.post(f"{path}/campaigns", json=body, headers=editor)
    assert made.status_code == 201, made.text
    new = made.json()["campaign"]
    assert (new["end_date"], new["tags"], new["status"]) == (
        "2025-07-31",
        ["2025 new product launch"],
        "draft",
    )
    base = f"/v1/campaigns/{new['id']}"
    copy = await structure(client, tenant, base)
    assert copy == shifted(source_plan)  # the name of M-003 and the risk as they were saved
    assert [t["code"] for t in previewed.json()["tasks"]] == [
        "S-01",
        "MOD-01",
        "M-001",
        "M-002",
        "M-003",
        "M-004",
    ]
    assert made.json()["origin"]["source"] == {
        "type": "template",
        "template_id": template["id"],
        "template_name": "Launch (reference)",
        "campaign_id": source.id,
        "campaign_name": "Summer skincare launch 2024",
    }
    assert await items(client, tenant, f"{base}/lessons") == []  # the draft had no retrospective

    # Deleted, the template is gone; the campaign keeps its origin by name.
    gone = await client.delete(path, headers=editor | {"If-Match": '"2"'})
    assert gone.status_code == 204
    assert_problem(await client.get(path, headers=editor), 404)
    origin = await read(client, tenant, f"{base}/origin")
    assert (origin["source"]["template_id"], origin["source"]["template_name"]) == (
        None,
        "Launch (reference)",
    )


async def test_what_the_workspace_no_longer_has_is_left_out_with_a_warning(
    client, tenant: Tenant, team: Team, session
):
    intern = await add_member(client, tenant, name="Intern Zhou")
    metric = await client.post(
        "/v1/metrics",
        json={"key": "koc_posts", "name": "KOC posts", "unit": "count", "aggregation": "sum"},
        headers=tenant.auth(),
    )
    assert metric.status_code == 201, metric.text
    policy = await client.post(
        "/v1/escalation-policies",
        json={
            "name": "Ops desk",
            "levels": [
                {"after_minutes": 0, "targets": [{"type": "role", "role": "campaign_owner"}]}
            ],
        },
        headers=tenant.auth(),
    )
    assert policy.status_code == 201, policy.text
    draft = await created(
        client,
        tenant,
        "/v1/campaigns",
        {
            "name": "KOC pilot",
            "kind": "brand_awareness",
            "start_date": "2024-03-01",
            "end_date": "2024-03-31",
            "owner_id": team.manager["id"],
        },
    )
    base = f"/v1/campaigns/{draft['id']}"
    for goal in (
        {
            "goal_type": "engagement",
            "metric_key": "koc_posts",
            "target_value": "30",
            "owner_id": intern["id"],
        },
        {
            "goal_type": "user_growth",
            "metric_key": "new_users",
            "target_value": "5000",
            "owner_id": intern["id"],
        },
    ):
        await created(client, tenant, f"{base}/goals", goal)
    await created(
        client,
        tenant,
        f"{base}/tasks",
        {
            "code": "P-1",
            "name": "Brief the KOCs",
            "owner_id": intern["id"],
            "approver_id": intern["id"],
        },
    )
    for rule in (
        {
            "name": "Few posts",
            "condition": "threshold",
            "params": {"metric": "koc_posts", "op": "<", "value": "1"},
        },
        {
            "name": "Users 20% short",
            "condition": "below_target",
            "params": {"metric": "new_users", "percent": "20"},
            "escalation_policy_id": policy.json()["id"],
        },
    ):
        await created(client, tenant, "/v1/rules", rule | {"campaign_id": draft["id"]})
    template = await created(
        client, tenant, "/v1/campaign-templates", {"campaign_id": draft["id"], "name": "KOC pilot"}
    )
    path = f"/v1/campaign-templates/{template['id']}"

    # Since: the draft, the intern, the metric and the policy are gone.
    assert (await client.delete(base, headers=tenant.auth(Role.editor))).status_code == 204
    left = await client.delete(f"/v1/members/{intern['id']}", headers=tenant.auth())
    assert left.status_code == 204, left.text
    removed = await client.delete("/v1/metrics/koc_posts", headers=tenant.auth())
    assert removed.status_code == 204, removed.text
    await session.execute(
        delete(EscalationPolicy).where(EscalationPolicy.id == uuid.UUID(policy.json()["id"]))
    )
    await session.commit()

    body: dict[str, Any] = {"name": "KOC pilot 2", "start_date": "2025-03-01"}
    preview = (await client.post(f"{path}/preview", json=body, headers=tenant.auth())).json()
    assert [(w["code"], w["ref"]) for w in preview["warnings"]] == [
        ("metric_not_in_dictionary", "goals.0"),
        ("metric_not_in_dictionary", "rules.0"),
        ("escalation_policy_gone", "rules.1"),
        ("member_not_in_workspace", f"members/{intern['id']}"),
        ("targets_to_confirm", None),
    ]
    assert "Intern Zhou is no longer a member" in preview["warnings"][3]["message"]
    assert preview["source"]["campaign_id"] is None  # the draft is gone; its name stays
    assert [g["metric_key"] for g in preview["goals"]] == ["new_users"]
    assert preview["goals"][0]["owner_id"] is None
    task = preview["tasks"][0]
    assert (task["owner_id"], task["approver_id"]) == (team.manager["id"], None)  # to the owner
    assert [(r["name"], r["escalation_policy_id"]) for r in preview["rules"]] == [
        ("Users 20% short", None)
    ]

    # Someone takes over from the intern.
    body["reassign"] = [{"from_member_id": intern["id"], "to_member_id": team.lead["id"]}]
    made = await client.post(f"{path}/campaigns", json=body, headers=tenant.auth(Role.editor))
    assert made.status_code == 201, made.text
    warnings = made.json()["origin"]["warnings"]
    assert [w["code"] for w in warnings] == [
        "metric_not_in_dictionary",
        "metric_not_in_dictionary",
        "escalation_policy_gone",
        "targets_to_confirm",
    ]
    base = f"/v1/campaigns/{made.json()['campaign']['id']}"
    (task,) = await items(client, tenant, f"{base}/tasks")
    (goal,) = await items(client, tenant, f"{base}/goals")
    assert (task["owner_id"], task["approver_id"], goal["owner_id"]) == (team.lead["id"],) * 3
    assert [r["name"] for r in await rules_of(client, tenant, made.json()["campaign"]["id"])] == [
        "Users 20% short"
    ]


async def test_bad_requests_are_422_naming_the_field_and_make_nothing(
    client, tenant: Tenant, team: Team, session
):
    source = await planned(client, tenant, team)
    template = await created(
        client, tenant, "/v1/campaign-templates", {"campaign_id": source.id, "name": "Launch"}
    )
    path = f"/v1/campaign-templates/{template['id']}"
    before = await row_counts(session)
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({}, {"body.name", "body.start_date"}),
        (NEXT | {"end_date": "2025-04-30"}, {"body.end_date"}),
        (NEXT | {"end_date": "2025-07-01"}, {"body.end_date"}),  # wrap-up ends 07-15
        (NEXT | {"total_budget": "0"}, {"body.total_budget"}),
        (NEXT | {"total_budget": "-5"}, {"body.total_budget"}),
        (NEXT | {"total_budget": "10.001"}, {"body.total_budget"}),
        (NEXT | {"owner_id": str(uuid.uuid4())}, {"body.owner_id"}),
        (
            NEXT
            | {
                "reassign": [{"from_member_id": team.lead["id"], "to_member_id": str(uuid.uuid4())}]
            },
            {"body.reassign.0.to_member_id"},
        ),
        (NEXT | {"start_date": "2199-12-01"}, {"body.start_date"}),
        (NEXT | {"start_date": "2025-5-1"}, {"body.start_date"}),
        (NEXT | {"name": "x" * 201}, {"body.name"}),
        (NEXT | {"budget": "1"}, {"body.budget"}),
        (
            NEXT
            | {
                "reassign": [{"from_member_id": str(uuid.uuid4()), "to_member_id": team.lead["id"]}]
                * 101
            },
            {"body.reassign"},
        ),
    ]
    for body, fields in cases:
        for url in (f"{path}/preview", f"{path}/campaigns"):
            response = await client.post(url, json=body, headers=tenant.auth(Role.editor))
            assert fields_of(assert_problem(response, 422)) == fields, (url, body)
    for body, fields in (
        ({"campaign_id": source.id, "name": "x" * 201}, {"body.name"}),
        (
            {"campaign_id": source.id, "name": "Launch 2", "description": "x" * 2001},
            {"body.description"},
        ),
        ({"campaign_id": source.id, "name": "  "}, {"body.name"}),
        ({"name": "Launch 2"}, {"body.campaign_id"}),
    ):
        response = await client.post(
            "/v1/campaign-templates", json=body, headers=tenant.auth(Role.editor)
        )
        assert fields_of(assert_problem(response, 422)) == fields, body
    assert await row_counts(session) == before
    assert len((await read(client, tenant, "/v1/campaign-templates"))["items"]) == 1

    # A draft is not copied directly (save it as a template); a template needs dates.
    assert_problem(
        await client.post(f"{source.base}/copy/preview", json=NEXT, headers=tenant.auth()),
        409,
        "campaign_not_finished",
    )
    undated = await created(client, tenant, "/v1/campaigns", {"name": "Idea", "kind": "other"})
    refused = await client.post(
        "/v1/campaign-templates",
        json={"campaign_id": undated["id"], "name": "Idea"},
        headers=tenant.auth(Role.editor),
    )
    assert_problem(refused, 409, "campaign_without_dates")
    viewer = await client.post(f"{path}/campaigns", json=NEXT, headers=tenant.auth(Role.viewer))
    assert_problem(viewer, 403)


async def test_another_workspaces_templates_and_campaigns_are_404(
    client, tenant: Tenant, other_tenant: Tenant, team: Team
):
    source = await completed(client, tenant, team)
    template = await created(
        client, tenant, "/v1/campaign-templates", {"campaign_id": source.id, "name": "Launch"}
    )
    new = (await created(client, tenant, f"{source.base}/copy", NEXT))["campaign"]
    lesson = (await items(client, tenant, f"/v1/campaigns/{new['id']}/lessons"))[0]
    path = f"/v1/campaign-templates/{template['id']}"
    other = other_tenant.auth()
    for method, url, body in (
        ("GET", path, None),
        ("PATCH", path, {"name": "Mine"}),
        ("DELETE", path, None),
        ("POST", f"{path}/preview", NEXT),
        ("POST", f"{path}/campaigns", NEXT),
        ("POST", "/v1/campaign-templates", {"campaign_id": source.id, "name": "Theirs"}),
        ("POST", f"{source.base}/copy/preview", NEXT),
        ("POST", f"{source.base}/copy", NEXT),
        ("GET", f"/v1/campaigns/{new['id']}/origin", None),
        ("GET", f"/v1/campaigns/{new['id']}/lessons", None),
        ("PATCH", f"/v1/campaigns/{new['id']}/lessons/{lesson['id']}", {"done": True}),
    ):
        response = await client.request(method, url, json=body, headers=other)
        assert response.status_code == 404, (method, url, response.text)
        assert_problem(response, 404)
    assert (await read(client, other_tenant, "/v1/campaign-templates"))["items"] == []
    assert (await read(client, tenant, path))["name"] == "Launch"


async def test_lessons_carried_over_are_a_checklist_the_team_ticks(
    client, tenant: Tenant, team: Team
):
    source = await completed(client, tenant, team)
    new = (await created(client, tenant, f"{source.base}/copy", NEXT))["campaign"]
    base = f"/v1/campaigns/{new['id']}"
    first, second, _ = await items(client, tenant, f"{base}/lessons")
    assert (first["stage"], first["shortfall"], first["root_cause"]) == (
        "预热期 KOC seeding",
        "新注册用户 180,000, 目标 200,000",
        "execution",
    )
    assert (first["source_campaign_name"], first["done"], first["done_at"]) == (
        "Summer skincare launch 2024",
        False,
        None,
    )
    member_id, key = await bound_key(client, tenant, "editor", "Campaign manager")
    url = f"{base}/lessons/{first['id']}"
    ticked = await client.patch(url, json={"done": True}, headers=key | {"If-Match": '"1"'})
    assert ticked.status_code == 200, ticked.text
    lesson = ticked.json()
    assert (lesson["done"], lesson["done_by_member_id"], lesson["done_by_member_name"]) == (
        True,
        member_id,
        "Campaign manager 王",
    )
    assert lesson["done_at"] is not None
    assert ticked.headers["etag"] == '"2"'
    stale = await client.patch(url, json={"done": False}, headers=key | {"If-Match": '"1"'})
    assert_problem(stale, 412)
    assert_problem(await client.patch(url, json={"done": 1}, headers=key), 422)
    origin = await read(client, tenant, f"{base}/origin")
    assert origin["lessons"] == {"total": 3, "done": 1}
    unticked = await client.patch(url, json={"done": False}, headers=key)
    assert {k: unticked.json()[k] for k in ("done", "done_at", "done_by_member_id")} == {
        "done": False,
        "done_at": None,
        "done_by_member_id": None,
    }
    log = await items(client, tenant, f"{base}/activity?entity_type=lesson")
    assert [entry["changes"].get("done") for entry in log][:2] == [[True, False], [False, True]]

    # Another campaign's lesson is not this one's; a cancelled campaign's are final.
    other = (await created(client, tenant, f"{source.base}/copy", NEXT | {"name": "Autumn"}))[
        "campaign"
    ]
    assert_problem(
        await client.patch(
            f"/v1/campaigns/{other['id']}/lessons/{second['id']}", json={"done": True}, headers=key
        ),
        404,
    )
    assert (await action(client, tenant, new["id"], "cancel")).status_code == 200
    locked = await client.patch(f"{base}/lessons/{second['id']}", json={"done": True}, headers=key)
    assert_problem(locked, 409, "campaign_locked")
    assert_problem(
        await client.get(f"{source.base}/origin", headers=tenant.auth()), 404, "no_origin"
    )
