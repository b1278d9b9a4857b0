"""Workspace scoping in one place: every tenant query starts from `in_workspace`."""

import uuid
from typing import Protocol, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import WorkspaceScoped
from shared.errors import NotFound

W = TypeVar("W", bound=WorkspaceScoped)


def in_workspace(model: type[W], workspace_id: uuid.UUID) -> Select[W]:
    return select(model).where(model.workspace_id == workspace_id)


async def get_in_workspace(
    session: AsyncSession,
    model: type[W],
    *,
    workspace_id: uuid.UUID,
    entity_id: uuid.UUID,
    label: str,
    for_update: bool = False,
) -> W:
    """The row, or NotFound — also when it exists in another workspace (no existence leak)."""
    query = in_workspace(model, workspace_id).where(model.id == entity_id)
    if for_update:
        query = query.with_for_update()
    entity = await session.scalar(query)
    if entity is None:
        raise NotFound(f"{label} {entity_id} not found.")
    return entity


class CampaignRef(Protocol):
    """A campaign as the packages below campaigns see it (approval rounds, the execution
    log): which one, in which workspace."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def workspace_id(self) -> uuid.UUID: ...
