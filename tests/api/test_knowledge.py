"""The knowledge base through the API: campaigns closed out and archived for real (as
tests/api/test_close_out.py does it), then searched in Chinese and English.

The 618 launch (2024, a missed goal) holds what the brief's close-out wrote: a
retrospective item about the 线下快闪店, a log note about the 直播间, an issue about the
pop-up store permit, a change request's reason, an expense's contract file. The Double 11
livestream (2023, every goal met) is its English counterpart.
"""

# ruff: noqa: RUF001 - the campaigns' Chinese text uses full-width punctuation

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from shared import jobs
from shared.actor import Role
from shared.db import unit_of_work
from tests.api.test_campaign_lifecycle import Team, action, approver_key, decide, team
from tests.api.test_settlement import PDF, bound_key
from tests.helpers import (
    Tenant,
    add_member,
    assert_problem,
    created,
    fields_of,
    register_channels,
)

__all__ = ["team"]  # the brief's people (a fixture)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHANNELS = {"social_feed": "Social feed", "offline_store": "Offline pop-up store"}


@dataclass
class Spec:
    """A campaign to run and archive, and what its people wrote along the way."""

    name: str
    kind: str
    start: str
    end: str
    tags: list[str]
    channels: list[str]  # registered keys, attached to the campaign
    new_users: int  # the actual against a target of 1,000: met from 1,000
    objective: str = ""
    retrospective: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    issue: dict[str, Any] | None = None
    change_reason: str | None = None
    attachment: str | None = None
    analysis: str | None = None


@dataclass
class Archived:
    id: str
    base: str
    goal: str
    issue: str | None
    items: list[str]  # retrospective item ids


LAUNCH = Spec(
    name="2024 618 夏季防晒霜新品上市",
    kind="new_product_launch",
    start="2024-05-20",
    end="2024-06-18",
    tags=["618", "2024 new product launch"],
    channels=["social_feed", "offline_store"],
    new_users=900,
    objective="新注册用户 1,000，上海、北京两地同步上市",
    retrospective=[
        {
            "stage": "线下快闪店",
            "shortfall": "上海线下快闪店客流不足，日均 500 人，目标 800。",
            "root_cause": "strategy",
            "improvement_action": "快闪店选址前核对商场客流数据",
        },
        {"stage": "预热期 KOC seeding", "what_worked": "20 位美妆 KOC 按时上线，种草笔记互动率 8%"},
    ],
    notes=["06-12 站会：直播间在线人数 3,200，转化率 2.1%，低于预期。"],
    issue={
        "title": "Pop-up store permit delayed",
        "description": "The mall has not signed the pop-up store permit.",
        "action_plan": "Apply to the mall management two weeks earlier next time.",
        "severity": "warning",
    },
    change_reason="快闪店客流低于预期 20%，预算转投信息流广告",
    attachment="合同_上海快闪店搭建.pdf",
    analysis="KOC 档期晚两周，预热期新增用户不足",
)
DOUBLE_11 = Spec(
    name="Double 11 livestream push",
    kind="promotion",
    start="2023-10-20",
    end="2023-11-11",
    tags=["double 11"],
    channels=["social_feed"],
    new_users=1200,
    objective="Livestreaming with 5 KOCs; a pop-up store in Hangzhou for the weekend.",
    retrospective=[
        {
            "stage": "Livestream",
            "what_worked": "Livestream conversion reached 4.2%, above the 3% target.",
            "improvement_action": "Book livestream slots two weeks earlier.",
        }
    ],
    notes=["Decision: extend the pop-up store by 3 days in Hangzhou."],
)


async def run_and_archive(
    client: httpx.AsyncClient, tenant: Tenant, team: Team, spec: Spec
) -> Archived:
    """The campaign of `spec` approved, run, completed, evaluated, settled, reviewed and
    archived through the API: archiving indexes it."""
    editor = tenant.auth(Role.editor)
    await register_channels(client, tenant, CHANNELS)
    campaign = await created(
        client,
        tenant,
        "/v1/campaigns",
        {
            "name": spec.name,
            "kind": spec.kind,
            "objective_summary": spec.objective,
            "timezone": "Asia/Shanghai",
            "start_date": spec.start,
            "end_date": spec.end,
            "owner_id": team.manager["id"],
            "tags": spec.tags,
        },
    )
    cid = campaign["id"]
    base = f"/v1/campaigns/{cid}"
    attached = await client.put(
        f"{base}/channels", json={"channel_keys": spec.channels}, headers=editor
    )
    assert attached.status_code == 200, attached.text
    goal = await created(
        client,
        tenant,
        f"{base}/goals",
        {
            "goal_type": "user_growth",
            "metric_key": "new_users",
            "target_value": "1000",
            "owner_id": team.manager["id"],
            "due_date": spec.end,
            "strategy": "KOC seeding + feed ads",
        },
    )
    media = await created(
        client,
        tenant,
        f"{base}/budget-lines",
        {"category": "promotion_media", "planned_amount": "50000", "channel_key": spec.channels[0]},
    )
    reserve = await created(
        client,
        tenant,
        f"{base}/budget-lines",
        {"category": "contingency", "planned_amount": "5000"},
    )
    assert (await action(client, tenant, cid, "submit")).status_code == 200
    assert (await decide(client, cid, team.department_head)).status_code == 200
    assert (await decide(client, cid, team.management)).status_code == 200
    activated = await action(client, tenant, cid, "activate")
    assert activated.status_code == 200, activated.text
    # The figures arrive dated the day the server activated it: inside the late-data window
    # whatever today is (the campaign's own dates are long past).
    pushed_on = datetime.fromisoformat(activated.json()["activated_at"]).astimezone(SHANGHAI)

    pushed = await client.post(
        f"{base}/metric-points",
        json={
            "points": [
                {
                    "channel": spec.channels[0],
                    "metric": "new_users",
                    "date": pushed_on.date().isoformat(),
                    "value": spec.new_users,
                }
            ]
        },
        headers=editor,
    )
    assert pushed.status_code == 201, pushed.text
    expense = await created(
        client,
        tenant,
        f"{base}/expenses",
        {
            "category": "promotion_media",
            "amount": "50000",
            "spent_on": spec.end,
            "channel_key": spec.channels[0],
        },
    )
    if spec.attachment:
        uploaded = await client.post(
            f"{base}/expenses/{expense['id']}/attachments",
            content=PDF,
            params={"filename": spec.attachment},
            headers=editor | {"Content-Type": "application/pdf"},
        )
        assert uploaded.status_code == 201, uploaded.text
    for note in spec.notes:
        await created(client, tenant, f"{base}/log", {"kind": "standup", "note": note})
    issue = None
    if spec.issue:
        issue = await created(
            client,
            tenant,
            "/v1/issues",
            {"campaign_id": cid, "owner_id": team.lead["id"]}
            | {k: v for k, v in spec.issue.items() if k != "action_plan"},
        )
        planned = await client.patch(
            f"/v1/issues/{issue['id']}",
            json={"action_plan": spec.issue["action_plan"], "status": "resolved"},
            headers=editor,
        )
        assert planned.status_code == 200, planned.text
    if spec.change_reason:
        request = await created(
            client,
            tenant,
            f"{base}/change-requests",
            {
                "title": "中期调整：从快闪店转投信息流",
                "plan_version": 1,
                "changes": [
                    {
                        "kind": "move_budget",
                        "from_budget_line_id": reserve["id"],
                        "to_budget_line_id": media["id"],
                        "amount": "1000",
                        "reason": spec.change_reason,
                        "expected_effect": "About 100 more new users",
                    }
                ],
            },
        )
        withdrawn = await client.post(
            f"{base}/change-requests/{request['id']}/withdraw", headers=editor
        )
        assert withdrawn.status_code == 200, withdrawn.text

    assert (await action(client, tenant, cid, "complete")).status_code == 200
    if spec.analysis:
        analysed = await client.patch(
            f"{base}/evaluation/goals/{goal['id']}",
            json={"cause_category": "execution", "analysis": spec.analysis},
            headers=editor | {"If-Match": '"0"'},
        )
        assert analysed.status_code == 200, analysed.text
    assert (await client.post(f"{base}/evaluation/finalise", headers=editor)).status_code == 201
    _, finance = await bound_key(client, tenant, "approver", "Finance")
    _, management = await bound_key(client, tenant, "admin", "CMO")
    settlement = f"{base}/settlement"
    assert (await client.post(f"{settlement}/verify", headers=finance)).status_code == 200
    settled = await client.post(f"{settlement}/settle", headers=finance)
    if settled.status_code == 422:
        for missing in fields_of(settled.json()):
            key = missing.removeprefix("body.lines.").removesuffix(".explanation")
            explained = await client.put(
                f"{settlement}/lines/{key}/explanation", json={"text": "按实际执行"}, headers=editor
            )
            assert explained.status_code == 200, explained.text
        settled = await client.post(f"{settlement}/settle", headers=finance)
    assert settled.status_code == 200, settled.text
    signed = await client.post(
        f"{settlement}/sign-off", json={"comment": "同意"}, headers=management
    )
    assert signed.status_code == 200, signed.text
    items = [
        (await created(client, tenant, f"{base}/retrospective/items", item))["id"]
        for item in spec.retrospective
    ]
    archived = await action(client, tenant, cid, "archive")
    assert archived.status_code == 200, archived.text
    return Archived(cid, base, goal["id"], issue["id"] if issue else None, items)


async def team_of(client: httpx.AsyncClient, tenant: Tenant) -> Team:
    """The `team` fixture's people, for another workspace."""
    head_id, head = await approver_key(client, tenant, "Department head")
    management_id, management = await approver_key(client, tenant, "Management")
    return Team(
        manager=await add_member(client, tenant, name="Manager Ma", title="Campaign manager"),
        lead=await add_member(client, tenant, name="Lead Lin", title="Brand lead"),
        specialist=await add_member(client, tenant, name="Specialist He", title="Specialist"),
        department_head=head,
        management=management,
        other_approver=management,
        department_head_id=head_id,
        management_id=management_id,
    )


async def search(client: httpx.AsyncClient, tenant: Tenant, q: str, **params: Any) -> Any:
    response = await client.get(
        "/v1/knowledge", params={"q": q, **params}, headers=tenant.auth(Role.viewer)
    )
    assert response.status_code == 200, response.text
    return response.json()


def hits(found: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, title) of each hit, in rank order."""
    return [(hit["kind"], hit["title"]) for hit in found["items"]]


def marked(hit: dict[str, Any]) -> list[str]:
    """The highlighted parts of the hit's snippet."""
    return [hit["snippet"][h["start"] : h["end"]] for h in hit["highlights"]]


def campaigns_of(found: dict[str, Any]) -> set[str]:
    return {hit["campaign"]["name"] for hit in found["items"]}


async def test_chinese_and_english_find_what_an_archived_campaign_holds(
    client, tenant: Tenant, team: Team
):
    launch = await run_and_archive(client, tenant, team, LAUNCH)
    base = launch.base

    # Three characters inside a longer run: the retrospective item, the contract file and
    # the change request's reason, each with its link and its matches marked.
    found = await search(client, tenant, "快闪店")
    assert sorted(hits(found)) == [
        ("attachment", "合同_上海快闪店搭建.pdf"),
        ("change_request", "中期调整：从快闪店转投信息流"),
        ("retrospective_item", "线下快闪店"),
    ]
    assert (found["ranked"], found["capped"], found["next_cursor"]) == (3, False, None)
    item = next(hit for hit in found["items"] if hit["kind"] == "retrospective_item")
    assert item["href"] == f"{base}/retrospective/items/{launch.items[0]}"
    assert item["source_id"] == launch.items[0]
    assert item["title_html"] == "线下<mark>快闪店</mark>"
    assert (
        item["snippet"]
        == "上海线下快闪店客流不足，日均 500 人，目标 800。 快闪店选址前核对商场客流数据"
    )
    assert marked(item) == ["快闪店", "快闪店"]
    assert item["snippet_html"].startswith("上海线下<mark>快闪店</mark>客流不足")
    assert item["campaign"] == {
        "id": launch.id,
        "name": "2024 618 夏季防晒霜新品上市",
        "kind": "new_product_launch",
        "status": "archived",
        "year": 2024,
    }
    for hit in found["items"]:  # every link reads what was found
        linked = await client.get(hit["href"], headers=tenant.auth(Role.viewer))
        assert linked.status_code == 200, (hit["href"], linked.text)

    # Two characters, one character, the middle of a word; but not the characters reversed.
    (note,) = (await search(client, tenant, "直播"))["items"]
    assert (note["kind"], note["href"]) == ("log_note", f"{base}/log")
    assert (
        note["snippet_html"]
        == "06-12 站会：<mark>直播</mark>间在线人数 3,200，转化率 2.1%，低于预期。"
    )
    assert len((await search(client, tenant, "店"))["items"]) == 3
    assert len((await search(client, tenant, "闪店"))["items"]) == 3
    assert (await search(client, tenant, "店闪"))["items"] == []

    # English by its words: `pop-up` finds the pop-up store whatever its case.
    (issue,) = (await search(client, tenant, "pop-up"))["items"]
    assert (issue["kind"], issue["href"]) == ("issue", f"/v1/issues/{launch.issue}")
    assert issue["title_html"] == "<mark>Pop-up</mark> store permit delayed"
    assert marked(issue) == ["pop-up"]
    assert hits(await search(client, tenant, "permit delayed")) == [
        ("issue", "Pop-up store permit delayed")
    ]

    # Mixed: every word must match in one entry (the evaluation's analysis has both).
    (analysis,) = (await search(client, tenant, "KOC 档期"))["items"]
    assert analysis["kind"] == "evaluation"
    assert analysis["href"] == f"{base}/evaluation/goals/{launch.goal}"
    assert marked(analysis) == ["KOC", "档期"]
    assert (await search(client, tenant, "KOC直播"))["items"] == []  # no entry has both
    assert hits(await search(client, tenant, "618")) == [
        ("campaign", "2024 618 夏季防晒霜新品上市")
    ]


async def test_the_readme_walk_and_the_filters(client, tenant: Tenant, team: Team):
    """The README's walk: the two campaigns archived, searched in Chinese, in English,
    and filtered by the goals' outcome; then every other filter."""
    launch = await run_and_archive(client, tenant, team, LAUNCH)  # 2024, a goal missed
    double_11 = await run_and_archive(client, tenant, team, DOUBLE_11)  # 2023, goals met

    found = await search(client, tenant, "快闪店")
    assert hits(found) == [  # short titles first: they weigh more
        ("attachment", "合同_上海快闪店搭建.pdf"),
        ("change_request", "中期调整：从快闪店转投信息流"),
        ("retrospective_item", "线下快闪店"),
    ]
    assert [hit["campaign"]["id"] for hit in found["items"]] == [launch.id] * 3
    assert [hit["snippet_html"] for hit in found["items"]] == [
        "合同_上海<mark>快闪店</mark>搭建.pdf",
        "<mark>快闪店</mark>客流低于预期 20%，预算转投信息流广告 About 100 more new users",
        "上海线下<mark>快闪店</mark>客流不足，日均 500 人，目标 800。 "
        "<mark>快闪店</mark>选址前核对商场客流数据",
    ]
    assert [marked(hit) for hit in found["items"]] == [["快闪店"], ["快闪店"], ["快闪店"] * 2]

    both = await search(client, tenant, "pop-up")
    assert hits(both) == [
        ("issue", "Pop-up store permit delayed"),
        ("log_note", "standup"),
        ("campaign", "Double 11 livestream push"),
    ]
    assert [hit["href"] for hit in both["items"]] == [
        f"/v1/issues/{launch.issue}",
        f"{double_11.base}/log",
        double_11.base,
    ]
    assert [hit["snippet_html"] for hit in both["items"]][1:] == [
        "Decision: extend the <mark>pop-up</mark> store by 3 days in Hangzhou.",
        "Livestreaming with 5 KOCs; a <mark>pop-up</mark> store in Hangzhou for the weekend.",
    ]
    met = await search(client, tenant, "pop-up", goals="met")
    assert hits(met) == hits(both)[1:]
    assert (met["ranked"], met["capped"], met["next_cursor"]) == (2, False, None)

    filtered: list[tuple[dict[str, Any], set[str]]] = [
        ({"campaign_kind": "promotion"}, {DOUBLE_11.name}),
        ({"campaign_kind": "new_product_launch"}, {LAUNCH.name}),
        ({"tag": "618"}, {LAUNCH.name}),
        ({"tag": "double 11"}, {DOUBLE_11.name}),
        ({"tag": "Double 11"}, set()),
        ({"year": 2023}, {DOUBLE_11.name}),
        ({"year": 2024}, {LAUNCH.name}),
        ({"year": 2025}, set()),
        ({"channel": "offline_store"}, {LAUNCH.name}),
        ({"channel": "social_feed"}, {LAUNCH.name, DOUBLE_11.name}),
        ({"goals": "missed"}, {LAUNCH.name}),
        ({"goals": "met"}, {DOUBLE_11.name}),
        ({"goals": "met", "year": 2024}, set()),
    ]
    for params, names in filtered:
        assert campaigns_of(await search(client, tenant, "pop-up", **params)) == names, params

    assert hits(await search(client, tenant, "pop-up", kind="issue")) == [
        ("issue", "Pop-up store permit delayed")
    ]
    both_kinds = await search(client, tenant, "pop-up", kind=["campaign", "log_note"])
    assert sorted(hits(both_kinds)) == [
        ("campaign", "Double 11 livestream push"),
        ("log_note", "standup"),
    ]
    # English words by their stem: `livestreaming` finds `Livestream`, `KOC` finds `KOCs`.
    assert campaigns_of(await search(client, tenant, "livestreaming")) == {DOUBLE_11.name}
    assert campaigns_of(await search(client, tenant, "koc")) == {LAUNCH.name, DOUBLE_11.name}


async def test_pages_walk_the_ranking_with_a_cursor(client, tenant: Tenant, team: Team):
    await run_and_archive(client, tenant, team, LAUNCH)
    whole = await search(client, tenant, "店")
    assert len(whole["items"]) == 3

    walked, cursor = [], None
    for _ in range(3):
        params = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        page = await search(client, tenant, "店", **params)
        assert len(page["items"]) == 1
        walked += page["items"]
        cursor = page["next_cursor"]
    assert cursor is None
    assert walked == whole["items"]
    ranks = [hit["rank"] for hit in walked]
    assert ranks == sorted(ranks, reverse=True)

    first = await search(client, tenant, "店", limit=1)
    elsewhere = await client.get(
        "/v1/knowledge",
        params={"q": "快闪店", "limit": 1, "cursor": first["next_cursor"]},
        headers=tenant.auth(Role.viewer),
    )
    problem = assert_problem(elsewhere, 400)
    assert "cursor" in problem["detail"]


async def test_another_workspaces_campaigns_never_appear(
    client, tenant: Tenant, other_tenant: Tenant, team: Team
):
    await run_and_archive(client, tenant, team, LAUNCH)
    theirs = replace(LAUNCH, name="他们的 618 快闪店活动", tags=["theirs"])
    await run_and_archive(client, other_tenant, await team_of(client, other_tenant), theirs)

    ours = await search(client, tenant, "快闪店")
    assert campaigns_of(ours) == {LAUNCH.name}
    found = await search(client, other_tenant, "快闪店", scope="all")
    assert campaigns_of(found) == {"他们的 618 快闪店活动"}
    assert (await search(client, other_tenant, "618", tag="618"))["items"] == []
    for hit in ours["items"]:  # nor do their links answer another workspace
        foreign = await client.get(hit["href"], headers=other_tenant.auth())
        assert_problem(foreign, 404)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "query.q"),
        ({"q": ""}, "query.q"),
        ({"q": "   "}, "query.q"),
        ({"q": "店" * 101}, "query.q"),
        ({"q": "，。!! ——"}, "query.q"),  # punctuation only: no word
        ({"q": "the and"}, "query.q"),  # words too common to be indexed
        ({"q": "a\x00b"}, "query.q"),
        ({"q": "店", "kind": "campaign_note"}, "query.kind.0"),
        ({"q": "店", "campaign_kind": "flash_sale"}, "query.campaign_kind"),
        ({"q": "店", "scope": "everything"}, "query.scope"),
        ({"q": "店", "year": "1969"}, "query.year"),
        ({"q": "店", "goals": "exceeded"}, "query.goals"),
        ({"q": "店", "tag": "t" * 51}, "query.tag"),
        ({"q": "店", "channel": ""}, "query.channel"),
        ({"q": "店", "channel": "feed\x00"}, "query.channel"),
        ({"q": "店", "tag": "618\x00"}, "query.tag"),
        ({"q": "店", "limit": "0"}, "query.limit"),
        ({"q": "店", "limit": "201"}, "query.limit"),
    ],
)
async def test_bad_searches_are_422_naming_the_parameter(
    client, tenant: Tenant, params: dict[str, str], field: str
):
    response = await client.get("/v1/knowledge", params=params, headers=tenant.auth(Role.viewer))
    assert fields_of(assert_problem(response, 422)) == {field}


@pytest.mark.parametrize("q", ["KOC's", "a\\b", "'直播'", "店 & | ! <-> :* ()", "~w x", "ＫＯＣ"])
async def test_query_syntax_in_a_search_is_text_not_an_operator(client, tenant: Tenant, q: str):
    assert (await search(client, tenant, q))["items"] == []


async def test_a_bad_cursor_is_400_and_searching_needs_a_key(client, tenant: Tenant):
    bad = await client.get(
        "/v1/knowledge", params={"q": "店", "cursor": "not-a-cursor"}, headers=tenant.auth()
    )
    assert_problem(bad, 400)
    assert_problem(await client.get("/v1/knowledge", params={"q": "店"}), 401)


@pytest.mark.committed
async def test_a_campaign_corrected_after_archiving_is_found_by_its_new_text_after_the_sweep(
    client, tenant: Tenant, team: Team, runtime, run_worker
):
    launch = await run_and_archive(client, tenant, team, LAUNCH)
    editor = tenant.auth(Role.editor)
    draft = await created(
        client, tenant, "/v1/campaigns", {"name": "Livestream pilot", "kind": "promotion"}
    )
    assert hits(await search(client, tenant, "Apply to the mall")) == [
        ("issue", "Pop-up store permit delayed")
    ]

    # After the archive: the issue's action plan rewritten, a log note added.
    corrected = await client.patch(
        f"/v1/issues/{launch.issue}",
        json={"action_plan": "改为提前三周向商场物业申请快闪店许可"},
        headers=editor,
    )
    assert corrected.status_code == 200, corrected.text
    await created(
        client, tenant, f"{launch.base}/log", {"kind": "note", "note": "补记：抖音直播复购率 12%"}
    )
    assert (await search(client, tenant, "物业"))["items"] == []  # not yet: until the sweep
    await run_worker()  # what the requests above sent (notices, rules...)

    async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as session:
        jobs.enqueue(session, "refresh_knowledge")
    worker = await run_worker()
    assert (worker.jobs_complete, worker.jobs_failed) == (3, 0)  # the sweep, two campaigns

    (issue,) = (await search(client, tenant, "物业"))["items"]
    assert issue["snippet_html"].endswith("改为提前三周向商场<mark>物业</mark>申请快闪店许可")
    assert (await search(client, tenant, "Apply to the mall"))["items"] == []
    assert hits(await search(client, tenant, "抖音 复购率")) == [("log_note", "note")]
    # The draft is indexed too, and found when every campaign is searched.
    assert (await search(client, tenant, "pilot"))["items"] == []
    (pilot,) = (await search(client, tenant, "pilot", scope="all"))["items"]
    assert pilot["campaign"]["id"] == draft["id"]
    assert pilot["campaign"]["status"] == "draft"

    # Nothing changed since: the next sweep sends no work.
    async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as session:
        jobs.enqueue(session, "refresh_knowledge")
    worker = await run_worker()
    assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
