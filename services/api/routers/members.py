import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.api.deps import Admin, DbSession, Idempotent, IfMatch, Pagination, Viewer, set_etag
from services.api.problems import problem_responses
from shared.pagination import Page, page_of
from shared.workspaces import service
from shared.workspaces.schemas import MemberCreate, MemberOut, MemberUpdate

router = APIRouter(prefix="/v1/members", tags=["members"])


@router.get(
    "",
    summary="List members",
    response_model=Page[MemberOut],
    responses=problem_responses(400, 422),
)
async def list_members(
    session: DbSession,
    caller: Viewer,
    page: Pagination,
    q: Annotated[str | None, Query(max_length=200, description="Part of name or email")] = None,
    department: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[MemberOut]:
    results = await service.list_members(
        session, workspace_id=caller.workspace_id, page=page, q=q, department=department
    )
    return page_of(results, MemberOut)


@router.post(
    "",
    summary="Add a member (admin)",
    status_code=status.HTTP_201_CREATED,
    response_model=MemberOut,
    dependencies=[Idempotent],
    responses=problem_responses(400, 409, 415, 422),
)
async def create_member(
    body: MemberCreate, session: DbSession, caller: Admin, response: Response
) -> MemberOut:
    member = await service.create_member(
        session, workspace_id=caller.workspace_id, **body.model_dump()
    )
    response.headers["Location"] = f"/v1/members/{member.id}"
    set_etag(response, member.version)
    return MemberOut.model_validate(member)


@router.get(
    "/{member_id}",
    summary="Get a member",
    response_model=MemberOut,
    responses=problem_responses(404, 422),
)
async def get_member(
    member_id: uuid.UUID, session: DbSession, caller: Viewer, response: Response
) -> MemberOut:
    member = await service.get_member(
        session, workspace_id=caller.workspace_id, member_id=member_id
    )
    set_etag(response, member.version)
    return MemberOut.model_validate(member)


@router.patch(
    "/{member_id}",
    summary="Update a member (admin)",
    response_model=MemberOut,
    responses=problem_responses(404, 409, 412, 415, 422),
)
async def update_member(
    member_id: uuid.UUID,
    body: MemberUpdate,
    session: DbSession,
    caller: Admin,
    if_match: IfMatch,
    response: Response,
) -> MemberOut:
    member = await service.get_member(
        session, workspace_id=caller.workspace_id, member_id=member_id
    )
    member = await service.update_member(
        session, member=member, changes=body.model_dump(), expected_versions=if_match
    )
    set_etag(response, member.version)
    return MemberOut.model_validate(member)


@router.delete(
    "/{member_id}",
    summary="Remove a member (admin)",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404, 409, 412, 422),
)
async def delete_member(
    member_id: uuid.UUID, session: DbSession, caller: Admin, if_match: IfMatch
) -> None:
    member = await service.get_member(
        session, workspace_id=caller.workspace_id, member_id=member_id
    )
    await service.delete_member(session, member=member, expected_versions=if_match)
