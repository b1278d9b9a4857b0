from fastapi import APIRouter, Response

from services.api.deps import Admin, DbSession, IfMatch, Viewer, set_etag
from services.api.problems import problem_responses
from shared.workspaces import service
from shared.workspaces.schemas import WorkspaceOut, WorkspaceUpdate

router = APIRouter(prefix="/v1/workspace", tags=["workspace"])


@router.get("", summary="Get the caller's workspace", response_model=WorkspaceOut)
async def get_workspace(session: DbSession, caller: Viewer, response: Response) -> WorkspaceOut:
    workspace = await service.read_workspace(session, workspace_id=caller.workspace_id)
    set_etag(response, workspace["version"])
    return WorkspaceOut.model_validate(workspace)


@router.patch(
    "",
    summary="Update the workspace (admin)",
    response_model=WorkspaceOut,
    responses=problem_responses(412, 422),
)
async def update_workspace(
    body: WorkspaceUpdate, session: DbSession, caller: Admin, if_match: IfMatch, response: Response
) -> WorkspaceOut:
    workspace = await service.get_workspace(session, workspace_id=caller.workspace_id)
    workspace = await service.update_workspace(
        session,
        workspace=workspace,
        changes=body.model_dump(),
        expected_versions=if_match,
    )
    set_etag(response, workspace.version)
    return WorkspaceOut.model_validate(workspace)
