"""The knowledge base: search archived campaigns and what they hold, Chinese and English."""

from typing import Annotated

from fastapi import APIRouter, Query

from services.api.deps import DbSession, Pagination, Viewer
from services.api.problems import problem_responses
from shared.campaigns.models import CampaignKind
from shared.knowledge import search as knowledge
from shared.knowledge.models import EntryKind, GoalOutcome
from shared.knowledge.schemas import KnowledgeResultsOut
from shared.schemas import FIRST_DAY, LAST_DAY

router = APIRouter(prefix="/v1/knowledge", tags=["knowledge"])


@router.get(
    "",
    summary="Search campaigns and what they hold, in Chinese and English",
    description="Finds campaigns (names, background, objective, audience, core message), "
    "goals (metric, strategy, notes), evaluation analyses, retrospective items, issues and "
    "their action plans, execution-log notes, change requests' reasons, reviews' notes and "
    "expense attachments' file names. Chinese is matched by its characters: `快闪店` finds "
    "`线下快闪店`, one character (`店`) finds every text that has it. English is matched by "
    "word stems (`livestream` finds `livestreaming`; `pop-up` finds `pop-up store`). Every "
    "word must match (`KOC 直播`). Archived campaigns only, unless `scope=all`. Ranked by "
    "relevance; when more than 1,000 entries match, those of the most recent campaigns are "
    "ranked (`capped`). Archived campaigns are searchable as soon as they are archived; "
    "changes to other campaigns within about a minute (the worker's sweep).",
    response_model=KnowledgeResultsOut,
    responses=problem_responses(400, 422),
)
async def search_knowledge(
    session: DbSession,
    caller: Viewer,
    page: Pagination,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=knowledge.MAX_QUERY_CHARS,
            description="1-100 characters; words separated by spaces must all match",
            examples=["快闪店"],
        ),
    ],
    scope: Annotated[
        knowledge.Scope,
        Query(description="`archived` (the knowledge base) or `all` campaigns of the workspace"),
    ] = knowledge.Scope.archived,
    kind: Annotated[
        list[EntryKind] | None,
        Query(max_length=len(EntryKind), description="Only hits of these kinds (repeatable)"),
    ] = None,
    campaign_kind: Annotated[CampaignKind | None, Query(description="The campaign's kind")] = None,
    tag: Annotated[
        str | None, Query(min_length=1, max_length=50, description="One of the campaign's tags")
    ] = None,
    year: Annotated[
        int | None,
        Query(
            ge=FIRST_DAY.year,
            le=LAST_DAY.year,
            description="The campaign's year (of its start date)",
        ),
    ] = None,
    channel: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="A channel of the campaign: the key of one attached to it "
            "(`social_feed`) or one it lists (`offline pop-up store`)",
        ),
    ] = None,
    goals: Annotated[
        GoalOutcome | None,
        Query(
            description="`missed`: campaigns that missed a goal; `met`: campaigns that met "
            "every goal measured. From the latest finalised evaluation: campaigns without "
            "one match neither."
        ),
    ] = None,
) -> KnowledgeResultsOut:
    filters = knowledge.Filters(
        scope=scope,
        kinds=tuple(dict.fromkeys(kind or ())),
        campaign_kind=campaign_kind,
        tag=tag,
        year=year,
        channel=channel,
        goals=goals,
    )
    found = await knowledge.search(
        session, workspace_id=caller.workspace_id, q=q, filters=filters, page=page
    )
    return KnowledgeResultsOut.of(found)
