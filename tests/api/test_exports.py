"""Exports through the API: the brief's sample campaign (tests/api/test_evaluation.py's, renamed
in Chinese, with the brief's breakdown and problems added) downloaded as workbooks and CSV
files, opened as a person's spreadsheet would open them: typed cells (numbers, exact money,
dates), headers in the workspace's language, formulas never run from a CSV, the file named
after the campaign."""

# ruff: noqa: RUF001 - Chinese labels use full-width punctuation on purpose

import csv
import io
import re
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx
import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

from shared.actor import Role
from tests.api.test_campaign_lifecycle import Team
from tests.api.test_evaluation import SHANGHAI, Evaluated, ran_campaign, team
from tests.helpers import Tenant, assert_problem, created, fields_of

__all__ = ["team"]  # the brief's people (a fixture)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NAME = "夏季护肤新品上市 618"
TASK_HEADERS_ZH = [
    "编号",
    "任务名称",
    "层级",
    "上级",
    "负责人 (R1)",
    "审批人 (R2)",
    "协同部门",
    "前置任务",
    "优先级",
    "计划开始",
    "计划完成",
    "实际开始",
    "实际完成",
    "交付物",
    "状态",
    "进度 (%)",
    "延期天数",
]
FORMULA = '=HYPERLINK("http://example.com/x","点此查看")'


async def sample(client: httpx.AsyncClient, tenant: Tenant, team: Team) -> tuple[Evaluated, date]:
    """The evaluated campaign under a Chinese name; returns it and its first day."""
    ran = await ran_campaign(client, tenant, team)
    renamed = await client.patch(ran.base, json={"name": NAME}, headers=tenant.auth(Role.editor))
    assert renamed.status_code == 200, renamed.text
    return ran, date.fromisoformat(renamed.json()["start_date"])


async def add_breakdown(
    client: httpx.AsyncClient, tenant: Tenant, team: Team, ran: Evaluated, start: date
) -> None:
    """The brief's WBS under one strategy and module, M-003 signed off by the lead."""

    def on(offset: int) -> str:
        return (start + timedelta(days=offset)).isoformat()

    owner, copywriter = team.specialist["id"], team.manager["id"]
    items: list[dict[str, Any]] = [
        {"code": "S-1", "name": "KOC 种草", "level": "strategy"},
        {"code": "MOD-1", "name": "内容与达人", "level": "module", "parent_code": "S-1"},
        {
            "code": "M-001",
            "name": "选定 20 位美妆 KOC (粉丝 >= 5 万)",
            "parent_code": "MOD-1",
            "owner_id": owner,
            "planned_start": on(0),
            "planned_end": on(3),
            "deliverable": "KOC 名单与报价",
            "priority": "high",
            "supporting_departments": ["商务", "法务"],
        },
        {
            "code": "M-002",
            "name": "策划种草内容 (10 个卖点)",
            "parent_code": "MOD-1",
            "owner_id": copywriter,
            "planned_start": on(0),
            "planned_end": on(2),
            "deliverable": "内容方案",
            "priority": "high",
        },
        {
            "code": "M-003",
            "name": "制作 10 篇图文 + 5 条短视频",
            "parent_code": "MOD-1",
            "owner_id": owner,
            "approver_id": team.lead["id"],
            "planned_start": on(3),
            "planned_end": on(6),
            "deliverable": "成品素材",
            "priority": "high",
            "predecessors": [{"code": "M-002"}],
        },
        {
            "code": "M-004",
            "name": "KOC 发布排期",
            "parent_code": "MOD-1",
            "owner_id": owner,
            "planned_start": on(8),
            "planned_end": on(10),
            "deliverable": "排期表",
            "priority": "medium",
            "predecessors": [{"code": "M-001"}, {"code": "M-003", "lag_days": 1}],
        },
    ]
    response = await client.post(
        f"{ran.base}/tasks/bulk", json={"tasks": items}, headers=tenant.auth(Role.editor)
    )
    assert response.status_code == 201, response.text
    ids = {task["code"]: task["id"] for task in response.json()}
    done = await client.patch(
        f"/v1/tasks/{ids['M-002']}",
        json={"status": "done", "actual_start": on(0), "actual_end": on(2)},
        headers=tenant.auth(Role.editor),
    )
    assert done.status_code == 200, done.text


async def download(
    client: httpx.AsyncClient, tenant: Tenant, ran: Evaluated, name: str, **params: str
) -> httpx.Response:
    response = await client.get(
        f"{ran.base}/exports/{name}", params=params, headers=tenant.auth(Role.viewer)
    )
    assert response.status_code == 200, response.text
    return response


def sheet_of(response: httpx.Response) -> Worksheet:
    assert response.headers["content-type"] == XLSX
    worksheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert isinstance(worksheet, Worksheet)
    return worksheet


def rows_of(worksheet: Worksheet) -> list[list[Any]]:
    return [[cell.value for cell in row] for row in worksheet.iter_rows()]


def csv_rows(response: httpx.Response) -> list[list[str]]:
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def cell_xml(response: httpx.Response, reference: str) -> str:
    """The cell as stored in the workbook's XML, to see the digits themselves."""
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    found = re.search(rf'<c r="{reference}"[^>]*>.*?</c>', xml)
    assert found, reference
    return found.group(0)


async def test_the_task_table_as_the_manuals_assignment_table(client, tenant: Tenant, team: Team):
    ran, start = await sample(client, tenant, team)
    await add_breakdown(client, tenant, team, ran, start)

    workbook = await download(client, tenant, ran, "tasks.xlsx")
    assert workbook.headers["content-disposition"] == (
        'attachment; filename="________ 618-_____.xlsx"; '
        f"filename*=UTF-8''{quote(NAME + '-任务分配表.xlsx', safe='')}"
    )
    assert workbook.headers["x-content-type-options"] == "nosniff"
    sheet = sheet_of(workbook)
    assert sheet.title == "任务分配表"
    assert sheet.freeze_panes == "A2"  # the header row stays in view
    assert sheet.column_dimensions["B"].width > sheet.column_dimensions["A"].width
    rows = rows_of(sheet)
    assert rows[0] == TASK_HEADERS_ZH
    assert [row[0] for row in rows[1:]] == ["S-1", "MOD-1", "M-001", "M-002", "M-003", "M-004"]
    by_code = {row[0]: row for row in rows[1:]}
    day = lambda offset: datetime.combine(start + timedelta(days=offset), datetime.min.time())  # noqa: E731
    assert by_code["M-004"] == [
        "M-004",
        "KOC 发布排期",
        "任务",
        "MOD-1",
        "Specialist Qian",
        None,
        None,
        "M-001、M-003 (+1 天)",
        "中",
        day(8),
        day(10),
        None,
        None,
        "排期表",
        "待开始",
        0,
        10,  # due on the campaign's 11th day, 20 days in: 10 days late
    ]
    assert by_code["M-001"][4:9] == ["Specialist Qian", None, "商务、法务", None, "高"]
    assert by_code["M-003"][5] == "Lead Zhao"  # R2
    assert by_code["M-002"][11:17] == [day(0), day(2), "内容方案", "已完成", 100, 0]
    # The strategy shows its breakdown's span and progress (weighted by planned days).
    assert by_code["S-1"][2:4] == ["策略", None]
    assert by_code["S-1"][9:11] == [day(0), day(10)]
    assert by_code["S-1"][15] == 21  # M-002: 3 days done of the 14 planned days
    # Typed cells: dates as dates (formatted as such), progress as a number.
    planned = sheet["J7"]  # M-004's planned start
    assert planned.is_date
    assert planned.number_format == "yyyy-mm-dd"
    progress = sheet["P5"]  # M-002's
    assert progress.data_type == "n"
    assert progress.value == 100

    text = csv_rows(await download(client, tenant, ran, "tasks.csv"))
    assert text[0] == TASK_HEADERS_ZH
    m004 = next(row for row in text if row[0] == "M-004")
    assert m004[7:11] == [
        "M-001、M-003 (+1 天)",
        "中",
        (start + timedelta(days=8)).isoformat(),
        (start + timedelta(days=10)).isoformat(),
    ]
    assert m004[15:] == ["0", "10"]


async def test_headers_follow_the_workspace_language(client, tenant: Tenant, team: Team):
    shown = await client.get("/v1/workspace", headers=tenant.auth(Role.viewer))
    assert shown.json()["language"] == "zh-CN"  # the manuals' language, by default

    refused = await client.patch(
        "/v1/workspace", json={"language": "en"}, headers=tenant.auth(Role.editor)
    )
    assert_problem(refused, 403)
    for wrong in ("fr", "zh", None, 1):
        bad = await client.patch("/v1/workspace", json={"language": wrong}, headers=tenant.auth())
        assert fields_of(assert_problem(bad, 422)) == {"body.language"}
    assert (await client.get("/v1/workspace", headers=tenant.auth())).json()["language"] == "zh-CN"

    changed = await client.patch("/v1/workspace", json={"language": "en"}, headers=tenant.auth())
    assert changed.status_code == 200, changed.text
    assert changed.json()["language"] == "en"

    ran, start = await sample(client, tenant, team)
    await add_breakdown(client, tenant, team, ran, start)
    workbook = await download(client, tenant, ran, "tasks.xlsx")
    assert (
        quote(NAME + "-Task assignments.xlsx", safe="") in workbook.headers["content-disposition"]
    )
    sheet = sheet_of(workbook)
    header, *rows = rows_of(sheet)
    assert header[:9] == [
        "Code",
        "Task",
        "Level",
        "Parent",
        "Owner (R1)",
        "Approver (R2)",
        "Supporting departments",
        "Predecessors",
        "Priority",
    ]
    m004 = next(row for row in rows if row[0] == "M-004")
    assert m004[2] == "Task"
    assert m004[7] == "M-001, M-003 (+1 day)"
    assert m004[14] == "To do"

    settlement = csv_rows(await download(client, tenant, ran, "settlement.csv"))
    assert settlement[0][:5] == ["Dimension", "Item", "Currency", "Baseline planned", "Planned"]
    assert ["Category", "Third-party services"] in [row[:2] for row in settlement]


async def test_money_is_exact_to_the_cent_and_negative_numbers_stay_numbers(
    client, tenant: Tenant, team: Team
):
    ran, start = await sample(client, tenant, team)
    # 888.18 has no exact binary float: a writer going through float stores 888.1799999999999.
    await created(
        client,
        tenant,
        f"{ran.base}/expenses",
        {
            "category": "promotion_media",
            "amount": "888.18",
            "spent_on": (start + timedelta(days=5)).isoformat(),
            "channel_key": "social_feed",
        },
    )
    statement = (
        await client.get(f"{ran.base}/settlement", headers=tenant.auth(Role.viewer))
    ).json()

    workbook = await download(client, tenant, ran, "settlement.xlsx")
    assert quote("预算与结算", safe="") in workbook.headers["content-disposition"]
    sheet = sheet_of(workbook)
    header, *rows = rows_of(sheet)
    assert header == [
        "维度",
        "项目",
        "币种",
        "基线计划",
        "当前计划",
        "计划调整",
        "实际支出",
        "差异",
        "差异率 (%)",
        "需说明",
        "差异说明",
    ]
    items = [row[:2] for row in rows]
    assert items == [
        ["预算类别", "推广/媒介"],
        ["预算类别", "第三方服务"],
        ["预算类别", "预备金"],
        ["渠道", "Social feed"],
        ["渠道", "未指定渠道"],
        ["合计", None],
    ]
    feed = 5  # the worksheet's row of the social feed channel
    assert rows[feed - 2][3:10] == [0, 0, 0, 888.18, 888.18, None, "是"]
    assert cell_xml(workbook, f"G{feed}").endswith("<v>888.18</v></c>")
    assert sheet[f"G{feed}"].number_format == "#,##0.00"
    total = rows[-1]
    assert total[2:9] == ["CNY", 330000, 330000, 0, 260888.18, -69111.82, -20.94]
    assert cell_xml(workbook, f"H{len(rows) + 1}").endswith("<v>-69111.82</v></c>")
    assert Decimal(statement["totals"]["variance"]) == Decimal("-69111.82")

    text = csv_rows(await download(client, tenant, ran, "settlement.csv"))
    assert text[-1][2:9] == [
        "CNY",
        "330000.00",
        "330000.00",
        "0.00",
        "260888.18",
        "-69111.82",  # a number: no apostrophe
        "-20.94",
    ]
    assert text[feed - 1][6] == "888.18"


async def test_text_that_looks_like_a_formula_is_never_run(client, tenant: Tenant, team: Team):
    ran, start = await sample(client, tenant, team)
    issue = await created(
        client,
        tenant,
        "/v1/issues",
        {
            "campaign_id": ran.id,
            "title": FORMULA,
            "description": "-2 篇图文因医疗宣称被驳回",
            "impact": "+2 天延期",
            "action_plan": "@法务 重写宣称后再提交",
            "owner_id": team.lead["id"],
            "severity": "warning",
            "expected_resolution_date": (start + timedelta(days=9)).isoformat(),
        },
    )
    moved = await client.patch(
        f"/v1/issues/{issue['id']}",
        json={"status": "in_progress", "progress": 80},
        headers=tenant.auth(Role.editor),
    )
    assert moved.status_code == 200, moved.text
    # Its day: the campaign's (Shanghai) day of the moment it was opened.
    opened = datetime.fromisoformat(issue["opened_at"]).astimezone(SHANGHAI).date()

    text = csv_rows(await download(client, tenant, ran, "issues.csv"))
    assert text[0] == [
        "日期",
        "问题",
        "问题描述",
        "影响",
        "负责人",
        "严重程度",
        "处理措施",
        "预计解决日期",
        "进度 (%)",
        "状态",
        "关联任务",
        "来源",
        "解决日期",
    ]
    [row] = text[1:]
    assert row[0] == opened.isoformat()
    assert row[1:4] == ["'" + FORMULA, "'-2 篇图文因医疗宣称被驳回", "'+2 天延期"]
    assert row[4:10] == [
        "Lead Zhao",
        "警告",
        "'@法务 重写宣称后再提交",
        (start + timedelta(days=9)).isoformat(),
        "80",  # a number: as it is
        "处理中",
    ]

    workbook = await download(client, tenant, ran, "issues.xlsx")
    title = sheet_of(workbook)["B2"]
    # In a workbook the text is a text cell, exactly as written: never a formula.
    assert (title.data_type, title.value) == ("s", FORMULA)
    assert "<f>" not in cell_xml(workbook, "B2")


async def test_the_daily_report_over_a_range_of_days(client, tenant: Tenant, team: Team):
    ran, start = await sample(client, tenant, team)
    pushed = start + timedelta(days=17)  # the day the sample's figures were pushed
    first, last = pushed - timedelta(days=1), pushed + timedelta(days=1)
    report = (
        await client.get(
            f"{ran.base}/daily-report",
            params={"date": pushed.isoformat()},
            headers=tenant.auth(Role.viewer),
        )
    ).json()

    workbook = await download(
        client,
        tenant,
        ran,
        "daily-report.xlsx",
        **{"from": first.isoformat(), "to": last.isoformat()},
    )
    assert (
        quote(f"{NAME}-数据日报-{first}_{last}.xlsx", safe="")
        in workbook.headers["content-disposition"]
    )
    sheet = sheet_of(workbook)
    header, *rows = rows_of(sheet)
    assert header == [
        "日期",
        "渠道",
        "曝光量",
        "点击率",
        "转化率",
        "新增用户",
        "销售额",
        "目标完成率 新增用户 (%)",
        "目标完成率 搜索量 (%)",
        "目标完成率 销售额 (%)",
        "目标完成率 投入产出比 (%)",
        "备注",
    ]
    # Three days, each: the three channels by key, then the day's total.
    assert [(row[0].date(), row[1]) for row in rows] == [
        (day, channel)
        for day in (first, pushed, last)
        for channel in ("E-commerce", "Short video", "Social feed", "合计")
    ]
    feed = rows[6]
    json_feed = next(r for r in report["rows"] if r["channel"] == "social_feed")
    assert feed[2:7] == [
        None,  # no impressions pushed: no CTR either
        None,
        float(json_feed["figures"]["conversion_rate"]),  # 3,000 / 50,000
        120000,
        2000000,
    ]
    assert feed[4] == 0.06
    assert feed[7:11] == [float(c["rate"]) for c in json_feed["completion"]]
    assert sheet["E8"].number_format == "0.00%"  # a fraction, shown as 6.00%
    assert sheet["G8"].number_format == "#,##0.00"  # sales: money
    assert sheet["A8"].is_date
    assert rows[7][5] == 180000  # the day's total of new users

    text = csv_rows(
        await download(
            client,
            tenant,
            ran,
            "daily-report.csv",
            **{"from": pushed.isoformat(), "to": pushed.isoformat()},
        )
    )
    assert text[3][:7] == [
        pushed.isoformat(),
        "Social feed",
        "",
        "",
        "0.06",
        "120000",
        "2000000.00",
    ]

    # Without a range: the campaign's days (it ended yesterday).
    whole = csv_rows(await download(client, tenant, ran, "daily-report.csv"))
    assert len(whole) == 1 + 20 * 4
    assert whole[1][0] == start.isoformat()
    assert whole[-1][0] == (start + timedelta(days=19)).isoformat()


async def test_the_evaluation_as_the_manuals_table(client, tenant: Tenant, team: Team):
    ran, _ = await sample(client, tenant, team)
    analysed = await client.patch(
        f"{ran.base}/evaluation/goals/{ran.goals['new_users']}",
        json={
            "cause_category": "execution",
            "analysis": "KOC 档期晚两周, 预热期新增用户不足",
            "improvement_proposal": "提前两周锁定 KOC 档期",
        },
        headers=tenant.auth(Role.editor) | {"If-Match": '"0"'},
    )
    assert analysed.status_code == 200, analysed.text

    sheet = sheet_of(await download(client, tenant, ran, "evaluation.xlsx"))
    header, *rows = rows_of(sheet)
    assert header == [
        "评估维度",
        "目标类型",
        "指标",
        "目标值",
        "实际值",
        "达成率 (%)",
        "结果",
        "数据来源",
        "原因类别",
        "原因分析",
        "改进建议",
    ]
    goals = {row[2]: row for row in rows if row[0] == "目标达成"}
    assert {name: row[3:7] for name, row in goals.items()} == {
        "新增用户": [200000, 180000, 90, "未达成"],
        "搜索量 (+%)": [30, 45, 150, "达成"],  # +45% on a +30% target
        "销售额": [5000000, 6200000, 124, "达成"],
        "投入产出比": [4, 5.2, 130, "达成"],
    }
    assert goals["新增用户"][1] == "用户增长"
    assert goals["新增用户"][7] == "数据项: 新增用户; 渠道: ecommerce、social_feed"
    assert goals["新增用户"][8:] == [
        "执行问题",
        "KOC 档期晚两周, 预热期新增用户不足",
        "提前两周锁定 KOC 档期",
    ]
    figures = {(row[0], row[2]): row[4] for row in rows if row[0] != "目标达成"}
    assert figures[("投入产出 (ROI)", "ROI（按已记录费用）")] == 5  # 1,300,000 / 260,000
    assert figures[("投入产出 (ROI)", "ROI（按投放花费）")] == 5.2
    assert figures[("用户价值", "新增用户")] == 180000
    assert figures[("品牌影响", "搜索量")] == 14500
    assert sheet["F2"].number_format == "0.00"

    text = csv_rows(await download(client, tenant, ran, "evaluation.csv"))
    assert text[1][3:7] == ["200000", "180000", "90.00", "未达成"]


async def test_exports_refuse_what_they_cannot_serve(
    client, tenant: Tenant, other_tenant: Tenant, team: Team
):
    ran, start = await sample(client, tenant, team)
    path = f"{ran.base}/exports"

    async def get(
        name: str, params: dict[str, str] | None = None, *, key: Tenant = tenant
    ) -> httpx.Response:
        response: httpx.Response = await client.get(
            f"{path}/{name}", params=params, headers=key.auth(Role.viewer)
        )
        return response

    # Another workspace's campaign does not exist for its keys.
    assert_problem(await get("tasks.xlsx", key=other_tenant), 404)
    assert_problem(await get("settlement.csv", key=other_tenant), 404)

    assert fields_of(assert_problem(await get("tasks.pdf"), 422)) == {"path.format"}
    assert fields_of(assert_problem(await get("budget.csv"), 422)) == {"path.table"}
    day = start.isoformat()
    cases = [
        ({"from": day, "to": (start - timedelta(days=1)).isoformat()}, "query.to"),
        ({"from": day, "to": (start + timedelta(days=366)).isoformat()}, "query.to"),
        ({"from": "2024-6-1"}, "query.from"),
        ({"to": "9999-12-31"}, "query.to"),
    ]
    for params, field in cases:
        refused = assert_problem(await get("daily-report.xlsx", params), 422)
        assert fields_of(refused) == {field}, refused
    year = await get(
        "daily-report.csv", {"from": day, "to": (start + timedelta(days=365)).isoformat()}
    )
    assert year.status_code == 200
    assert len(csv_rows(year)) == 1 + 366 * 4
    assert fields_of(assert_problem(await get("tasks.csv", {"from": day}), 422)) == {"query.from"}

    draft = await created(
        client,
        tenant,
        "/v1/campaigns",
        {"name": "未开始的活动", "kind": "new_product_launch", "timezone": "Asia/Shanghai"},
    )
    never_ran = f"/v1/campaigns/{draft['id']}/exports"
    response = await client.get(f"{never_ran}/evaluation.xlsx", headers=tenant.auth(Role.viewer))
    assert_problem(response, 409, "campaign_not_run")
    response = await client.get(f"{never_ran}/daily-report.csv", headers=tenant.auth(Role.viewer))
    assert fields_of(assert_problem(response, 422)) == {"query.from"}
    empty = await client.get(f"{never_ran}/tasks.csv", headers=tenant.auth(Role.viewer))
    assert empty.status_code == 200
    assert csv_rows(empty) == [TASK_HEADERS_ZH]
