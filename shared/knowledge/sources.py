"""What a campaign holds, read as knowledge base entries: one per thing worth finding,
with its title, its text and the API path it lives at; and the campaign's facets."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.activity.models import ActivityEntry, EntryAction
from shared.campaigns.models import Campaign, CampaignKind, CampaignStatus, Expense, Goal
from shared.change_requests.models import ChangeRequest
from shared.evaluations.models import EvaluationGoalAnalysis, EvaluationVersion
from shared.figures.models import CampaignChannel, Channel
from shared.issues.models import Issue
from shared.knowledge.models import EntryKind, GoalOutcome
from shared.knowledge.tokens import MAX_BODY_CHARS, MAX_TITLE_CHARS, clip
from shared.metrics.models import Metric
from shared.retrospectives.models import RetrospectiveItem
from shared.reviews.models import CampaignReview
from shared.reviews.service import KIND_NAMES
from shared.settlements.models import ExpenseAttachment


@dataclass(frozen=True)
class Draft:
    """An entry before it is indexed."""

    kind: EntryKind
    source_id: uuid.UUID
    href: str
    title: str
    body: str


@dataclass(frozen=True)
class Facets:
    """The campaign as every one of its entries carries it, for filters and for hits."""

    name: str
    kind: CampaignKind
    status: CampaignStatus
    year: int | None
    day: date
    tags: list[str]
    channels: list[str]
    goal_outcome: GoalOutcome | None


def _text(*parts: str | None) -> str:
    return "\n".join(part.strip() for part in parts if part and part.strip())


def draft(kind: EntryKind, source_id: uuid.UUID, href: str, title: str, body: str) -> Draft:
    return Draft(kind, source_id, href, clip(title, MAX_TITLE_CHARS), clip(body, MAX_BODY_CHARS))


def outcome_of(document: dict[str, Any] | None) -> GoalOutcome | None:
    """`missed` when a goal was missed, `met` when every measured goal was met (one at
    least); None without a finalised evaluation or with no goal measured."""
    if not document:
        return None
    outcomes = [goal.get("outcome") for goal in document.get("goals", [])]
    if "missed" in outcomes:
        return GoalOutcome.missed
    if "met" in outcomes:
        return GoalOutcome.met
    return None


async def facets(session: AsyncSession, campaign: Campaign) -> Facets:
    document = await session.scalar(
        select(EvaluationVersion.document)
        .where(
            EvaluationVersion.workspace_id == campaign.workspace_id,
            EvaluationVersion.campaign_id == campaign.id,
        )
        .order_by(EvaluationVersion.number.desc())
        .limit(1)
    )
    keys = (
        await session.scalars(
            select(Channel.key)
            .join(CampaignChannel, CampaignChannel.channel_id == Channel.id)
            .where(
                CampaignChannel.workspace_id == campaign.workspace_id,
                CampaignChannel.campaign_id == campaign.id,
            )
        )
    ).all()
    created = campaign.local_date(campaign.created_at)
    first = campaign.start_date or campaign.end_date or created
    return Facets(
        name=campaign.name,
        kind=campaign.kind,
        status=campaign.status,
        year=first.year,
        day=campaign.end_date or campaign.start_date or created,
        tags=list(campaign.tags or []),
        channels=sorted({*keys, *(campaign.channels or [])}),
        goal_outcome=outcome_of(document),
    )


def _campaign(campaign: Campaign) -> Draft:
    return draft(
        EntryKind.campaign,
        campaign.id,
        f"/v1/campaigns/{campaign.id}",
        campaign.name,
        _text(
            campaign.background,
            campaign.objective_summary,
            campaign.target_audience,
            campaign.core_message,
        ),
    )


async def _metric_names(
    session: AsyncSession, workspace_id: uuid.UUID, keys: Sequence[str]
) -> dict[str, str]:
    if not keys:
        return {}
    rows = await session.execute(
        select(Metric.key, Metric.name).where(
            Metric.workspace_id == workspace_id, Metric.key.in_(set(keys))
        )
    )
    return {key: name for key, name in rows.all()}  # noqa: C416 - rows, not pairs


async def _goals(session: AsyncSession, campaign: Campaign, base: str) -> list[Draft]:
    goals = (
        await session.scalars(
            select(Goal)
            .where(Goal.workspace_id == campaign.workspace_id, Goal.campaign_id == campaign.id)
            .order_by(Goal.created_at, Goal.id)
        )
    ).all()
    names = await _metric_names(session, campaign.workspace_id, [g.metric_key for g in goals])
    drafts = [
        draft(
            EntryKind.goal,
            goal.id,
            f"{base}/goals/{goal.id}",
            f"{names.get(goal.metric_key, goal.metric_key)} ({goal.metric_key})",
            _text(goal.strategy, goal.notes),
        )
        for goal in goals
    ]
    analyses = (
        await session.scalars(
            select(EvaluationGoalAnalysis)
            .where(
                EvaluationGoalAnalysis.workspace_id == campaign.workspace_id,
                EvaluationGoalAnalysis.campaign_id == campaign.id,
            )
            .order_by(EvaluationGoalAnalysis.created_at, EvaluationGoalAnalysis.id)
        )
    ).all()
    metric_of = {goal.id: goal.metric_key for goal in goals}
    for analysis in analyses:
        key = metric_of.get(analysis.goal_id, "")
        cause = f" · {analysis.cause_category.value}" if analysis.cause_category else ""
        drafts.append(
            draft(
                EntryKind.evaluation,
                analysis.id,
                f"{base}/evaluation/goals/{analysis.goal_id}",
                f"{names.get(key, key)}{cause}",
                _text(analysis.analysis, analysis.improvement_proposal),
            )
        )
    return drafts


async def _retrospective(session: AsyncSession, campaign: Campaign, base: str) -> list[Draft]:
    items = (
        await session.scalars(
            select(RetrospectiveItem)
            .where(
                RetrospectiveItem.workspace_id == campaign.workspace_id,
                RetrospectiveItem.campaign_id == campaign.id,
            )
            .order_by(RetrospectiveItem.created_at, RetrospectiveItem.id)
        )
    ).all()
    return [
        draft(
            EntryKind.retrospective_item,
            item.id,
            f"{base}/retrospective/items/{item.id}",
            item.stage,
            _text(item.what_worked, item.shortfall, item.improvement_action),
        )
        for item in items
    ]


async def _issues(session: AsyncSession, campaign: Campaign) -> list[Draft]:
    issues = (
        await session.scalars(
            select(Issue)
            .where(Issue.workspace_id == campaign.workspace_id, Issue.campaign_id == campaign.id)
            .order_by(Issue.created_at, Issue.id)
        )
    ).all()
    return [
        draft(
            EntryKind.issue,
            issue.id,
            f"/v1/issues/{issue.id}",
            issue.title,
            _text(issue.description, issue.impact, issue.action_plan),
        )
        for issue in issues
    ]


async def _log_notes(session: AsyncSession, campaign: Campaign, base: str) -> list[Draft]:
    rows = await session.execute(
        select(ActivityEntry.id, ActivityEntry.kind, ActivityEntry.note)
        .where(
            ActivityEntry.workspace_id == campaign.workspace_id,
            ActivityEntry.campaign_id == campaign.id,
            ActivityEntry.action == EntryAction.note.value,
            ActivityEntry.note.is_not(None),
        )
        .order_by(ActivityEntry.created_at, ActivityEntry.id)
    )
    return [
        draft(EntryKind.log_note, entry_id, f"{base}/log", kind or "note", note or "")
        for entry_id, kind, note in rows.all()
    ]


async def _change_requests(session: AsyncSession, campaign: Campaign, base: str) -> list[Draft]:
    requests = (
        await session.scalars(
            select(ChangeRequest)
            .where(
                ChangeRequest.workspace_id == campaign.workspace_id,
                ChangeRequest.campaign_id == campaign.id,
            )
            .order_by(ChangeRequest.number)
        )
    ).all()
    return [
        draft(
            EntryKind.change_request,
            request.id,
            f"{base}/change-requests/{request.id}",
            request.title,
            _text(
                *(
                    _text(change.get("reason"), change.get("expected_effect"))
                    for change in request.changes
                )
            ),
        )
        for request in requests
    ]


async def _attachments(session: AsyncSession, campaign: Campaign, base: str) -> list[Draft]:
    rows = await session.execute(
        select(ExpenseAttachment.id, ExpenseAttachment.expense_id, ExpenseAttachment.filename)
        .join(Expense, Expense.id == ExpenseAttachment.expense_id)
        .where(Expense.workspace_id == campaign.workspace_id, Expense.campaign_id == campaign.id)
        .order_by(ExpenseAttachment.created_at, ExpenseAttachment.id)
    )
    return [
        draft(
            EntryKind.attachment,
            attachment_id,
            f"{base}/expenses/{expense_id}/attachments/{attachment_id}",
            filename,
            "",
        )
        for attachment_id, expense_id, filename in rows.all()
    ]


async def _reviews(session: AsyncSession, campaign: Campaign, base: str) -> list[Draft]:
    rows = await session.execute(
        select(CampaignReview.id, CampaignReview.kind, CampaignReview.number, CampaignReview.notes)
        .where(
            CampaignReview.workspace_id == campaign.workspace_id,
            CampaignReview.campaign_id == campaign.id,
            CampaignReview.notes.is_not(None),
        )
        .order_by(CampaignReview.number)
    )
    return [
        draft(
            EntryKind.review,
            review_id,
            f"{base}/reviews/{review_id}",
            f"{KIND_NAMES[kind]} #{number}",
            notes or "",
        )
        for review_id, kind, number, notes in rows.all()
    ]


async def drafts(session: AsyncSession, campaign: Campaign) -> list[Draft]:
    """Every entry of the campaign, the campaign itself first; empty texts are left out."""
    base = f"/v1/campaigns/{campaign.id}"
    found = [
        _campaign(campaign),
        *await _goals(session, campaign, base),
        *await _retrospective(session, campaign, base),
        *await _issues(session, campaign),
        *await _log_notes(session, campaign, base),
        *await _change_requests(session, campaign, base),
        *await _attachments(session, campaign, base),
        *await _reviews(session, campaign, base),
    ]
    return [d for d in found if d.kind == EntryKind.campaign or d.title.strip() or d.body]
