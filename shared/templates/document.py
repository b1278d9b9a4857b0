"""The frozen plan document a template stores (`campaign_templates.document`), and that a
direct copy reads from its source campaign on the fly.

Only structure: dates are offsets in days from the campaign's start, targets and
baselines are kept as references (the new campaign's are to confirm), members are kept
with the name they had (they may leave the workspace), budget lines with their amounts so
that their shares of the total are exact. Nothing of what happened (figures, expenses,
approvals, statuses, actual dates, alerts, issues, the log) is read.
"""

import uuid
from decimal import Decimal
from typing import Literal

from pydantic import Field

from shared.campaigns.models import (
    BudgetCategory,
    CampaignKind,
    Direction,
    GoalType,
    Level,
    TargetKind,
)
from shared.retrospectives.models import RootCause
from shared.rules.schemas import PARAMS_OUT, RuleSettingsOut, by_condition
from shared.schemas import ResponseModel, Variants
from shared.tasks.models import TaskLevel


class TemplateMemberRef(ResponseModel):
    id: uuid.UUID
    name: str = Field(description="The member's name when the template was saved")


class TemplateCampaignPart(ResponseModel):
    kind: CampaignKind
    background: str | None
    objective_summary: str | None
    target_audience: str | None
    core_message: str | None
    channels: list[str] = Field(description="The campaign's channels as described (free text)")
    channel_keys: list[str] = Field(description="The workspace channels it ran on, by key")
    tags: list[str]
    timezone: str
    currency: str
    owner: TemplateMemberRef | None
    duration_days: int = Field(description="end - start, in days (0: a one-day campaign)")


class TemplateGoalPart(ResponseModel):
    goal_type: GoalType
    strategy: str | None
    metric_key: str
    target_kind: TargetKind
    direction: Direction
    reference_target: Decimal | None = Field(
        description="The source's target: for information, the new goal's is to confirm"
    )
    reference_baseline: Decimal | None = Field(
        description="The source's baseline (lift goals): to measure again"
    )
    owner: TemplateMemberRef | None
    due_offset_days: int | None = Field(description="Due date - campaign start, in days")
    notes: str | None


class TemplateBudgetLinePart(ResponseModel):
    category: BudgetCategory
    reference_amount: Decimal = Field(
        description="Planned in the source; its share of the total is what carries over"
    )
    note: str | None
    channel_key: str | None
    task_code: str | None = Field(description="The work it was for, by task code")


class TemplatePhasePart(ResponseModel):
    name: str
    start_offset_days: int = Field(description="Phase start - campaign start, in days")
    duration_days: int = Field(description="Phase end - phase start, in days")
    core_actions: str | None
    executor: TemplateMemberRef | None
    resources: str | None


class TemplateRiskPart(ResponseModel):
    description: str
    phase_index: int | None = Field(description="Its phase: an index into `phases`")
    probability: Level
    impact: Level
    mitigation: str | None
    owner: TemplateMemberRef | None


class TemplateLinkPart(ResponseModel):
    code: str
    lag_days: int


class TemplateTaskPart(ResponseModel):
    code: str
    parent_code: str | None
    level: TaskLevel
    name: str
    description: str | None
    goal_index: int | None = Field(description="Its goal: an index into `goals`")
    phase_index: int | None = Field(description="Its phase: an index into `phases`")
    owner: TemplateMemberRef | None = Field(description="R1")
    approver: TemplateMemberRef | None = Field(description="R2")
    supporting_departments: list[str]
    start_offset_days: int | None = Field(description="Planned start - campaign start")
    end_offset_days: int | None = Field(description="Planned end - campaign start")
    deliverable: str | None
    priority: Level
    predecessors: list[TemplateLinkPart]


class TemplatePolicyRef(ResponseModel):
    id: uuid.UUID
    name: str


class TemplateRulePart(Variants, RuleSettingsOut):
    """One of the source campaign's warning rules, as the template keeps it."""

    escalation_policy: TemplatePolicyRef | None = Field(
        description="Policies are the workspace's: the new rule names the same one"
    )


TemplateRulePart.__variants__ = by_condition(TemplateRulePart, "TemplateRulePart", PARAMS_OUT)


class TemplateLessonPart(ResponseModel):
    source_item_id: uuid.UUID
    stage: str
    shortfall: str | None
    root_cause: RootCause | None
    improvement_action: str


class TemplateDocument(ResponseModel):
    """A campaign's plan structure, frozen."""

    format: Literal[1] = 1
    source_campaign_id: uuid.UUID
    source_campaign_name: str
    campaign: TemplateCampaignPart
    goals: list[TemplateGoalPart]
    budget_lines: list[TemplateBudgetLinePart]
    phases: list[TemplatePhasePart]
    risks: list[TemplateRiskPart]
    tasks: list[TemplateTaskPart] = Field(description="Parents before their children")
    rules: list[TemplateRulePart] = Field(description="The campaign's own warning rules")
    lessons: list[TemplateLessonPart] = Field(
        description="The retrospective's items with an improvement action"
    )

    def counts(self) -> dict[str, int]:
        return {
            "goals": len(self.goals),
            "budget_lines": len(self.budget_lines),
            "phases": len(self.phases),
            "risks": len(self.risks),
            "tasks": len(self.tasks),
            "dependencies": sum(len(t.predecessors) for t in self.tasks),
            "rules": len(self.rules),
            "lessons": len(self.lessons),
        }
