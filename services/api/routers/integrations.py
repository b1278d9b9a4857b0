"""Integrations: the systems that push metric data, each with its signing secret."""

import uuid
from datetime import timedelta

from fastapi import APIRouter, Response, status

from services.api.deps import Admin, DbSession, IfMatch, Pagination, set_etag
from services.api.problems import problem_responses
from shared.integrations import service
from shared.integrations.schemas import (
    IntegrationCreate,
    IntegrationOut,
    IntegrationSecretRotation,
    IntegrationUpdate,
    IntegrationWithSecret,
)
from shared.pagination import Page, page_of
from shared.timeutil import utcnow

router = APIRouter(prefix="/v1/integrations", tags=["integrations"])


@router.get(
    "",
    summary="List integrations (admin)",
    response_model=Page[IntegrationOut],
    responses=problem_responses(400, 422),
)
async def list_integrations(
    session: DbSession, caller: Admin, page: Pagination
) -> Page[IntegrationOut]:
    results = await service.list_integrations(session, workspace_id=caller.workspace_id, page=page)
    return page_of(results, IntegrationOut)


@router.post(
    "",
    summary="Register an integration (admin); its signing secret is in this response only",
    description="No Idempotency-Key here: a replay would need the secret stored in the "
    "response log.",
    status_code=status.HTTP_201_CREATED,
    response_model=IntegrationWithSecret,
    responses=problem_responses(415, 422),
)
async def create_integration(
    body: IntegrationCreate, session: DbSession, caller: Admin, response: Response
) -> IntegrationWithSecret:
    integration = await service.create_integration(
        session, workspace_id=caller.workspace_id, data=body.model_dump()
    )
    response.headers["Location"] = f"/v1/integrations/{integration.id}"
    response.headers["Cache-Control"] = "no-store"
    set_etag(response, integration.version)
    return IntegrationWithSecret.model_validate(integration)


@router.get(
    "/{integration_id}",
    summary="Get an integration (admin)",
    response_model=IntegrationOut,
    responses=problem_responses(404, 422),
)
async def get_integration(
    integration_id: uuid.UUID, session: DbSession, caller: Admin, response: Response
) -> IntegrationOut:
    integration = await service.get_integration(
        session, workspace_id=caller.workspace_id, integration_id=integration_id
    )
    set_etag(response, integration.version)
    return IntegrationOut.model_validate(integration)


@router.patch(
    "/{integration_id}",
    summary="Rename, disable or enable an integration (admin)",
    response_model=IntegrationOut,
    responses=problem_responses(404, 412, 415, 422),
)
async def update_integration(
    integration_id: uuid.UUID,
    body: IntegrationUpdate,
    session: DbSession,
    caller: Admin,
    if_match: IfMatch,
    response: Response,
) -> IntegrationOut:
    integration = await service.get_integration(
        session, workspace_id=caller.workspace_id, integration_id=integration_id
    )
    integration = await service.update_integration(
        session, integration=integration, changes=body.model_dump(), expected_versions=if_match
    )
    set_etag(response, integration.version)
    return IntegrationOut.model_validate(integration)


@router.post(
    "/{integration_id}/rotate-secret",
    summary="Issue a new signing secret; the old one verifies during the overlap (admin)",
    response_model=IntegrationWithSecret,
    responses=problem_responses(404, 415, 422),
)
async def rotate_secret(
    integration_id: uuid.UUID,
    session: DbSession,
    caller: Admin,
    response: Response,
    body: IntegrationSecretRotation | None = None,
) -> IntegrationWithSecret:
    integration = await service.get_integration(
        session, workspace_id=caller.workspace_id, integration_id=integration_id
    )
    overlap = timedelta(minutes=(body or IntegrationSecretRotation()).overlap_minutes)
    integration = await service.rotate_secret(
        session, integration=integration, overlap=overlap, now=utcnow()
    )
    response.headers["Cache-Control"] = "no-store"
    set_etag(response, integration.version)
    return IntegrationWithSecret.model_validate(integration)
