"""The metric dictionary: how every figure is defined and computed (admins extend it)."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from services.api.deps import Admin, DbSession, Idempotent, IfMatch, Pagination, Viewer, set_etag
from services.api.problems import problem_responses
from shared.campaigns import plan
from shared.metrics import service
from shared.metrics.schemas import MetricCreate, MetricOut, MetricUpdate
from shared.pagination import Page, page_of

router = APIRouter(prefix="/v1/metrics", tags=["metrics"])
KeyPath = Annotated[str, Path(max_length=64, description="The metric's key, e.g. ctr")]


@router.get(
    "",
    summary="The metric dictionary, by key",
    response_model=Page[MetricOut],
    responses=problem_responses(400, 422),
)
async def list_metrics(
    session: DbSession,
    caller: Viewer,
    page: Pagination,
    derived: Annotated[
        bool | None, Query(description="Only derived (true) or base (false)")
    ] = None,
) -> Page[MetricOut]:
    results = await service.list_metrics(
        session, workspace_id=caller.workspace_id, page=page, derived=derived
    )
    return page_of(results, MetricOut)


@router.post(
    "",
    summary="Add a metric (admin); a formula makes it derived",
    description="A formula may use + - * / and parentheses over existing keys. Syntax "
    "errors, unknown keys and cycles are 422 with the `position` in the formula.",
    status_code=status.HTTP_201_CREATED,
    response_model=MetricOut,
    dependencies=[Idempotent],
    responses=problem_responses(409, 415, 422),
)
async def create_metric(
    body: MetricCreate, session: DbSession, caller: Admin, response: Response
) -> MetricOut:
    metric = await service.create_metric(
        session, workspace_id=caller.workspace_id, data=body.model_dump()
    )
    response.headers["Location"] = f"/v1/metrics/{metric.key}"
    set_etag(response, metric.version)
    return MetricOut.model_validate(metric)


@router.get(
    "/{key}",
    summary="One metric's definition",
    response_model=MetricOut,
    responses=problem_responses(404, 422),
)
async def get_metric(
    key: KeyPath, session: DbSession, caller: Viewer, response: Response
) -> MetricOut:
    metric = await service.get_metric(session, workspace_id=caller.workspace_id, key=key)
    set_etag(response, metric.version)
    return MetricOut.model_validate(metric)


@router.patch(
    "/{key}",
    summary="Change a metric's definition (admin)",
    response_model=MetricOut,
    responses=problem_responses(404, 412, 415, 422),
)
async def update_metric(
    key: KeyPath,
    body: MetricUpdate,
    session: DbSession,
    caller: Admin,
    if_match: IfMatch,
    response: Response,
) -> MetricOut:
    metric = await service.get_metric(session, workspace_id=caller.workspace_id, key=key)
    metric = await service.update_metric(
        session, metric=metric, changes=body.model_dump(), expected_versions=if_match
    )
    set_etag(response, metric.version)
    return MetricOut.model_validate(metric)


@router.delete(
    "/{key}",
    summary="Remove a metric nothing uses (admin)",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404, 409, 412, 422),
)
async def delete_metric(key: KeyPath, session: DbSession, caller: Admin, if_match: IfMatch) -> None:
    metric = await service.get_metric(session, workspace_id=caller.workspace_id, key=key)
    measured = await plan.goals_measure(session, workspace_id=caller.workspace_id, metric_key=key)
    await service.delete_metric(
        session, metric=metric, expected_versions=if_match, measured_by_goals=measured
    )
