"""The close-out documents as pages: the proposal form with its approval rounds and
signatures, the evaluation report, the settlement and the retrospective."""

import uuid
from collections.abc import Collection
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from shared.approvals import rounds as approval_rounds
from shared.approvals.models import Decision as Decided
from shared.campaigns import budget as budgets
from shared.campaigns import plan
from shared.campaigns.models import BudgetCategory, Campaign
from shared.change_requests import plan_versions
from shared.evaluations import service as evaluations
from shared.figures.channels import campaign_channels
from shared.metrics import service as metrics
from shared.pagination import PageRequest
from shared.report_pages import charts
from shared.report_pages.common import header
from shared.report_pages.report import money_chart
from shared.report_pages.views import (
    Decision,
    EvaluationPage,
    MoneyRow,
    PlanGoal,
    PlanLine,
    PlanPhase,
    PlanRisk,
    ProposalPage,
    RetrospectiveItemRow,
    RetrospectivePage,
    Round,
    SettlementPage,
    Signature,
    Signed,
)
from shared.retrospectives import service as retrospectives
from shared.reviews.models import CampaignReview, ReviewKind
from shared.settlements import service as settlements
from shared.tenancy import in_workspace
from shared.workspaces.models import Member

ZERO = Decimal("0.00")
MAX_ITEMS = 200  # retrospective items on one page (the API pages through all)
RATE, ROI = "#0072b2", "#009e73"


async def _members(
    session: AsyncSession, campaign: Campaign, ids: Collection[uuid.UUID | None]
) -> dict[uuid.UUID, Member]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.scalars(
        in_workspace(Member, campaign.workspace_id).where(Member.id.in_(wanted))
    )
    return {m.id: m for m in rows}


def _name(members: dict[uuid.UUID, Member], member_id: uuid.UUID | None) -> str | None:
    member = members.get(member_id) if member_id else None
    return member.name if member else None


# --- the proposal ------------------------------------------------------------------------------


async def _rounds(session: AsyncSession, campaign: Campaign) -> tuple[list[Round], list[Signature]]:
    history = await approval_rounds.history(session, campaign)
    members = await _members(
        session,
        campaign,
        [r.submitted_by_member_id for r, _ in history]
        + [d.member_id for _, decisions in history for d in decisions],
    )
    shown = [
        Round(
            number=r.number,
            status=r.status.value,
            submitted_by=_name(members, r.submitted_by_member_id),
            opened_at=r.created_at,
            closed_at=r.closed_at,
            decisions=[
                Decision(
                    step_name=d.step_name,
                    decision=d.decision.value,
                    member_name=_name(members, d.member_id) or "-",
                    member_title=members[d.member_id].title if d.member_id in members else None,
                    decided_at=d.created_at,
                    comment=d.comment,
                )
                for d in decisions
            ],
        )
        for r, decisions in history
    ]
    signatures: list[Signature] = []
    if history:  # the latest round's steps, each signed by whoever approved it
        last, decisions = history[-1]
        approved = {d.step_index: d for d in decisions if d.decision == Decided.approve}
        for index, step in enumerate(last.steps):
            decision = approved.get(index)
            member = members.get(decision.member_id) if decision else None
            signatures.append(
                Signature(
                    step_name=str(step.get("name", "")),
                    member_name=member.name if member else None,
                    member_title=member.title if member else None,
                    decided_at=decision.created_at if decision else None,
                )
            )
    return shown, signatures


async def proposal_page(
    session: AsyncSession, *, campaign: Campaign, now: datetime
) -> ProposalPage:
    top = await header(session, campaign=campaign, now=now)
    dictionary = await metrics.dictionary(session, workspace_id=campaign.workspace_id)
    goals = await plan.all_items(session, plan.GOALS, campaign=campaign)
    lines = await plan.all_items(session, plan.BUDGET_LINES, campaign=campaign)
    phases = await plan.all_items(session, plan.PHASES, campaign=campaign)
    risks = await plan.all_items(session, plan.RISKS, campaign=campaign)
    members = await _members(
        session,
        campaign,
        [g.owner_id for g in goals] + [p.executor_id for p in phases] + [r.owner_id for r in risks],
    )
    summary = await budgets.summarize(session, campaign)
    baseline = await plan_versions.baseline(session, campaign)
    notes: dict[BudgetCategory, list[str]] = {}
    for line in lines:
        if line.note:
            notes.setdefault(line.category, []).append(line.note)
    phase_names = {p.id: p.name for p in phases}
    rounds, signatures = await _rounds(session, campaign)
    return ProposalPage(
        header=top,
        texts=[
            ("background", campaign.background),
            ("objective_summary", campaign.objective_summary),
            ("target_audience", campaign.target_audience),
            ("core_message", campaign.core_message),
        ],
        channel_names=[c.name for c in await campaign_channels(session, campaign)],
        tags=list(campaign.tags or []),
        goals=[
            PlanGoal(
                goal_type=g.goal_type.value,
                strategy=g.strategy,
                metric_key=g.metric_key,
                metric_name=dictionary[g.metric_key].name
                if g.metric_key in dictionary
                else g.metric_key,
                unit=dictionary[g.metric_key].unit.value if g.metric_key in dictionary else "count",
                target_kind=g.target_kind.value,
                target_value=g.target_value,
                baseline_value=g.baseline_value,
                owner_name=_name(members, g.owner_id),
                due_date=g.due_date,
                notes=g.notes,
            )
            for g in goals
        ],
        budget_total=summary.total.planned,
        budget_lines=[
            PlanLine(
                category=category.value,
                planned=figures.planned,
                baseline=baseline.planned(category) if baseline else None,
                share_percent=budgets.percent(figures.planned, summary.total.planned),
                notes=notes.get(category, []),
            )
            for category, figures in summary.categories.items()
            if figures.planned or (baseline and baseline.planned(category))
        ],
        contingency_share_percent=summary.contingency_share_percent,
        phases=[
            PlanPhase(
                name=p.name,
                start_date=p.start_date,
                end_date=p.end_date,
                core_actions=p.core_actions,
                executor_name=_name(members, p.executor_id),
                resources=p.resources,
            )
            for p in sorted(phases, key=lambda p: (p.start_date, p.name))
        ],
        risks=[
            PlanRisk(
                description=r.description,
                phase_name=phase_names.get(r.phase_id) if r.phase_id else None,
                probability=r.probability.value,
                impact=r.impact.value,
                mitigation=r.mitigation,
                owner_name=_name(members, r.owner_id),
                status=r.status.value,
            )
            for r in risks
        ],
        rounds=rounds,
        signatures=signatures,
    )


# --- the evaluation ----------------------------------------------------------------------------


async def evaluation_page(
    session: AsyncSession, *, campaign: Campaign, now: datetime
) -> EvaluationPage:
    top = await header(session, campaign=campaign, now=now)
    if not evaluations.ran(campaign):
        return EvaluationPage(top, None, None, None)
    dictionary = await metrics.dictionary(session, workspace_id=campaign.workspace_id)
    found = await evaluations.get_evaluation(session, campaign=campaign, draft=False, now=now)
    goal_chart = charts.bar_chart(
        [(g.metric_key, g.metric_name, (g.achievement_rate,)) for g in found.goals],
        series=(("achievement", RATE),),
    )
    ranked = [c for c in found.channels.items if c.roi is not None]
    channel_chart = (
        charts.bar_chart([(c.channel, c.name, (c.roi,)) for c in ranked], series=(("roi", ROI),))
        if ranked
        else None
    )
    return EvaluationPage(
        top,
        found,
        goal_chart if found.goals else None,
        channel_chart,
        {key: metric.unit.value for key, metric in dictionary.items()},
    )


# --- the settlement ----------------------------------------------------------------------------


async def settlement_page(
    session: AsyncSession, *, campaign: Campaign, now: datetime
) -> SettlementPage:
    top = await header(session, campaign=campaign, now=now)
    found = await settlements.view(session, campaign=campaign)
    settlement, current = found.settlement, found.current
    members = await _members(
        session,
        campaign,
        [
            settlement.verified_by_member_id if settlement else None,
            current.settled_by_member_id if current else None,
            current.signed_off_by_member_id if current else None,
        ],
    )
    workflow = [
        Signed(
            "verified",
            _name(members, settlement.verified_by_member_id) if settlement else None,
            settlement.verified_at if settlement else None,
        ),
        Signed(
            "settled",
            _name(members, current.settled_by_member_id) if current else None,
            current.settled_at if current else None,
        ),
        Signed(
            "signed_off",
            _name(members, current.signed_off_by_member_id) if current else None,
            current.signed_off_at if current else None,
            current.sign_off_comment if current else None,
        ),
    ]
    statement = found.lines
    channels = {c.key: c.name for c in await campaign_channels(session, campaign)}
    rows = [
        MoneyRow(
            line.key,
            line.key,
            line.baseline_planned,
            line.planned,
            line.actual,
            budgets.percent(line.actual, line.planned),
        )
        for line in statement.categories
    ]
    return SettlementPage(
        header=top,
        status=found.status.value,
        threshold_percent=statement.threshold_percent,
        statement=statement,
        channel_names=channels,
        missing_explanations=found.missing_explanations,
        workflow=workflow,
        record_number=current.number if current else None,
        chart=money_chart(rows) if rows else None,
    )


# --- the retrospective -------------------------------------------------------------------------


async def retrospective_page(
    session: AsyncSession, *, campaign: Campaign, now: datetime
) -> RetrospectivePage:
    top = await header(session, campaign=campaign, now=now)
    overview = await retrospectives.overview(session, campaign=campaign)
    listed = await retrospectives.list_items(
        session, campaign=campaign, page=PageRequest(limit=MAX_ITEMS)
    )
    items = await retrospectives.present(session, campaign=campaign, items=listed.items)
    causes: dict[str, int] = overview["by_root_cause"]
    final = await session.scalar(
        in_workspace(CampaignReview, campaign.workspace_id).where(
            CampaignReview.campaign_id == campaign.id, CampaignReview.kind == ReviewKind.final
        )
    )
    return RetrospectivePage(
        header=top,
        items=[
            RetrospectiveItemRow(
                stage=i["stage"],
                what_worked=i["what_worked"],
                shortfall=i["shortfall"],
                root_cause=i["root_cause"].value if i["root_cause"] else None,
                improvement_action=i["improvement_action"],
                owner_name=i["owner_name"],
                due_date=i["due_date"],
                has_issue=i["issue_id"] is not None,
            )
            for i in items
        ],
        more=max(int(overview["item_count"]) - len(items), 0),
        by_root_cause=causes,
        chart=charts.bar_chart(
            [(cause, cause, (Decimal(count),)) for cause, count in causes.items()],
            series=(("count", RATE),),
            whole=True,
        )
        if causes
        else None,
        final_review_notes=final.notes if final is not None else None,
    )
