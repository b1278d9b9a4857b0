"""Reports as people read them: a one-line title and a Markdown table, in Chinese or
English. Pure functions over the report's data, so what is sent is what the API shows."""

# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from shared.ingestion.report_table import HEADER_ALIASES
from shared.metrics.models import FRACTION_UNITS
from shared.reports.schedule import Language
from shared.reports.schemas import DailyReportOut, WeeklyReportOut

# The manuals' Chinese names of the standard metrics: those the CSV import reads.
CHINESE_NAMES = {key: name for name, key in HEADER_ALIASES.items() if not name.isascii()}
# Short English column names where the dictionary's would crowd a table.
SHORT_NAMES = {"ctr": "CTR", "conversion_rate": "Conversion"}

WORDS = {
    Language.zh: {
        "daily": "日报",
        "weekly": "周报",
        "date": "日期",
        "channel": "渠道",
        "completion": "目标完成率",
        "note": "备注",
        "total": "合计",
        "metric": "指标",
        "this_week": "本周",
        "previous_week": "上周",
        "change": "环比",
        "key_metrics": "核心指标（环比）",
        "goal": "目标",
        "actual": "累计实际",
        "expected": "应达进度",
        "pace": "进度比",
        "achievement": "达成率",
        "goals": "目标进度",
        "budget": "预算",
        "budget_line": "已花费 {spent} / 计划 {planned} {currency}（{burn}），"
        "时间进度 {elapsed}，本周花费 {week}",
        "alerts": "本周预警",
        "issues": "本周问题",
        "issues_line": "新增 {opened}，已解决 {resolved}，未关闭 {open}",
        "tasks": "延期任务",
        "slip": "延期 {days} 天",
        "owner": "负责人",
        "none": "无",
        "to": "至",
        "goal_targets": "当日目标",
    },
    Language.en: {
        "daily": "Daily report",
        "weekly": "Weekly report",
        "date": "Date",
        "channel": "Channel",
        "completion": "Completion",
        "note": "Note",
        "total": "Total",
        "metric": "Metric",
        "this_week": "This week",
        "previous_week": "Last week",
        "change": "Change",
        "key_metrics": "Key metrics, week over week",
        "goal": "Goal",
        "actual": "Actual to date",
        "expected": "Expected to date",
        "pace": "Pace",
        "achievement": "Achieved",
        "goals": "Goal pace",
        "budget": "Budget",
        "budget_line": "Spent {spent} of {planned} {currency} ({burn}), "
        "time elapsed {elapsed}, spent this week {week}",
        "alerts": "Alerts this week",
        "issues": "Issues this week",
        "issues_line": "opened {opened}, resolved {resolved}, still open {open}",
        "tasks": "Slipped tasks",
        "slip": "{days} days late",
        "owner": "owner",
        "none": "none",
        "to": "to",
        "goal_targets": "Day targets",
    },
}


@dataclass(frozen=True)
class Dictionary:
    """What rendering needs of the metric dictionary: names and units by key."""

    names: dict[str, str]
    units: dict[str, str]

    def label(self, key: str, language: Language) -> str:
        name = self.names.get(key, key)
        if language == Language.zh:
            return CHINESE_NAMES.get(key, name)
        return SHORT_NAMES.get(key, name)

    def figure(self, key: str, value: Decimal | None) -> str:
        return figure(value, self.units.get(key, "count"))


def number(value: Decimal | None) -> str:
    """50,000 / 35,000.5 / 1,234.57: thousands separated, at most 2 decimals."""
    if value is None:
        return "-"
    rounded = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{rounded:,.2f}"
    return text.removesuffix(".00") if "." in text else text


def percent(value: Decimal | None, *, signed: bool = False) -> str:
    """A percentage already in % (87.5 -> 87.50%)."""
    if value is None:
        return "-"
    rounded = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{'+' if signed and rounded > 0 else ''}{rounded}%"


def figure(value: Decimal | None, unit: str) -> str:
    """A figure as its unit reads: ratios as percentages (0.021 -> 2.10%)."""
    if value is None:
        return "-"
    return percent(value * 100) if unit in FRACTION_UNITS else number(value)


def cell(text: str) -> str:
    """Table cells are one line and must not close the cell early."""
    return " ".join(text.split()).replace("|", "\\|")


def _table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return lines


def title(kind: str, campaign_name: str, period: str, language: Language) -> str:
    label = WORDS[language][kind]
    if language == Language.zh:
        return f"【{label}】{campaign_name} {period}"
    return f"{label}: {campaign_name} {period}"


def daily_text(
    report: DailyReportOut, *, heading: str, language: Language, dictionary: Dictionary
) -> str:
    """The manuals' Table 3: date, channel, impressions, CTR, conversion, new users,
    sales, then the completion rates and the anomaly note."""
    words = WORDS[language]
    goals = {g.goal_id: dictionary.label(g.metric_key, language) for g in report.goals}
    header = [
        words["date"],
        words["channel"],
        *[dictionary.label(k, language) for k in report.metrics],
        words["completion"],
        words["note"],
    ]
    rows = []
    for row in report.rows:
        completion = "; ".join(
            f"{goals[c.goal_id]} {percent(c.rate)}" for c in row.completion if c.rate is not None
        )
        rows.append(
            [
                report.date.isoformat(),
                row.channel_name or row.channel or f"**{words['total']}**",
                *[dictionary.figure(k, row.figures.get(k)) for k in report.metrics],
                completion or "-",
                row.anomaly_note or "",
            ]
        )
    lines = [f"**{heading}**", "", *_table(header, rows)]
    targets = [
        f"{goals[g.goal_id]} {dictionary.figure(g.metric_key, g.day_target)}"
        for g in report.goals
        if g.day_target is not None
    ]
    if targets:
        lines += ["", f"{words['goal_targets']}: " + "; ".join(targets)]
    return "\n".join(lines)


def _short(day: date) -> str:
    return day.strftime("%m-%d")


def weekly_text(
    report: WeeklyReportOut, *, language: Language, dictionary: Dictionary, limit: int = 10
) -> str:
    words = WORDS[language]
    span = f"{_short(report.week_start)} {words['to']} {_short(report.week_end)}"
    heading = f"{report.title}（{span}）" if language == Language.zh else f"{report.title} ({span})"
    lines = [f"**{heading}**", "", f"**{words['key_metrics']}**", ""]
    lines += _table(
        [words["metric"], words["this_week"], words["previous_week"], words["change"]],
        [
            [
                dictionary.label(m.metric_key, language),
                dictionary.figure(m.metric_key, m.this_week),
                dictionary.figure(m.metric_key, m.previous_week),
                percent(m.change_percent, signed=True),
            ]
            for m in report.metrics
        ],
    )
    if report.goals:
        lines += ["", f"**{words['goals']}**", ""]
        lines += _table(
            [words[w] for w in ("goal", "actual", "expected", "pace", "achievement")],
            [
                [
                    dictionary.label(g.metric_key, language),
                    dictionary.figure(g.metric_key, g.actual_to_date),
                    dictionary.figure(g.metric_key, g.expected_to_date),
                    percent(g.pace_percent),
                    percent(g.achievement_rate),
                ]
                for g in report.goals
            ],
        )
    budget = report.budget
    lines += [
        "",
        f"**{words['budget']}**: "
        + words["budget_line"].format(
            spent=number(budget.spent),
            planned=number(budget.planned),
            currency=budget.currency,
            burn=percent(budget.burn_percent),
            elapsed=percent(budget.time_elapsed_percent),
            week=number(budget.spent_this_week),
        ),
        "",
        f"**{words['alerts']}** ({report.alerts_count})",
    ]
    lines += [
        f"- [{a.severity}] {cell(a.message)}" + (f" ({a.channel})" if a.channel else "")
        for a in report.alerts[:limit]
    ] or [f"- {words['none']}"]
    issues = report.issues
    lines += [
        "",
        f"**{words['issues']}**: "
        + words["issues_line"].format(
            opened=issues.opened_count, resolved=issues.resolved_count, open=issues.open_count
        ),
    ]
    lines += [f"- [{i.severity}] {cell(i.title)} ({i.status})" for i in issues.opened[:limit]]
    lines += ["", f"**{words['tasks']}** ({report.slipped_count})"]
    lines += [
        f"- {t.code} {cell(t.name)}: {words['slip'].format(days=t.slip_days)}"
        + (f", {words['owner']} {t.owner_name}" if t.owner_name else "")
        for t in report.slipped_tasks[:limit]
    ] or [f"- {words['none']}"]
    return "\n".join(lines)
