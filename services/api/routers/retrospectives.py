"""The retrospective of a completed campaign: items, actions as issues, suggestions."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from services.api.deps import (
    ChangeableCampaign,
    DbSession,
    Editor,
    Idempotent,
    IfMatch,
    Pagination,
    ReadableCampaign,
    set_etag,
)
from services.api.problems import problem_responses
from shared.campaigns.models import Campaign
from shared.issues.models import Issue
from shared.issues.schemas import IssueOut
from shared.pagination import Page
from shared.retrospectives import service
from shared.retrospectives.models import RetrospectiveItem, SuggestionState
from shared.retrospectives.schemas import (
    RetrospectiveIssueIn,
    RetrospectiveItemCreate,
    RetrospectiveItemOut,
    RetrospectiveItemUpdate,
    RetrospectiveOut,
    SuggestionAcceptIn,
    SuggestionDismissIn,
    SuggestionId,
    SuggestionOut,
    SuggestionsOut,
)
from shared.timeutil import utcnow

router = APIRouter(tags=["retrospective"])

BASE = "/v1/campaigns/{campaign_id}/retrospective"
ITEMS = BASE + "/items"
ITEM = ITEMS + "/{item_id}"
SUGGESTIONS = BASE + "/suggestions"
WHEN = (
    "while the campaign is completed (409 `campaign_not_completed` before, "
    "`retrospective_archived` once archived)"
)
SuggestionPath = Annotated[SuggestionId, Path(description="A suggestion's id (24 hex digits)")]


async def _out(
    session: DbSession, campaign: Campaign, item: RetrospectiveItem
) -> RetrospectiveItemOut:
    (shown,) = await service.present(session, campaign=campaign, items=[item])
    return RetrospectiveItemOut.model_validate(shown)


@router.get(
    BASE,
    summary="The retrospective at a glance: items, issues opened, root causes",
    description="Readable in any state of the campaign (before completion it is empty); "
    "`editable` says whether items may change now.",
    response_model=RetrospectiveOut,
    responses=problem_responses(404, 422),
)
async def get_retrospective(campaign: ReadableCampaign, session: DbSession) -> RetrospectiveOut:
    return RetrospectiveOut.model_validate(await service.overview(session, campaign=campaign))


@router.post(
    ITEMS,
    summary="Add a retrospective item",
    description="A row of the manuals' table: stage or area, what worked, shortfall, root "
    "cause (strategy, execution, collaboration, budget, external), improvement action, "
    f"owner (a member of the workspace) and due date. Allowed {WHEN}.",
    status_code=status.HTTP_201_CREATED,
    response_model=RetrospectiveItemOut,
    dependencies=[Idempotent],
    responses=problem_responses(404, 409, 415, 422),
)
async def create_retrospective_item(
    body: RetrospectiveItemCreate,
    campaign: ChangeableCampaign,
    session: DbSession,
    response: Response,
) -> RetrospectiveItemOut:
    item = await service.create_item(session, campaign=campaign, data=body.model_dump())
    response.headers["Location"] = f"/v1/campaigns/{campaign.id}/retrospective/items/{item.id}"
    set_etag(response, item.version)
    return await _out(session, campaign, item)


@router.get(
    ITEMS,
    summary="The retrospective's items, oldest first",
    description="Readable in any state of the campaign; empty before it is completed.",
    response_model=Page[RetrospectiveItemOut],
    responses=problem_responses(400, 404, 422),
)
async def list_retrospective_items(
    campaign: ReadableCampaign, session: DbSession, page: Pagination
) -> Page[RetrospectiveItemOut]:
    results = await service.list_items(session, campaign=campaign, page=page)
    shown = await service.present(session, campaign=campaign, items=results.items)
    return Page[RetrospectiveItemOut](
        items=[RetrospectiveItemOut.model_validate(s) for s in shown],
        next_cursor=results.next_cursor,
    )


@router.get(
    ITEM,
    summary="A retrospective item",
    response_model=RetrospectiveItemOut,
    responses=problem_responses(404, 422),
)
async def get_retrospective_item(
    item_id: uuid.UUID, campaign: ReadableCampaign, session: DbSession, response: Response
) -> RetrospectiveItemOut:
    item = await service.get_item(session, campaign=campaign, item_id=item_id)
    set_etag(response, item.version)
    return await _out(session, campaign, item)


@router.patch(
    ITEM,
    summary="Edit a retrospective item",
    description=f"Send only the fields to change; `null` clears an optional one. Allowed {WHEN}.",
    response_model=RetrospectiveItemOut,
    responses=problem_responses(404, 409, 412, 415, 422),
)
async def update_retrospective_item(
    item_id: uuid.UUID,
    body: RetrospectiveItemUpdate,
    campaign: ChangeableCampaign,
    session: DbSession,
    if_match: IfMatch,
    response: Response,
) -> RetrospectiveItemOut:
    item = await service.get_item(session, campaign=campaign, item_id=item_id)
    item = await service.update_item(
        session, campaign=campaign, item=item, changes=body.model_dump(), expected_versions=if_match
    )
    set_etag(response, item.version)
    return await _out(session, campaign, item)


@router.delete(
    ITEM,
    summary="Remove a retrospective item",
    description="An issue opened from it stays, without the link; the suggestion it was "
    f"accepted from is proposed again. Allowed {WHEN}.",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404, 409, 412, 422),
)
async def delete_retrospective_item(
    item_id: uuid.UUID, campaign: ChangeableCampaign, session: DbSession, if_match: IfMatch
) -> None:
    item = await service.get_item(session, campaign=campaign, item_id=item_id)
    await service.delete_item(session, campaign=campaign, item=item, expected_versions=if_match)


def _issue_out(issue: Issue) -> IssueOut:
    now = utcnow()
    fields = {name: getattr(issue, name) for name in IssueOut.model_fields if hasattr(issue, name)}
    return IssueOut.model_validate(
        fields
        | {
            "response_overdue": issue.response_overdue(now),
            "resolution_overdue": issue.resolution_overdue(now),
        }
    )


@router.post(
    ITEM + "/issue",
    summary="Track the item's improvement action as an issue",
    description="Opens an issue (source `retrospective`, linked both ways: the item shows "
    "`issue_id`, the issue `retrospective_item_id`) in this campaign or in `campaign_id`, "
    "the next one (any of the workspace neither archived nor cancelled, else 422 naming "
    "`campaign_id`). The owner defaults to the item's, the due date to the item's. One "
    "issue per item: a second call is 409 `issue_exists` naming it. 409 "
    f"`no_improvement_action` when the item has none. Allowed {WHEN}.",
    status_code=status.HTTP_201_CREATED,
    response_model=IssueOut,
    dependencies=[Idempotent],
    responses=problem_responses(404, 409, 415, 422),
)
async def open_retrospective_issue(
    item_id: uuid.UUID,
    campaign: ChangeableCampaign,
    session: DbSession,
    caller: Editor,
    response: Response,
    body: RetrospectiveIssueIn | None = None,
) -> IssueOut:
    body = body or RetrospectiveIssueIn()
    item = await service.get_item(session, campaign=campaign, item_id=item_id)
    issue = await service.open_issue(
        session,
        campaign=campaign,
        item=item,
        actor=caller,
        target_campaign_id=body.campaign_id,
        severity=body.severity,
        owner_id=body.owner_id,
        due=body.due,
        title=body.title,
        now=utcnow(),
    )
    response.headers["Location"] = f"/v1/issues/{issue.id}"
    set_etag(response, issue.version)
    return _issue_out(issue)


@router.get(
    SUGGESTIONS,
    summary="Suggested items drawn from the campaign's history, with their evidence",
    description="Computed now from the campaign's own history: goals missed (achievement "
    "under 100%), the rules that fired most, issues that breached their response or "
    "resolution time, the tasks that slipped most (with the critical-path tasks they "
    "delayed), budget categories over plan, channels with the worst ROI (among those "
    "with at least 5% of the channels' spend). Each has a stable id and a state: "
    "`proposed`, `accepted` (an item was made of it) or `dismissed`. Suggestions never "
    "become items by themselves. 409 `campaign_not_completed` before the campaign is "
    "completed; archived campaigns still read theirs.",
    response_model=SuggestionsOut,
    responses=problem_responses(404, 409, 422),
)
async def list_retrospective_suggestions(
    campaign: ReadableCampaign,
    session: DbSession,
    state: Annotated[list[SuggestionState] | None, Query(max_length=3)] = None,
) -> SuggestionsOut:
    found = await service.list_suggestions(
        session, campaign=campaign, states=state or (), now=utcnow()
    )
    return SuggestionsOut.model_validate(found)


@router.post(
    SUGGESTIONS + "/{suggestion_id}/accept",
    summary="Accept a suggestion: an item made of its draft, with your edits",
    description="The body may override any field of the item (stage, what worked, "
    "shortfall, root cause, improvement action, owner, due date). The item remembers its "
    "`suggestion_id`; the suggestion becomes `accepted`. 409 `suggestion_accepted` when "
    f"it was accepted already. Allowed {WHEN}.",
    status_code=status.HTTP_201_CREATED,
    response_model=RetrospectiveItemOut,
    dependencies=[Idempotent],
    responses=problem_responses(404, 409, 415, 422),
)
async def accept_retrospective_suggestion(
    suggestion_id: SuggestionPath,
    campaign: ChangeableCampaign,
    session: DbSession,
    caller: Editor,
    response: Response,
    body: SuggestionAcceptIn | None = None,
) -> RetrospectiveItemOut:
    edits = body.model_dump() if body else {}
    item = await service.accept_suggestion(
        session,
        campaign=campaign,
        suggestion_id=suggestion_id,
        edits=edits,
        actor=caller,
        now=utcnow(),
    )
    response.headers["Location"] = f"/v1/campaigns/{campaign.id}/retrospective/items/{item.id}"
    set_etag(response, item.version)
    return await _out(session, campaign, item)


@router.post(
    SUGGESTIONS + "/{suggestion_id}/dismiss",
    summary="Dismiss a suggestion; it stays dismissed",
    description="With an optional reason. A dismissed suggestion may still be accepted "
    "later; an accepted one is withdrawn by deleting its item (409 `suggestion_accepted`). "
    f"Allowed {WHEN}.",
    response_model=SuggestionOut,
    responses=problem_responses(404, 409, 415, 422),
)
async def dismiss_retrospective_suggestion(
    suggestion_id: SuggestionPath,
    campaign: ChangeableCampaign,
    session: DbSession,
    caller: Editor,
    body: SuggestionDismissIn | None = None,
) -> SuggestionOut:
    shown = await service.dismiss_suggestion(
        session,
        campaign=campaign,
        suggestion_id=suggestion_id,
        reason=body.reason if body else None,
        actor=caller,
        now=utcnow(),
    )
    return SuggestionOut.model_validate(shown)
