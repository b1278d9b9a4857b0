"""What each page shows, as typed values: the templates only lay them out and format them.

Gathered by calling the domains' own services (goal progress, budget, plan versions,
schedule, evaluation, settlement, retrospective), so a page says what the API says.
"""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from shared.evaluations.schemas import EvaluationOut
from shared.report_pages import charts
from shared.settlements.schemas import SettlementStatementOut


@dataclass(frozen=True)
class Header:
    campaign_id: uuid.UUID
    name: str
    kind: str
    status: str
    registration_number: str | None
    owner_name: str | None
    start_date: date | None
    end_date: date | None
    timezone: str
    currency: str
    day_number: int | None
    days_total: int | None
    time_elapsed_percent: Decimal | None
    as_of: datetime  # in the campaign's timezone
    plan_version: int | None


@dataclass(frozen=True)
class GoalRow:
    metric_key: str
    metric_name: str
    unit: str
    goal_type: str
    strategy: str | None
    target_kind: str
    target_value: Decimal | None
    baseline_value: Decimal | None
    actual: Decimal | None
    lift_percent: Decimal | None
    achievement_rate: Decimal | None
    expected_to_date: Decimal | None
    expected_rate: Decimal | None  # where the pace line stands: expected / target x 100
    pace_percent: Decimal | None
    due_date: date | None
    owner_name: str | None
    bar: charts.Progress


@dataclass(frozen=True)
class ChannelKey:
    key: str
    name: str
    colour: str


@dataclass(frozen=True)
class Trend:
    metric_key: str
    metric_name: str
    unit: str
    chart: charts.LineChart


@dataclass(frozen=True)
class MoneyRow:
    key: str
    label: str  # a category key (translated by the template) or a channel's name
    baseline: Decimal | None  # planned in the approved plan (version 1); None before
    planned: Decimal
    spent: Decimal
    burn_percent: Decimal | None
    spend_source: str | None = None  # channels: expenses, pushed or none


@dataclass(frozen=True)
class Budget:
    currency: str
    total: MoneyRow
    time_elapsed_percent: Decimal | None
    categories: list[MoneyRow]
    channels: list[MoneyRow]
    category_chart: charts.BarChart
    channel_chart: charts.BarChart | None


@dataclass(frozen=True)
class Schedule:
    chart: charts.Gantt | None
    critical_path: list[str]
    finish: date | None
    conflicts: list[str]


@dataclass(frozen=True)
class Raised:
    """An alert or an issue, as the timeline's table lists it."""

    kind: str  # alert or issue
    key: str
    title: str
    severity: str
    status: str
    started_at: datetime
    ended_at: datetime | None
    owner_name: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class Timeline:
    chart: charts.Timeline | None
    rows: list[Raised]
    more: int  # rows left out of the page (the most recent are kept)


@dataclass(frozen=True)
class ReportPage:
    header: Header
    goals: list[GoalRow]
    channels: list[ChannelKey]
    trends: list[Trend]
    budget: Budget
    schedule: Schedule
    timeline: Timeline


@dataclass(frozen=True)
class EvaluationPage:
    header: Header
    evaluation: EvaluationOut | None  # None: the campaign never ran
    goal_chart: charts.BarChart | None
    channel_chart: charts.BarChart | None
    units: dict[str, str] = field(default_factory=dict)  # metric key -> unit


@dataclass(frozen=True)
class PlanGoal:
    goal_type: str
    strategy: str | None
    metric_key: str
    metric_name: str
    unit: str
    target_kind: str
    target_value: Decimal | None
    baseline_value: Decimal | None
    owner_name: str | None
    due_date: date | None
    notes: str | None


@dataclass(frozen=True)
class PlanLine:
    category: str
    planned: Decimal
    baseline: Decimal | None
    share_percent: Decimal | None
    notes: list[str]


@dataclass(frozen=True)
class PlanPhase:
    name: str
    start_date: date
    end_date: date
    core_actions: str | None
    executor_name: str | None
    resources: str | None


@dataclass(frozen=True)
class PlanRisk:
    description: str
    phase_name: str | None
    probability: str
    impact: str
    mitigation: str | None
    owner_name: str | None
    status: str


@dataclass(frozen=True)
class Decision:
    step_name: str
    decision: str
    member_name: str
    member_title: str | None
    decided_at: datetime
    comment: str | None


@dataclass(frozen=True)
class Round:
    number: int
    status: str
    submitted_by: str | None
    opened_at: datetime
    closed_at: datetime | None
    decisions: list[Decision]


@dataclass(frozen=True)
class Signature:
    step_name: str
    member_name: str | None  # None: nobody has signed this step yet
    member_title: str | None
    decided_at: datetime | None


@dataclass(frozen=True)
class ProposalPage:
    header: Header
    texts: list[tuple[str, str | None]]  # (label key, text)
    channel_names: list[str]
    tags: list[str]
    goals: list[PlanGoal]
    budget_total: Decimal
    budget_lines: list[PlanLine]
    contingency_share_percent: Decimal | None
    phases: list[PlanPhase]
    risks: list[PlanRisk]
    rounds: list[Round]
    signatures: list[Signature]


@dataclass(frozen=True)
class Signed:
    """A step of the settlement's workflow: who and when."""

    step: str
    member_name: str | None
    at: datetime | None
    comment: str | None = None


@dataclass(frozen=True)
class SettlementPage:
    header: Header
    status: str
    threshold_percent: Decimal
    statement: SettlementStatementOut
    channel_names: dict[str, str]
    missing_explanations: list[str]
    workflow: list[Signed]
    record_number: int | None
    chart: charts.BarChart | None


@dataclass(frozen=True)
class RetrospectiveItemRow:
    stage: str | None
    what_worked: str | None
    shortfall: str | None
    root_cause: str | None
    improvement_action: str | None
    owner_name: str | None
    due_date: date | None
    has_issue: bool


@dataclass(frozen=True)
class RetrospectivePage:
    header: Header
    items: list[RetrospectiveItemRow]
    more: int
    by_root_cause: dict[str, int]
    chart: charts.BarChart | None
    final_review_notes: str | None
