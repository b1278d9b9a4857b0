"""The report as people read it: the manuals' Table 3 in Markdown, in Chinese or English."""

import uuid
from datetime import date
from decimal import Decimal

from shared.reports import render
from shared.reports.schedule import Language
from shared.reports.schemas import (
    AnomalyOut,
    CompletionOut,
    DailyReportOut,
    DailyReportRow,
    DayGoalOut,
)

USERS, SALES = uuid.UUID(int=1), uuid.UUID(int=2)
DICTIONARY = render.Dictionary(
    names={
        "impressions": "Impressions",
        "ctr": "Click-through rate",
        "conversion_rate": "Conversion rate",
        "new_users": "New users",
        "gmv": "GMV",
    },
    units={
        "impressions": "count",
        "ctr": "ratio",
        "conversion_rate": "ratio",
        "new_users": "count",
        "gmv": "currency",
    },
)
METRICS = ["impressions", "ctr", "conversion_rate", "new_users", "gmv"]


def row(channel, name, figures, rates, note=None):
    values = dict(zip(METRICS, [None if f is None else Decimal(f) for f in figures], strict=True))
    return DailyReportRow(
        channel=channel,
        channel_name=name,
        figures=values,
        anomaly_note=note,
        anomalies=[AnomalyOut(source="log", text=note)] if note else [],
        completion=[
            CompletionOut(
                goal_id=goal,
                metric_key=key,
                actual=values[key],
                rate=None if rate is None else Decimal(rate),
            )
            for goal, key, rate in zip((USERS, SALES), ("new_users", "gmv"), rates, strict=True)
        ],
    )


BRIEF_DAY = DailyReportOut(
    date=date(2024, 6, 10),
    metrics=METRICS,
    rows=[
        row(
            "offline_store",
            "线下门店",
            ["2000", None, None, "160", "32000"],
            ["80.00", "64.00"],
            "客流低于预期20%",
        ),
        row(
            "social_feed",
            "社交信息流",
            ["50000", "0.021", "0.035", "175", "35000"],
            ["87.50", "70.00"],
        ),
        row(None, None, ["52000", "0.0201923", "0.035", "335", "67000"], ["167.50", "134.00"]),
    ],
    goals=[
        DayGoalOut(
            goal_id=USERS,
            metric_key="new_users",
            metric_name="New users",
            target_kind="absolute",
            target_value=Decimal(4000),
            direction="higher_is_better",
            basis="day_share",
            day_target=Decimal("200.00"),
        ),
        DayGoalOut(
            goal_id=SALES,
            metric_key="gmv",
            metric_name="GMV",
            target_kind="absolute",
            target_value=Decimal(1000000),
            direction="higher_is_better",
            basis="day_share",
            day_target=Decimal("50000.00"),
        ),
    ],
)


def test_the_brief_day_as_the_manuals_table_in_chinese():
    title = render.title("daily", "618 大促", "2024-06-10", Language.zh)
    assert title == "【日报】618 大促 2024-06-10"
    text = render.daily_text(BRIEF_DAY, heading=title, language=Language.zh, dictionary=DICTIONARY)
    assert text.splitlines() == [
        "**【日报】618 大促 2024-06-10**",
        "",
        "| 日期 | 渠道 | 曝光量 | 点击率 | 转化率 | 新增用户 | 销售额 | 目标完成率 | 备注 |",
        "|---|---|---|---|---|---|---|---|---|",
        "| 2024-06-10 | 线下门店 | 2,000 | - | - | 160 | 32,000 "
        "| 新增用户 80.00%; 销售额 64.00% | 客流低于预期20% |",
        "| 2024-06-10 | 社交信息流 | 50,000 | 2.10% | 3.50% | 175 | 35,000 "
        "| 新增用户 87.50%; 销售额 70.00% |  |",
        "| 2024-06-10 | **合计** | 52,000 | 2.02% | 3.50% | 335 | 67,000 "
        "| 新增用户 167.50%; 销售额 134.00% |  |",
        "",
        "当日目标: 新增用户 200; 销售额 50,000",
    ]


def test_the_same_day_in_english_and_cells_that_cannot_break_the_table():
    noisy = BRIEF_DAY.model_copy(
        update={
            "rows": [
                BRIEF_DAY.rows[0].model_copy(
                    update={"anomaly_note": "traffic | 20% under\nexpectation"}
                )
            ]
        }
    )
    title = render.title("daily", "618 push", "2024-06-10", Language.en)
    text = render.daily_text(noisy, heading=title, language=Language.en, dictionary=DICTIONARY)
    assert text.splitlines()[2:5] == [
        "| Date | Channel | Impressions | CTR | Conversion | New users | GMV | Completion | Note |",
        "|---|---|---|---|---|---|---|---|---|",
        "| 2024-06-10 | 线下门店 | 2,000 | - | - | 160 | 32,000 "
        "| New users 80.00%; GMV 64.00% | traffic \\| 20% under expectation |",
    ]
    assert title == "Daily report: 618 push 2024-06-10"


def test_numbers_read_as_people_write_them():
    assert render.number(Decimal("35000.000000")) == "35,000"
    assert render.number(Decimal("1234.567")) == "1,234.57"
    assert render.number(Decimal("0.5")) == "0.50"
    assert render.figure(Decimal("0.0201923"), "ratio") == "2.02%"
    assert render.percent(Decimal("16.666"), signed=True) == "+16.67%"
    assert render.percent(None) == "-"
