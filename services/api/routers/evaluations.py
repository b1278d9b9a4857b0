"""The campaign evaluation: read (draft or finalised), per-goal analyses, finalise, versions;
and the workspace's mapping of metrics to evaluation dimensions."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response, status

from services.api.deps import (
    ChangeableCampaign,
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
from shared.evaluations import service
from shared.evaluations.models import EvaluationVersion
from shared.evaluations.schemas import (
    POINTS_COUNTED,
    RANKING,
    DimensionMappingIn,
    DimensionMappingOut,
    DimensionMetricOut,
    EvaluationOut,
    EvaluationVersionOut,
    GoalAnalysisIn,
    GoalAnalysisOut,
)
from shared.metrics import service as metrics
from shared.pagination import Page
from shared.timeutil import utcnow

router = APIRouter(tags=["evaluations"])

EVALUATION = "/v1/campaigns/{campaign_id}/evaluation"
WHAT = (
    "Per goal: the target in the approved plan and in the current one (after approved "
    "change requests), the actual, the achievement rate (actual / target x 100; on the lift "
    "over the baseline for relative-lift goals, inverted when lower is better), `met` at "
    "100 or more, the analysis, and the data source. " + POINTS_COUNTED + " The four "
    "dimensions: goal achievement (goals by type), ROI (revenue / spend, on recorded "
    'expenses and on pushed spend, each as a ratio and as "1:X"), user value (cost per new '
    "user and per order, average order value) and brand impact (search volume and its lift, "
    "negative comments), each with the metrics the workspace maps to it "
    "(`/v1/evaluation-dimensions`). Channel contribution: " + RANKING
)
NEVER_RAN = (
    "409 `campaign_not_run` for a campaign that never ran (draft, pending approval, "
    "approved, rejected, or cancelled before activation)."
)


@router.get(
    EVALUATION,
    summary="The campaign's evaluation: the latest finalised version, or the draft",
    description="Without a finalised version, or with `view=draft`, the evaluation is "
    "computed now (`state: draft`; `provisional` while the campaign is active). Otherwise "
    "the latest finalised version as it was frozen, with `has_unfinalised_changes` when an "
    "analysis was edited since. " + WHAT + " " + NEVER_RAN,
    response_model=EvaluationOut,
    responses=problem_responses(404, 409, 422),
)
async def get_evaluation(
    campaign: ReadableCampaign,
    session: DbSession,
    view: Annotated[
        Literal["latest", "draft"],
        Query(
            description="`latest` (default): the latest finalised version if there is "
            "one; `draft`: always computed now"
        ),
    ] = "latest",
) -> EvaluationOut:
    return await service.get_evaluation(
        session, campaign=campaign, draft=view == "draft", now=utcnow()
    )


@router.post(
    EVALUATION + "/finalise",
    summary="Finalise the evaluation as its next version (editor)",
    description="Freezes the evaluation as computed now, analyses included, as version 1, "
    "2, ... recording who (the API key and its member) and when; it never changes "
    "afterwards, and editing an analysis starts the next draft. Records a "
    "`campaign.evaluated` event (`data.version`). 409 `campaign_not_completed` unless the "
    "campaign is completed; 409 `no_changes` when nothing differs from the latest version.",
    status_code=status.HTTP_201_CREATED,
    response_model=EvaluationOut,
    dependencies=[Idempotent],
    responses=problem_responses(404, 409, 422),
)
async def finalise_evaluation(
    campaign: ChangeableCampaign, session: DbSession, caller: Editor, response: Response
) -> EvaluationOut:
    finalised = await service.finalise(session, campaign=campaign, actor=caller, now=utcnow())
    response.headers["Location"] = f"{EVALUATION.format(campaign_id=campaign.id)}/versions/" + (
        f"{finalised.version}"
    )
    return finalised


def _version_out(row: EvaluationVersion) -> EvaluationVersionOut:
    outcomes = [goal["outcome"] for goal in row.document.get("goals", [])]
    return EvaluationVersionOut(
        number=row.number,
        finalised_at=row.finalised_at,
        finalised_by_member_id=row.finalised_by_member_id,
        finalised_by_api_key_id=row.finalised_by_api_key_id,
        goals_met=outcomes.count("met"),
        goals_missed=outcomes.count("missed"),
        goals_unmeasured=outcomes.count("unmeasured"),
        created_at=row.created_at,
    )


@router.get(
    EVALUATION + "/versions",
    summary="The finalised versions of the evaluation, oldest first",
    response_model=Page[EvaluationVersionOut],
    responses=problem_responses(400, 404, 422),
)
async def list_evaluation_versions(
    campaign: ReadableCampaign, session: DbSession, page: Pagination
) -> Page[EvaluationVersionOut]:
    results = await service.list_versions(session, campaign=campaign, page=page)
    return Page[EvaluationVersionOut](
        items=[_version_out(r) for r in results.items], next_cursor=results.next_cursor
    )


@router.get(
    EVALUATION + "/versions/{number}",
    summary="A finalised version of the evaluation, as it was frozen",
    response_model=EvaluationOut,
    responses=problem_responses(404, 422),
)
async def get_evaluation_version(
    campaign: ReadableCampaign,
    session: DbSession,
    number: Annotated[int, Path(ge=1, le=1_000_000, description="1, 2, ...")],
) -> EvaluationOut:
    return await service.get_version(session, campaign=campaign, number=number)


@router.get(
    EVALUATION + "/goals/{goal_id}",
    summary="A goal's analysis in the draft (version 0 while none was written)",
    response_model=GoalAnalysisOut,
    responses=problem_responses(404, 409, 422),
)
async def get_goal_analysis(
    goal_id: uuid.UUID, campaign: ReadableCampaign, session: DbSession, response: Response
) -> GoalAnalysisOut:
    analysis = await service.get_analysis(session, campaign=campaign, goal_id=goal_id)
    set_etag(response, analysis.version)
    return analysis


@router.patch(
    EVALUATION + "/goals/{goal_id}",
    summary="Write a goal's analysis: cause, analysis, improvement proposal (editor)",
    description="Only the fields sent change; `null` clears one. `If-Match` with the "
    'analysis\'s ETag (`"0"` before the first write) refuses a stale edit (412). Allowed '
    "while the campaign is active or completed (409 `evaluation_closed` once archived or "
    "cancelled). After a finalised version, an edit starts the next draft; the finalised "
    "versions do not change. " + NEVER_RAN,
    response_model=GoalAnalysisOut,
    responses=problem_responses(404, 409, 412, 415, 422),
)
async def update_goal_analysis(
    goal_id: uuid.UUID,
    body: GoalAnalysisIn,
    campaign: ChangeableCampaign,
    session: DbSession,
    caller: Editor,
    if_match: IfMatch,
    response: Response,
) -> GoalAnalysisOut:
    analysis = await service.update_analysis(
        session,
        campaign=campaign,
        goal_id=goal_id,
        changes=body.model_dump(),
        expected_versions=if_match,
        actor=caller,
        now=utcnow(),
    )
    set_etag(response, analysis.version)
    return analysis


async def _mapping_out(session: DbSession, caller: Viewer) -> DimensionMappingOut:
    dictionary = await metrics.dictionary(session, workspace_id=caller.workspace_id)
    mapping = await service.dimension_mapping(session, workspace_id=caller.workspace_id)
    return DimensionMappingOut(
        metrics=[
            DimensionMetricOut(
                metric_key=key,
                dimension=dimension,
                metric_name=dictionary[key].name if key in dictionary else None,
            )
            for key, dimension in mapping
        ]
    )


MAPPING = (
    "Dictionary metrics shown under an evaluation dimension (`roi`, `user_value`, "
    "`brand_impact`) in every evaluation of the workspace, with the campaign's figure; "
    "beside the dimension's standard figures."
)


@router.get(
    "/v1/evaluation-dimensions",
    summary="The metrics the workspace maps to evaluation dimensions",
    description=MAPPING,
    response_model=DimensionMappingOut,
)
async def get_evaluation_dimensions(session: DbSession, caller: Viewer) -> DimensionMappingOut:
    return await _mapping_out(session, caller)


@router.put(
    "/v1/evaluation-dimensions",
    summary="Set the metrics mapped to evaluation dimensions (editor)",
    description=MAPPING + " The list replaces the mapping; an unknown or repeated metric is "
    "422 naming `metrics.<i>.metric_key`, and nothing changes. Finalised versions keep "
    "what they showed.",
    response_model=DimensionMappingOut,
    responses=problem_responses(415, 422),
)
async def put_evaluation_dimensions(
    body: DimensionMappingIn, session: DbSession, caller: Editor
) -> DimensionMappingOut:
    await service.set_dimension_mapping(
        session, workspace_id=caller.workspace_id, wanted=body.metrics
    )
    return await _mapping_out(session, caller)
