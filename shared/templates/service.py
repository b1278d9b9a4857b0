"""Templates (save, list, read, rename, delete) and new campaigns started from a template
or directly from a finished campaign: the preview, and the creation that makes it."""

import uuid
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.actor import Actor
from shared.campaigns.models import BudgetCategory, Campaign, CampaignKind, CampaignStatus
from shared.errors import Conflict
from shared.escalations.models import EscalationPolicy
from shared.figures.models import Channel
from shared.metrics import service as metrics
from shared.pagination import PageRequest, Results, paginate
from shared.templates import apply, blueprint, capture, shares
from shared.templates.document import TemplateDocument
from shared.templates.models import CampaignOrigin, CampaignTemplate
from shared.templates.preview_schemas import (
    NewCampaignIn,
    NewCampaignPreviewOut,
    NewCampaignSourceOut,
)
from shared.tenancy import get_in_workspace, in_workspace
from shared.versioning import apply_changes, check_version
from shared.workspaces.service import member_names

# A campaign is copied directly once it has run its course; any campaign may be saved as
# a template (its plan, whatever became of it).
COPYABLE = (CampaignStatus.completed, CampaignStatus.archived)


# --- templates ------------------------------------------------------------------------------


async def _name_taken(
    session: AsyncSession, workspace_id: uuid.UUID, name: str, template_id: uuid.UUID | None
) -> Conflict | None:
    with session.no_autoflush:  # the template being named is not flushed yet
        taken = await session.scalar(
            select(CampaignTemplate.id).where(
                CampaignTemplate.workspace_id == workspace_id, CampaignTemplate.name == name
            )
        )
    if taken is None or taken == template_id:
        return None
    return Conflict(
        f"A template named '{name}' exists in the workspace.",
        code="template_name_taken",
        field="name",
        template_id=str(taken),
    )


async def _flush_named(session: AsyncSession, template: CampaignTemplate) -> None:
    """Flush the template under its name; 409 when the name is taken, also by a concurrent
    request (the unique constraint decides)."""
    taken = await _name_taken(session, template.workspace_id, template.name, template.id)
    if taken is not None:
        raise taken
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        taken = await _name_taken(session, template.workspace_id, template.name, template.id)
        if taken is None:
            raise
        raise taken from None


async def save_template(
    session: AsyncSession,
    *,
    actor: Actor,
    campaign: Campaign,
    name: str,
    description: str | None,
) -> CampaignTemplate:
    """The campaign's plan structure, frozen under a name."""
    document = await capture.capture(session, campaign)
    template = CampaignTemplate(
        workspace_id=actor.workspace_id,
        name=name,
        description=description,
        kind=campaign.kind,
        source_campaign_id=campaign.id,
        source_campaign_name=campaign.name,
        document=document.model_dump(mode="json"),
        created_by_member_id=actor.member_id,
        created_by_api_key_id=actor.api_key_id,
    )
    session.add(template)
    await _flush_named(session, template)
    return template


async def get_template(
    session: AsyncSession, *, workspace_id: uuid.UUID, template_id: uuid.UUID
) -> CampaignTemplate:
    return await get_in_workspace(
        session,
        CampaignTemplate,
        workspace_id=workspace_id,
        entity_id=template_id,
        label="Template",
    )


async def list_templates(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    page: PageRequest,
    kind: CampaignKind | None = None,
) -> Results[CampaignTemplate]:
    query = in_workspace(CampaignTemplate, workspace_id)
    if kind is not None:
        query = query.where(CampaignTemplate.kind == kind)
    return await paginate(session, query, CampaignTemplate, page)


async def update_template(
    session: AsyncSession,
    *,
    template: CampaignTemplate,
    changes: dict[str, Any],
    expected_versions: Collection[int] | None,
) -> CampaignTemplate:
    check_version(template, expected_versions)
    if apply_changes(template, changes, None):
        await _flush_named(session, template)
    return template


async def delete_template(
    session: AsyncSession, *, template: CampaignTemplate, expected_versions: Collection[int] | None
) -> None:
    """Campaigns started from it keep their origin (by name)."""
    check_version(template, expected_versions)
    await session.delete(template)
    await session.flush()


def document_of(template: CampaignTemplate) -> TemplateDocument:
    return TemplateDocument.model_validate(template.document)


def present(template: CampaignTemplate) -> dict[str, Any]:
    """The template as the API shows it: with its counts and budget shares."""
    document = document_of(template)
    categories: dict[BudgetCategory, Decimal] = {}
    for line in document.budget_lines:
        categories[line.category] = (
            categories.get(line.category, Decimal(0)) + line.reference_amount
        )
    reference = sum(categories.values(), Decimal(0))
    return {
        "id": template.id,
        "name": template.name,
        "description": template.description,
        "kind": template.kind,
        "source_campaign_id": template.source_campaign_id,
        "source_campaign_name": template.source_campaign_name,
        "duration_days": document.campaign.duration_days,
        "counts": document.counts(),
        "budget": {
            "reference_total": reference,
            "contingency_share_percent": shares.percent(
                categories.get(BudgetCategory.contingency, Decimal(0)), reference
            ),
            "categories": [
                {
                    "category": category,
                    "reference_amount": amount,
                    "share_percent": shares.percent(amount, reference),
                }
                for category, amount in categories.items()
            ],
        },
        "created_by_member_id": template.created_by_member_id,
        "created_at": template.created_at,
        "updated_at": template.updated_at,
        "version": template.version,
        "plan": document,
    }


# --- a new campaign ---------------------------------------------------------------------------


def ensure_copyable(campaign: Campaign) -> None:
    if campaign.status not in COPYABLE:
        raise Conflict(
            f"A campaign is started directly from a completed or archived one; this one is "
            f"{campaign.status.value}. Save it as a template to reuse its plan now.",
            code="campaign_not_finished",
            campaign_status=campaign.status.value,
        )


async def _workspace(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    document: TemplateDocument,
    request: NewCampaignIn,
) -> blueprint.Workspace:
    """What the workspace has now of what the plan and the request name."""
    refs = [
        document.campaign.owner,
        *(g.owner for g in document.goals),
        *(p.executor for p in document.phases),
        *(r.owner for r in document.risks),
        *(m for t in document.tasks for m in (t.owner, t.approver)),
    ]
    asked = {ref.id for ref in refs if ref is not None}
    asked |= {swap.to_member_id for swap in request.reassign}
    if request.owner_id is not None:
        asked.add(request.owner_id)
    members = await member_names(session, workspace_id=workspace_id, member_ids=asked)
    dictionary = await metrics.dictionary(session, workspace_id=workspace_id)
    channels = set(
        await session.scalars(select(Channel.key).where(Channel.workspace_id == workspace_id))
    )
    policy_ids = {r.escalation_policy.id for r in document.rules if r.escalation_policy}
    policies = (
        dict(
            (
                await session.execute(
                    select(EscalationPolicy.id, EscalationPolicy.name).where(
                        EscalationPolicy.workspace_id == workspace_id,
                        EscalationPolicy.id.in_(policy_ids),
                    )
                )
            ).all()
        )
        if policy_ids
        else {}
    )
    return blueprint.Workspace(
        members=members,
        metrics={key: metric.derived for key, metric in dictionary.items()},
        channels=channels,
        policies=policies,
    )


async def _preview(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    document: TemplateDocument,
    request: NewCampaignIn,
    source: NewCampaignSourceOut,
) -> NewCampaignPreviewOut:
    workspace = await _workspace(session, workspace_id, document, request)
    return blueprint.build(document, request, workspace, source)


def _template_source(template: CampaignTemplate) -> NewCampaignSourceOut:
    return NewCampaignSourceOut(
        type="template",
        template_id=template.id,
        template_name=template.name,
        campaign_id=template.source_campaign_id,
        campaign_name=template.source_campaign_name,
    )


def _campaign_source(campaign: Campaign) -> NewCampaignSourceOut:
    return NewCampaignSourceOut(
        type="campaign",
        template_id=None,
        template_name=None,
        campaign_id=campaign.id,
        campaign_name=campaign.name,
    )


async def preview_from_template(
    session: AsyncSession, *, template: CampaignTemplate, request: NewCampaignIn
) -> NewCampaignPreviewOut:
    """What `create_from_template` would make; nothing is written."""
    return await _preview(
        session, template.workspace_id, document_of(template), request, _template_source(template)
    )


async def preview_copy(
    session: AsyncSession, *, campaign: Campaign, request: NewCampaignIn
) -> NewCampaignPreviewOut:
    """What `create_copy` would make; nothing is written."""
    ensure_copyable(campaign)
    document = await capture.capture(session, campaign)
    return await _preview(
        session, campaign.workspace_id, document, request, _campaign_source(campaign)
    )


async def create_from_template(
    session: AsyncSession, *, actor: Actor, template: CampaignTemplate, request: NewCampaignIn
) -> tuple[Campaign, CampaignOrigin]:
    preview = await preview_from_template(session, template=template, request=request)
    return await apply.make(session, actor=actor, preview=preview, template_id=template.id)


async def create_copy(
    session: AsyncSession, *, actor: Actor, campaign: Campaign, request: NewCampaignIn
) -> tuple[Campaign, CampaignOrigin]:
    preview = await preview_copy(session, campaign=campaign, request=request)
    return await apply.make(session, actor=actor, preview=preview, template_id=None)
