"""Suggestions drawn from a campaign's history: pure rules on plain figures.

Each suggestion cites what it rests on (figures, the ids of goals, rules, alerts, issues,
tasks, budget lines, expenses or channels) with a sentence in English and in Chinese.
Its id is a hash of its kind and subject, so it stays the same when it is computed again
and a decision on it (accepted, dismissed) sticks.
"""

# ruff: noqa: RUF001 - Chinese sentences use full-width punctuation on purpose

import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from shared.retrospectives.models import RootCause, SuggestionKind

FigureValue = str | int | bool | None
HUNDRED = Decimal(100)
TOP = 5  # rules, tasks per kind (the most telling first)
MIN_FIRINGS = 2  # a rule that fired once is an incident, not a pattern
MIN_SPEND_SHARE = Decimal(5)  # % of the channels' spend: less is too small a sample
WORST_CHANNELS = 3


@dataclass(frozen=True)
class Ref:
    type: str
    id: str
    label: str | None = None
    href: str | None = None


@dataclass(frozen=True)
class Suggestion:
    kind: SuggestionKind
    subject: str
    figures: dict[str, FigureValue]
    refs: list[Ref]
    sentence: str
    sentence_zh: str
    stage: str
    root_cause: RootCause | None
    owner_id: uuid.UUID | None = None
    rank: Decimal = Decimal(0)  # higher: shown first within its kind

    @property
    def id(self) -> str:
        return suggestion_id(self.kind, self.subject)

    def evidence(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "figures": self.figures,
            "refs": [ref.__dict__ for ref in self.refs],
            "sentence": self.sentence,
            "sentence_zh": self.sentence_zh,
        }

    def draft(self) -> dict[str, Any]:
        return {
            "stage": self.stage[:200],
            "what_worked": None,
            "shortfall": self.sentence,
            "root_cause": self.root_cause,
            "improvement_action": None,
            "owner_id": self.owner_id,
            "due_date": None,
        }


def suggestion_id(kind: SuggestionKind, subject: str) -> str:
    return hashlib.sha256(f"{kind.value}:{subject}".encode()).hexdigest()[:24]


def number(value: Decimal | int) -> str:
    """20000.0000 -> "20,000"; 3.8667 -> "3.8667"; thousands separated."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{value.quantize(Decimal(1)):,}"
    return f"{value.normalize():,f}"


def text(value: Decimal | None) -> str | None:
    """A figure as decimal text without trailing zeros."""
    if value is None:
        return None
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return f"{value.normalize():f}"


# --- goals --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalFigures:
    goal_id: uuid.UUID
    campaign_id: uuid.UUID
    metric_key: str
    metric_name: str
    relative_lift: bool  # the target is a % lift over the baseline
    lower_is_better: bool
    target: Decimal | None
    actual: Decimal | None
    lift_percent: Decimal | None
    achievement_rate: Decimal | None
    owner_id: uuid.UUID | None


def goal_missed(goal: GoalFigures) -> Suggestion | None:
    """A goal whose achievement rate is under 100%."""
    rate = goal.achievement_rate
    if rate is None or rate >= HUNDRED or goal.target is None:
        return None
    gap_percent = HUNDRED - rate
    reached = goal.lift_percent if goal.relative_lift else goal.actual
    if reached is None:
        return None
    gap = abs(goal.target - reached)
    unit = "%" if goal.relative_lift else ""
    if goal.relative_lift:
        what = f"a lift of {number(reached)}% for {number(goal.target)}%"
        what_zh = f"提升 {number(reached)}%，目标 {number(goal.target)}%"
    elif goal.lower_is_better:
        what = f"{number(reached)} for at most {number(goal.target)}"
        what_zh = f"实际 {number(reached)}，目标不高于 {number(goal.target)}"
    else:
        what = f"{number(reached)} of {number(goal.target)}"
        what_zh = f"{number(reached)} / {number(goal.target)}"
    sentence = (
        f"Goal {goal.metric_name}: {what} ({number(rate)}%), missed by "
        f"{number(gap)}{unit} ({number(gap_percent)}%)."
    )
    sentence_zh = (
        f"目标「{goal.metric_name}」未达成：{what_zh}（达成率 {number(rate)}%），"
        f"差 {number(gap)}{unit}（{number(gap_percent)}%）。"
    )
    return Suggestion(
        kind=SuggestionKind.goal_missed,
        subject=str(goal.goal_id),
        figures={
            "metric_key": goal.metric_key,
            "target": text(goal.target),
            "actual": text(goal.actual),
            "lift_percent": text(goal.lift_percent),
            "achievement_rate": text(rate),
            "gap": text(gap),
            "gap_percent": text(gap_percent),
        },
        refs=[
            Ref(
                "goal",
                str(goal.goal_id),
                goal.metric_name,
                f"/v1/campaigns/{goal.campaign_id}/goals/{goal.goal_id}",
            )
        ],
        sentence=sentence,
        sentence_zh=sentence_zh,
        stage=goal.metric_name,
        root_cause=RootCause.strategy,
        owner_id=goal.owner_id,
        rank=gap_percent,
    )


# --- rules --------------------------------------------------------------------------------

SEVERITY_ORDER = ("info", "warning", "critical")


@dataclass(frozen=True)
class RuleFirings:
    rule_id: uuid.UUID
    rule_name: str
    severities: Sequence[str]  # of each alert it raised
    alert_ids: Sequence[uuid.UUID]  # oldest first


def rules_fired_most(rules: Iterable[RuleFirings]) -> list[Suggestion]:
    """The rules that fired most (at least twice), with their count and worst severity."""
    ranked = sorted(
        (r for r in rules if len(r.alert_ids) >= MIN_FIRINGS),
        key=lambda r: (-len(r.alert_ids), r.rule_name),
    )[:TOP]
    result = []
    for rule in ranked:
        worst = max(rule.severities, key=SEVERITY_ORDER.index)
        count = len(rule.alert_ids)
        result.append(
            Suggestion(
                kind=SuggestionKind.rule_fired,
                subject=str(rule.rule_id),
                figures={"alerts": count, "worst_severity": worst},
                refs=[Ref("rule", str(rule.rule_id), rule.rule_name, f"/v1/rules/{rule.rule_id}")]
                + [Ref("alert", str(a), None, f"/v1/alerts/{a}") for a in rule.alert_ids[:20]],
                sentence=f'Rule "{rule.rule_name}" fired {count} times (worst: {worst}).',
                sentence_zh=f"预警规则「{rule.rule_name}」触发 {count} 次（最高级别：{worst}）。",
                stage=rule.rule_name,
                root_cause=RootCause.execution,
                rank=Decimal(count),
            )
        )
    return result


# --- issues -------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueTimes:
    issue_id: uuid.UUID
    title: str
    severity: str
    owner_id: uuid.UUID
    still_open: bool
    response_due_at: datetime
    responded_at: datetime | None
    sla_breached_at: datetime | None
    resolution_due_at: datetime
    resolved_at: datetime | None  # or closed: when work on it ended
    resolution_overdue_at: datetime | None


def _hours_late(due: datetime, at: datetime) -> Decimal:
    return (Decimal((at - due).total_seconds()) / 3600).quantize(Decimal("0.1"))


def issue_sla_breached(issue: IssueTimes, now: datetime) -> Suggestion | None:
    """An issue whose response or resolution came after its due time, or is still missing
    past it."""
    response_at = issue.responded_at or (None if issue.still_open else issue.resolved_at) or now
    resolution_at = issue.resolved_at if not issue.still_open and issue.resolved_at else now
    response_late = (
        _hours_late(issue.response_due_at, response_at)
        if response_at > issue.response_due_at or issue.sla_breached_at
        else None
    )
    resolution_late = (
        _hours_late(issue.resolution_due_at, resolution_at)
        if resolution_at > issue.resolution_due_at or issue.resolution_overdue_at
        else None
    )
    if response_late is None and resolution_late is None:
        return None
    parts, parts_zh = [], []
    if response_late is not None:
        parts.append(f"its response {number(response_late)} h after the response time")
        parts_zh.append(f"响应超时 {number(response_late)} 小时")
    if resolution_late is not None:
        how = "it is still open" if issue.still_open else "it was resolved"
        parts.append(f"{how} {number(resolution_late)} h after the resolution time")
        state = "仍未解决" if issue.still_open else "解决"
        parts_zh.append(f"{state}超时 {number(resolution_late)} 小时")
    return Suggestion(
        kind=SuggestionKind.issue_sla_breached,
        subject=str(issue.issue_id),
        figures={
            "severity": issue.severity,
            "still_open": issue.still_open,
            "response_due_at": issue.response_due_at.isoformat(),
            "responded_at": issue.responded_at.isoformat() if issue.responded_at else None,
            "response_late_hours": text(response_late),
            "resolution_due_at": issue.resolution_due_at.isoformat(),
            "resolved_at": issue.resolved_at.isoformat() if issue.resolved_at else None,
            "resolution_late_hours": text(resolution_late),
        },
        refs=[Ref("issue", str(issue.issue_id), issue.title, f"/v1/issues/{issue.issue_id}")],
        sentence=f'Issue "{issue.title}" breached its SLA: ' + "; ".join(parts) + ".",
        sentence_zh=f"问题「{issue.title}」超出时限：" + "，".join(parts_zh) + "。",
        stage=issue.title,
        root_cause=RootCause.collaboration,
        owner_id=issue.owner_id,
        rank=max(response_late or Decimal(0), resolution_late or Decimal(0)),
    )


# --- tasks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskSlip:
    task_id: uuid.UUID
    campaign_id: uuid.UUID
    code: str
    name: str
    owner_id: uuid.UUID | None
    planned_end: date | None
    actual_end: date | None
    still_open: bool
    slip_days: int
    on_critical_path: bool
    delayed: Sequence[tuple[uuid.UUID, str, str]] = field(default_factory=tuple)  # id, code, name


def critical_successors(
    task_id: uuid.UUID,
    successors: Mapping[uuid.UUID, Sequence[uuid.UUID]],
    critical: Iterable[uuid.UUID],
) -> list[uuid.UUID]:
    """The tasks after `task_id` (directly or through others) that are on the critical
    path: those its slip pushes back, in the order they are reached."""
    on_path = set(critical)
    seen: set[uuid.UUID] = set()
    found: list[uuid.UUID] = []
    queue = list(successors.get(task_id, ()))
    while queue:
        step = queue.pop(0)
        if step in seen or step == task_id:
            continue
        seen.add(step)
        if step in on_path:
            found.append(step)
        queue.extend(successors.get(step, ()))
    return found


def tasks_slipped_most(tasks: Iterable[TaskSlip]) -> list[Suggestion]:
    ranked = sorted((t for t in tasks if t.slip_days > 0), key=lambda t: (-t.slip_days, t.code))[
        :TOP
    ]
    result = []
    for task in ranked:
        href = "/v1/tasks"
        if task.still_open:
            how = (
                f"is still not done {task.slip_days} days after its planned end "
                f"({task.planned_end})"
            )
            how_zh = f"计划 {task.planned_end} 完成，逾期 {task.slip_days} 天仍未完成"
        else:
            how = (
                f"finished {task.slip_days} days after its planned end "
                f"({task.planned_end} -> {task.actual_end})"
            )
            how_zh = f"比计划晚 {task.slip_days} 天完成（{task.planned_end} -> {task.actual_end}）"
        codes = ", ".join(code for _, code, _ in task.delayed)
        delayed = f", delaying {codes} on the critical path" if task.delayed else ""
        delayed_zh = f"，拖延关键路径上的 {codes}" if task.delayed else ""
        result.append(
            Suggestion(
                kind=SuggestionKind.task_slipped,
                subject=str(task.task_id),
                figures={
                    "code": task.code,
                    "planned_end": task.planned_end.isoformat() if task.planned_end else None,
                    "actual_end": task.actual_end.isoformat() if task.actual_end else None,
                    "slip_days": task.slip_days,
                    "still_open": task.still_open,
                    "on_critical_path": task.on_critical_path,
                    "delayed_on_critical_path": len(task.delayed),
                },
                refs=[Ref("task", str(task.task_id), task.code, f"{href}/{task.task_id}")]
                + [Ref("task", str(i), code, f"{href}/{i}") for i, code, _ in task.delayed],
                sentence=f'Task {task.code} "{task.name}" {how}{delayed}.',
                sentence_zh=f"任务 {task.code}「{task.name}」{how_zh}{delayed_zh}。",
                stage=f"{task.code} {task.name}",
                root_cause=RootCause.execution,
                owner_id=task.owner_id,
                rank=Decimal(task.slip_days),
            )
        )
    return result


# --- budget -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategorySpend:
    campaign_id: uuid.UUID
    category: str
    currency: str
    planned: Decimal
    spent: Decimal
    lines: Sequence[tuple[uuid.UUID, str | None]]  # budget line id, note
    expenses: Sequence[uuid.UUID]
    owner_id: uuid.UUID | None  # the campaign's owner


def budget_over_plan(spend: CategorySpend) -> Suggestion | None:
    """A budget category whose expenses exceed its planned lines."""
    if spend.spent <= spend.planned:
        return None
    over = spend.spent - spend.planned
    percent = (over / spend.planned * HUNDRED).quantize(Decimal("0.01")) if spend.planned else None
    share = f" ({number(percent)}%)" if percent is not None else ""
    share_zh = f"（{number(percent)}%）" if percent is not None else ""
    base = f"/v1/campaigns/{spend.campaign_id}"
    money = f"{spend.currency} "
    return Suggestion(
        kind=SuggestionKind.budget_over_plan,
        subject=spend.category,
        figures={
            "category": spend.category,
            "currency": spend.currency,
            "planned": text(spend.planned),
            "spent": text(spend.spent),
            "over": text(over),
            "over_percent": text(percent),
        },
        refs=[
            Ref("budget_line", str(i), note, f"{base}/budget-lines/{i}") for i, note in spend.lines
        ]
        + [Ref("expense", str(i), None, f"{base}/expenses/{i}") for i in spend.expenses[:20]],
        sentence=f"Budget {spend.category}: spent {money}{number(spend.spent)} of "
        f"{money}{number(spend.planned)} planned, {money}{number(over)} over plan{share}.",
        sentence_zh=f"预算类别「{spend.category}」超支：计划 {money}{number(spend.planned)}，"
        f"实际 {money}{number(spend.spent)}，超出 {money}{number(over)}{share_zh}。",
        stage=spend.category,
        root_cause=RootCause.budget,
        owner_id=spend.owner_id,
        rank=percent if percent is not None else over,
    )


# --- channels -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelReturn:
    campaign_id: uuid.UUID
    key: str
    name: str
    currency: str
    spent: Decimal
    spend_source: str
    revenue: Decimal | None
    roi: Decimal | None


def worst_roi_channels(
    channels: Sequence[ChannelReturn], owner_id: uuid.UUID | None
) -> list[Suggestion]:
    """Channels whose ROI is under the spend-weighted ROI of the channels, among those
    with a meaningful sample (an ROI, and at least 5% of the channels' spend); a lone
    channel only when it returns less than it cost. Worst first, at most three."""
    total = sum((c.spent for c in channels if c.roi is not None and c.spent > 0), Decimal(0))
    if total <= 0:
        return []
    sample = [
        c
        for c in channels
        if c.roi is not None and c.spent > 0 and c.spent * HUNDRED / total >= MIN_SPEND_SHARE
    ]
    if not sample:
        return []
    spend = sum((c.spent for c in sample), Decimal(0))
    blended = sum((c.roi * c.spent for c in sample if c.roi is not None), Decimal(0)) / spend
    blended = blended.quantize(Decimal("0.0001"))
    bar = blended if len(sample) > 1 else Decimal(1)
    worst = sorted(
        (c for c in sample if c.roi is not None and c.roi < bar), key=lambda c: c.roi or 0
    )
    result = []
    for channel in worst[:WORST_CHANNELS]:
        assert channel.roi is not None
        share = (channel.spent * HUNDRED / spend).quantize(Decimal("0.01"))
        against = (
            f"the channels' {number(blended)}"
            if len(sample) > 1
            else "1 (it cost more than it returned)"
        )
        against_zh = f"全渠道 {number(blended)}" if len(sample) > 1 else "1（投入大于回报）"
        result.append(
            Suggestion(
                kind=SuggestionKind.channel_low_roi,
                subject=channel.key,
                figures={
                    "channel": channel.key,
                    "currency": channel.currency,
                    "roi": text(channel.roi),
                    "blended_roi": text(blended),
                    "spent": text(channel.spent),
                    "spend_share_percent": text(share),
                    "spend_source": channel.spend_source,
                    "revenue": text(channel.revenue),
                },
                refs=[
                    Ref(
                        "channel",
                        channel.key,
                        channel.name,
                        f"/v1/campaigns/{channel.campaign_id}/channels",
                    )
                ],
                sentence=f"Channel {channel.name}: ROI {number(channel.roi)} on "
                f"{channel.currency} {number(channel.spent)} spent ({number(share)}% of the "
                f"channels' spend), under {against}.",
                sentence_zh=f"渠道「{channel.name}」ROI {number(channel.roi)}（花费 "
                f"{channel.currency} {number(channel.spent)}，占 {number(share)}%），"
                f"低于{against_zh}。",
                stage=channel.name,
                root_cause=RootCause.strategy,
                owner_id=owner_id,
                rank=bar - channel.roi,
            )
        )
    return result
