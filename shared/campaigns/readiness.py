"""What still stands between a draft and its submission for approval."""

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from itertools import combinations

from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns import plan
from shared.campaigns.models import BudgetCategory, Campaign, Level, RiskStatus, TargetKind

CONTINGENCY_MINIMUM = Decimal("0.10")  # the brief: reserve 10-15% of the budget


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    ref: str | None = None  # the item it is about, e.g. "goals/<id>"


@dataclass
class Readiness:
    blockers: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.blockers


async def assess(session: AsyncSession, campaign: Campaign) -> Readiness:
    result = Readiness()
    block, warn = result.blockers.append, result.warnings.append

    if campaign.owner_id is None:
        block(Finding("no_owner", "The campaign has no owner."))
    if campaign.start_date is None or campaign.end_date is None:
        block(Finding("no_dates", "The campaign needs a start and an end date."))
    elif campaign.end_date < campaign.start_date:
        block(Finding("end_before_start", "The campaign ends before it starts."))

    goals = await plan.all_items(session, plan.GOALS, campaign=campaign)
    if not goals:
        block(Finding("no_goal", "The campaign has no goal."))
    for goal in goals:
        ref, name = f"goals/{goal.id}", f"Goal '{goal.metric_key}'"
        if goal.owner_id is None:
            block(Finding("goal_without_owner", f"{name} has no owner.", ref))
        if goal.target_value is None:
            block(Finding("goal_without_target", f"{name} has no target value.", ref))
        if goal.due_date is None:
            block(Finding("goal_without_due_date", f"{name} has no due date.", ref))
        if goal.target_kind == TargetKind.relative_lift and goal.baseline_value is None:
            block(Finding("goal_without_baseline", f"{name} is a lift but has no baseline.", ref))
        if goal.due_date and campaign.end_date and goal.due_date > campaign.end_date:
            warn(Finding("goal_due_after_end", f"{name} is due after the campaign ends.", ref))

    lines = await plan.all_items(session, plan.BUDGET_LINES, campaign=campaign)
    total = sum((line.planned_amount for line in lines), Decimal(0))
    contingency = sum(
        (line.planned_amount for line in lines if line.category == BudgetCategory.contingency),
        Decimal(0),
    )
    if not lines or total == 0:
        block(Finding("no_budget", "The campaign has no budget."))
    elif contingency == 0:
        block(Finding("no_contingency", "The budget has no contingency reserve."))
    elif contingency / total < CONTINGENCY_MINIMUM:
        # Rounded down: a share under 10% must not read "10.00%".
        share = (contingency / total * 100).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        warn(
            Finding(
                "contingency_below_10_percent",
                f"The contingency reserve is {share}% of the budget; the norm is 10-15%.",
            )
        )

    phases = sorted(
        await plan.all_items(session, plan.PHASES, campaign=campaign), key=lambda p: p.start_date
    )
    if not phases:
        warn(Finding("no_phases", "The campaign has no phases."))
    for phase in phases:
        outside = (campaign.start_date and phase.start_date < campaign.start_date) or (
            campaign.end_date and phase.end_date > campaign.end_date
        )
        if outside:
            block(
                Finding(
                    "phase_outside_campaign",
                    f"Phase '{phase.name}' lies outside the campaign dates.",
                    f"phases/{phase.id}",
                )
            )
    for first, second in combinations(phases, 2):
        if first.end_date >= second.start_date and second.end_date >= first.start_date:
            warn(
                Finding(
                    "phases_overlap",
                    f"Phases '{first.name}' and '{second.name}' overlap.",
                    f"phases/{second.id}",
                )
            )

    for risk in await plan.all_items(session, plan.RISKS, campaign=campaign):
        severe = risk.probability == Level.high and risk.impact == Level.high
        if severe and risk.status == RiskStatus.open and not risk.mitigation:
            block(
                Finding(
                    "risk_without_mitigation",
                    "A high-probability, high-impact risk has no mitigation: "
                    f"{risk.description[:80]}",
                    f"risks/{risk.id}",
                )
            )
    return result
