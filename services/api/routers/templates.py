"""Campaign templates, and new campaigns started from a template or directly from a
finished campaign (a preview first, if wished)."""

import uuid

from fastapi import APIRouter, Response, status

from services.api.deps import (
    DbSession,
    Editor,
    Idempotent,
    IfMatch,
    Pagination,
    ReadableCampaign,
    Viewer,
    set_etag,
)
from services.api.problems import problem_responses
from shared.campaigns import service as campaigns
from shared.campaigns.models import Campaign, CampaignKind
from shared.campaigns.schemas import CampaignOut
from shared.pagination import Page
from shared.templates import lessons, service
from shared.templates.models import CampaignOrigin, CampaignTemplate
from shared.templates.preview_schemas import NewCampaignIn, NewCampaignPreviewOut
from shared.templates.schemas import (
    CampaignOriginOut,
    CampaignTemplateCreate,
    CampaignTemplateOut,
    CampaignTemplateSummaryOut,
    CampaignTemplateUpdate,
    NewCampaignCreatedOut,
)

router = APIRouter(tags=["campaign templates"])

TEMPLATES = "/v1/campaign-templates"
TEMPLATE = TEMPLATES + "/{template_id}"
COPY = "/v1/campaigns/{campaign_id}/copy"
WHAT_CARRIES_OVER = (
    "The plan's structure moves to `start_date`: goals (metric, type, direction, target "
    "kind, strategy, owner) with their targets to confirm (null, the source's shown as "
    "`reference_target`: submitting is refused until each is set), budget lines at the "
    "source's shares (of `total_budget` if given, exactly, the rounding remainder to the "
    "largest category), phases, risks and the task breakdown (owners, approvers, "
    "dependencies) at their offsets from the start, the campaign's own warning rules with "
    "their escalation policy, and the source's retrospective improvement actions as a "
    "checklist (`/lessons`). Nothing of its figures, expenses, approvals, registration "
    "number, statuses or actual dates. Members, metrics, channels or policies the workspace "
    "no longer has are left out with a warning (`reassign` names who takes over)."
)


def _template_out(template: CampaignTemplate, response: Response) -> CampaignTemplateOut:
    set_etag(response, template.version)
    return CampaignTemplateOut.model_validate(service.present(template))


async def _template(
    session: DbSession, workspace_id: uuid.UUID, template_id: uuid.UUID
) -> CampaignTemplate:
    return await service.get_template(session, workspace_id=workspace_id, template_id=template_id)


async def _created(
    session: DbSession, campaign: Campaign, origin: CampaignOrigin, response: Response
) -> NewCampaignCreatedOut:
    response.headers["Location"] = f"/v1/campaigns/{campaign.id}"
    set_etag(response, campaign.version)
    shown = await lessons.present_origin(session, campaign=campaign, origin=origin)
    return NewCampaignCreatedOut(
        campaign=CampaignOut.model_validate(campaign),
        origin=CampaignOriginOut.model_validate(shown),
    )


# --- templates ------------------------------------------------------------------------------


@router.post(
    TEMPLATES,
    summary="Save a campaign's plan as a template",
    description="Any campaign of the workspace with a start and an end date (409 "
    "`campaign_without_dates` otherwise), typically an archived one. The plan's structure "
    "is frozen in the template: later edits of the campaign do not change it. 409 "
    "`template_name_taken` when the name is used; 404 for another workspace's campaign.",
    status_code=status.HTTP_201_CREATED,
    response_model=CampaignTemplateOut,
    name="create_campaign_template",
    dependencies=[Idempotent],
    responses=problem_responses(404, 409, 415, 422),
)
async def create_campaign_template(
    body: CampaignTemplateCreate, session: DbSession, caller: Editor, response: Response
) -> CampaignTemplateOut:
    campaign = await campaigns.get_campaign(
        session, workspace_id=caller.workspace_id, campaign_id=body.campaign_id
    )
    template = await service.save_template(
        session, actor=caller, campaign=campaign, name=body.name, description=body.description
    )
    response.headers["Location"] = f"{TEMPLATES}/{template.id}"
    return _template_out(template, response)


@router.get(
    TEMPLATES,
    summary="List the workspace's campaign templates",
    description="Oldest first; `kind` keeps one kind of campaign.",
    response_model=Page[CampaignTemplateSummaryOut],
    name="list_campaign_templates",
    responses=problem_responses(400, 422),
)
async def list_campaign_templates(
    session: DbSession, caller: Viewer, page: Pagination, kind: CampaignKind | None = None
) -> Page[CampaignTemplateSummaryOut]:
    results = await service.list_templates(
        session, workspace_id=caller.workspace_id, page=page, kind=kind
    )
    return Page[CampaignTemplateSummaryOut](
        items=[
            CampaignTemplateSummaryOut.model_validate(service.present(t)) for t in results.items
        ],
        next_cursor=results.next_cursor,
    )


@router.get(
    TEMPLATE,
    summary="A campaign template with its whole plan",
    response_model=CampaignTemplateOut,
    name="get_campaign_template",
    responses=problem_responses(404, 422),
)
async def get_campaign_template(
    template_id: uuid.UUID, session: DbSession, caller: Viewer, response: Response
) -> CampaignTemplateOut:
    return _template_out(await _template(session, caller.workspace_id, template_id), response)


@router.patch(
    TEMPLATE,
    summary="Rename or describe a campaign template",
    description="The plan inside never changes. 409 `template_name_taken` when the name is "
    "used by another template.",
    response_model=CampaignTemplateOut,
    name="update_campaign_template",
    responses=problem_responses(404, 409, 412, 415, 422),
)
async def update_campaign_template(
    template_id: uuid.UUID,
    body: CampaignTemplateUpdate,
    session: DbSession,
    caller: Editor,
    if_match: IfMatch,
    response: Response,
) -> CampaignTemplateOut:
    template = await _template(session, caller.workspace_id, template_id)
    template = await service.update_template(
        session, template=template, changes=body.model_dump(), expected_versions=if_match
    )
    return _template_out(template, response)


@router.delete(
    TEMPLATE,
    summary="Delete a campaign template",
    description="Campaigns started from it keep their origin, by the template's name.",
    status_code=status.HTTP_204_NO_CONTENT,
    name="delete_campaign_template",
    responses=problem_responses(404, 412, 422),
)
async def delete_campaign_template(
    template_id: uuid.UUID, session: DbSession, caller: Editor, if_match: IfMatch
) -> None:
    template = await _template(session, caller.workspace_id, template_id)
    await service.delete_template(session, template=template, expected_versions=if_match)


# --- a new campaign from a template ---------------------------------------------------------


@router.post(
    TEMPLATE + "/preview",
    summary="Preview the campaign a template would start",
    description="Exactly what `POST .../campaigns` would make with the same body, item by "
    "item with their new dates and amounts, and the warnings; nothing is written. "
    + WHAT_CARRIES_OVER,
    response_model=NewCampaignPreviewOut,
    name="preview_campaign_from_template",
    responses=problem_responses(404, 415, 422),
)
async def preview_campaign_from_template(
    template_id: uuid.UUID, body: NewCampaignIn, session: DbSession, caller: Viewer
) -> NewCampaignPreviewOut:
    template = await _template(session, caller.workspace_id, template_id)
    return await service.preview_from_template(session, template=template, request=body)


@router.post(
    TEMPLATE + "/campaigns",
    summary="Start a campaign (a draft) from a template",
    description="Makes what the preview shows, in one transaction; the campaign starts in "
    "draft and records its origin (`GET /v1/campaigns/{id}/origin`) and a note in its "
    "execution log. " + WHAT_CARRIES_OVER,
    status_code=status.HTTP_201_CREATED,
    response_model=NewCampaignCreatedOut,
    name="create_campaign_from_template",
    dependencies=[Idempotent],
    responses=problem_responses(404, 409, 415, 422),
)
async def create_campaign_from_template(
    template_id: uuid.UUID,
    body: NewCampaignIn,
    session: DbSession,
    caller: Editor,
    response: Response,
) -> NewCampaignCreatedOut:
    template = await _template(session, caller.workspace_id, template_id)
    campaign, origin = await service.create_from_template(
        session, actor=caller, template=template, request=body
    )
    return await _created(session, campaign, origin, response)


# --- a new campaign directly from a finished one -----------------------------------------------


@router.post(
    COPY + "/preview",
    summary="Preview a new campaign started from this completed or archived one",
    description="As a template's preview, reading this campaign's plan now. 409 "
    "`campaign_not_finished` unless it is completed or archived. " + WHAT_CARRIES_OVER,
    response_model=NewCampaignPreviewOut,
    name="preview_campaign_copy",
    responses=problem_responses(404, 409, 415, 422),
)
async def preview_campaign_copy(
    body: NewCampaignIn, campaign: ReadableCampaign, session: DbSession
) -> NewCampaignPreviewOut:
    return await service.preview_copy(session, campaign=campaign, request=body)


@router.post(
    COPY,
    summary="Start a new campaign (a draft) from this completed or archived one",
    description="Makes what `.../copy/preview` shows, in one transaction. 409 "
    "`campaign_not_finished` unless the campaign is completed or archived. " + WHAT_CARRIES_OVER,
    status_code=status.HTTP_201_CREATED,
    response_model=NewCampaignCreatedOut,
    name="copy_campaign",
    dependencies=[Idempotent],
    responses=problem_responses(404, 409, 415, 422),
)
async def copy_campaign(
    body: NewCampaignIn,
    campaign: ReadableCampaign,
    session: DbSession,
    caller: Editor,
    response: Response,
) -> NewCampaignCreatedOut:
    made, origin = await service.create_copy(session, actor=caller, campaign=campaign, request=body)
    return await _created(session, made, origin, response)
