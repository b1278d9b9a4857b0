"""The charts' geometry, without HTTP or a database: what a reader sees drawn."""

import tomllib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fnmatch import fnmatch
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from shared.report_pages import charts
from shared.report_pages.render import _axis, _figure

D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")
JUNE = [date(2024, 6, day) for day in range(1, 8)]


def test_ticks_are_round_numbers_covering_the_largest_value():
    assert charts.nice_ticks(0, 6_200_000) == [0, 2_000_000, 4_000_000, 6_000_000, 8_000_000]
    assert charts.nice_ticks(0, 0.035) == [0, 0.01, 0.02, 0.03, 0.04]
    assert charts.nice_ticks(0, 0) == [0, 0.25, 0.5, 0.75, 1]  # nothing yet: still an axis
    assert charts.nice_ticks(-50, 150) == [-50, 0, 50, 100, 150]


def test_a_line_per_channel_broken_where_a_day_has_no_figure():
    feed = [(d, D(100 + i)) for i, d in enumerate(JUNE)]
    store = [(JUNE[0], D(10)), (JUNE[1], D(20)), (JUNE[2], None), (JUNE[3], D(30))]
    store += [(JUNE[4], D(40)), (JUNE[5], D(50))]
    chart = charts.line_chart(
        [
            charts.LineSeries("social_feed", "社交信息流", feed),
            charts.LineSeries("offline_store", "线下快闪店", store),
        ],
        start=JUNE[0],
        end=JUNE[-1],
        colours={"social_feed": "#0072b2"},
    )
    feed_line, store_line = chart.lines
    assert feed_line.d.count("M") == 1
    assert feed_line.d.count("L") == 6  # seven days joined
    assert feed_line.colour == "#0072b2"
    assert store_line.d.count("M") == 2  # the missing day breaks the line
    assert (store_line.values, store_line.markers) == (5, [])
    first_x = float(feed_line.d[1:].split(",")[0])
    last_x = float(feed_line.d.rsplit("L", 1)[1].split(",")[0])
    assert (first_x, last_x) == (chart.frame.x0, chart.frame.x1)  # the campaign's first to last day
    assert chart.y_values == [0, 50, 100, 150]  # from zero
    assert [t.label for t in chart.x_ticks] == ["06-01", "06-03", "06-05", "06-07"]


def test_a_lone_figure_is_drawn_as_a_marker():
    chart = charts.line_chart(
        [charts.LineSeries("ecommerce", "电商", [(JUNE[3], D(5)), (JUNE[5], None)])],
        start=JUNE[0],
        end=JUNE[-1],
        colours={},
    )
    [line] = chart.lines
    assert line.d == ""
    assert len(line.markers) == 1
    assert line.colour == charts.PALETTE[0]


def test_goal_progress_is_capped_at_the_bar_with_the_pace_line_where_it_should_be():
    behind = charts.progress_bar(D("45.00"), D("60.00"), width=200)
    assert (behind.filled, behind.pace_x, behind.over) == (90.0, 120.0, False)
    beyond = charts.progress_bar(D("124.00"), None, width=200)
    assert (beyond.filled, beyond.pace_x, beyond.over) == (200.0, None, True)
    unmeasured = charts.progress_bar(None, D("50"), width=200)
    assert unmeasured.filled == 0.0


def test_bars_start_at_zero_and_skip_what_is_not_there():
    chart = charts.bar_chart(
        [
            ("labour", "labour", (D("150000"), D("150000"), D("150000"))),
            ("contingency", "contingency", (None, D("100000"), D("-5"))),
        ],
        series=(("baseline", "#999"), ("planned", "#00f"), ("spent", "#f90")),
    )
    labour, contingency = chart.groups
    assert [b.series for b in labour.bars] == ["baseline", "planned", "spent"]
    assert [b.series for b in contingency.bars] == ["planned", "spent"]  # no baseline yet
    assert {b.x for g in chart.groups for b in g.bars} == {chart.frame.x0}
    assert contingency.bars[1].width == 0.0  # never negative
    assert labour.bars[0].width == labour.bars[1].width
    assert chart.x_values[-1] >= 150000


def test_counts_are_ticked_in_whole_numbers():
    chart = charts.bar_chart(
        [("execution", "execution", (D(1),)), ("strategy", "strategy", (D(1),))],
        series=(("count", "#00f"),),
        whole=True,
    )
    assert chart.x_values == [0.0, 1.0]


def test_gantt_bars_span_their_days_and_mark_the_critical_path():
    may = [date(2024, 5, day) for day in (11, 15, 16, 25)]
    rows = [
        charts.GanttInput("M-002", "策划", "task", may[0], may[1], 100, True, "done"),
        charts.GanttInput("M-003", "制作", "task", may[2], may[3], 50, True, "in_progress"),
        charts.GanttInput("M-009", "待定", "task", None, None, 0, False, "todo"),
    ]
    chart = charts.gantt(
        rows, start=date(2024, 5, 1), end=date(2024, 7, 15), today=date(2024, 5, 20)
    )
    plan, make, undated = chart.bars
    assert plan.x is not None
    per_day = (chart.frame.x1 - chart.frame.x0) / 76  # 2024-05-01..07-15 inclusive
    assert plan.width == pytest.approx(5 * per_day, abs=0.2)
    assert make.x == pytest.approx(plan.x + plan.width, abs=0.2)  # the next day, no gap
    assert make.done_width == pytest.approx(make.width / 2, abs=0.1)
    assert (plan.critical, undated.x) == (True, None)
    assert chart.today_x == pytest.approx(chart.frame.x0 + 19.5 * per_day, abs=0.2)


def test_a_task_outside_the_campaign_widens_the_axis_to_show_it():
    rows = [
        charts.GanttInput(
            "M-1", "x", "task", date(2024, 4, 20), date(2024, 4, 22), 0, False, "todo"
        )
    ]
    chart = charts.gantt(
        rows, start=date(2024, 5, 1), end=date(2024, 5, 31), today=date(2024, 6, 9)
    )
    assert chart.bars[0].x == chart.frame.x0
    assert chart.today_x is None  # after the axis: no line


def test_the_timeline_runs_an_open_issue_to_now_in_the_campaigns_days():
    opened = datetime(2024, 6, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    happenings = [
        charts.Happening("issue", "1", "客流不足", "warning", opened, None),
        charts.Happening("alert", "2", "负面评论 51 > 50", "critical", opened, opened),
    ]
    now = datetime(2024, 6, 12, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
    chart = charts.timeline(
        happenings,
        start=date(2024, 6, 1),
        end=date(2024, 6, 18),
        now=now,
        zone_day=charts.DayOf(SHANGHAI),
    )
    alert, issue = chart.items  # alerts first, then issues
    assert (alert.kind, alert.width, alert.open) == ("alert", 0.0, False)
    per_day = (chart.frame.x1 - chart.frame.x0) / 18
    assert issue.open is True
    assert issue.width == pytest.approx((2 + 2 / 24) * per_day, abs=0.2)
    assert chart.now_x == pytest.approx(issue.x + issue.width, abs=0.2)
    assert [kind for kind, _ in chart.lanes] == ["alert", "issue"]


def test_figures_read_as_their_units_and_roi_as_the_manuals_write_it():
    assert _figure(D("0.021"), "ratio") == "2.10%"
    assert _figure(D("5.2"), "ratio", "roi") == "1:5.2"
    assert _figure(D("6200000"), "currency") == "6,200,000"
    assert _figure(None, "count") == "-"
    assert (_axis(2_000_000, "currency"), _axis(0.02, "ratio"), _axis(150, "percent_points")) == (
        "2M",
        "2%",
        "150%",
    )


def test_the_templates_and_stylesheet_ship_in_the_package():
    """A wheel (and the Docker image) carries what pyproject's package-data names."""
    root = Path(__file__).resolve().parents[2]
    data = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = data["package-data"]["shared.report_pages"]
    folder = root / "shared" / "report_pages"
    shipped = [
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.suffix in (".html", ".css")
    ]
    assert {"static/pages.css", "templates/base.html", "templates/report.html"} <= set(shipped)
    assert all(any(fnmatch(path, pattern) for pattern in patterns) for path in shipped)


def test_a_day_of_a_moment_is_the_campaigns_local_one():
    late = datetime(2024, 6, 10, 17, 0, tzinfo=UTC)  # 01:00 on the 11th in Shanghai
    assert charts.DayOf(SHANGHAI)(late) == (date(2024, 6, 11), 1 / 24)
    assert charts.DayOf(SHANGHAI)(late - timedelta(hours=2))[0] == date(2024, 6, 10)
