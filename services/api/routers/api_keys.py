import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.api.deps import (
    Admin,
    AppRuntime,
    CurrentCaller,
    DbSession,
    NotIdempotent,
    Pagination,
    set_etag,
)
from services.api.problems import problem_responses
from shared.pagination import Page, page_of
from shared.workspaces import api_keys
from shared.workspaces.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut

router = APIRouter(prefix="/v1/api-keys", tags=["api-keys"])


@router.get(
    "",
    summary="List API keys (admin)",
    response_model=Page[ApiKeyOut],
    responses=problem_responses(400, 422),
)
async def list_api_keys(
    session: DbSession,
    caller: Admin,
    page: Pagination,
    active: Annotated[
        bool | None, Query(description="Only active (true) or revoked (false)")
    ] = None,
) -> Page[ApiKeyOut]:
    results = await api_keys.list_api_keys(
        session, workspace_id=caller.workspace_id, page=page, active=active
    )
    return page_of(results, ApiKeyOut)


@router.post(
    "",
    summary="Create an API key (admin); the secret is in this response only",
    description="The secret is shown once and only its hash is stored. An Idempotency-Key "
    "is refused (422 `idempotency_not_supported`): replaying would require keeping the secret.",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiKeyCreated,
    responses=problem_responses(400, 409, 415, 422),
    dependencies=[NotIdempotent],
)
async def create_api_key(
    body: ApiKeyCreate, session: DbSession, caller: Admin, response: Response
) -> ApiKeyCreated:
    api_key, secret = await api_keys.create_api_key(
        session, workspace_id=caller.workspace_id, **body.model_dump()
    )
    response.headers["Location"] = f"/v1/api-keys/{api_key.id}"
    response.headers["Cache-Control"] = "no-store"
    return ApiKeyCreated(**ApiKeyOut.model_validate(api_key).model_dump(), key=secret)


@router.get("/current", summary="The API key making this call", response_model=ApiKeyOut)
async def get_current_api_key(session: DbSession, caller: CurrentCaller) -> ApiKeyOut:
    api_key = await api_keys.get_api_key(
        session, workspace_id=caller.workspace_id, api_key_id=caller.api_key_id
    )
    return ApiKeyOut.model_validate(api_key)


@router.get(
    "/{api_key_id}",
    summary="Get an API key (admin)",
    response_model=ApiKeyOut,
    responses=problem_responses(404, 422),
)
async def get_api_key(
    api_key_id: uuid.UUID, session: DbSession, caller: Admin, response: Response
) -> ApiKeyOut:
    api_key = await api_keys.get_api_key(
        session, workspace_id=caller.workspace_id, api_key_id=api_key_id
    )
    set_etag(response, api_key.version)
    return ApiKeyOut.model_validate(api_key)


@router.post(
    "/{api_key_id}/revoke",
    summary="Revoke an API key (admin); it stops working at once",
    response_model=ApiKeyOut,
    responses=problem_responses(404, 409, 422),
)
async def revoke_api_key(
    api_key_id: uuid.UUID,
    session: DbSession,
    caller: Admin,
    runtime: AppRuntime,
    response: Response,
) -> ApiKeyOut:
    api_key = await api_keys.get_api_key(
        session, workspace_id=caller.workspace_id, api_key_id=api_key_id
    )
    api_key = await api_keys.revoke_api_key(session, api_key=api_key)
    # At once in this process; other API processes trust it at most api_key_cache_seconds.
    runtime.verified_keys.forget(api_key.id)
    set_etag(response, api_key.version)
    return ApiKeyOut.model_validate(api_key)
