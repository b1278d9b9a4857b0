"""The workspace's threshold for a change request to need the full approval chain."""

import uuid
from decimal import Decimal

from sqlalchemy import delete, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.change_requests.changes import DEFAULT_MOVE_SHARE_PERCENT
from shared.change_requests.models import ChangeApprovalRule
from shared.tenancy import in_workspace


async def move_share_percent(
    session: AsyncSession, *, workspace_id: uuid.UUID
) -> tuple[Decimal, bool]:
    """The workspace's share, and whether it is the default."""
    row = await session.scalar(in_workspace(ChangeApprovalRule, workspace_id))
    if row is None:
        return DEFAULT_MOVE_SHARE_PERCENT, True
    return row.move_share_percent, False


async def set_move_share_percent(
    session: AsyncSession, *, workspace_id: uuid.UUID, percent: Decimal | None
) -> tuple[Decimal, bool]:
    """Requests already made keep the approvers they were given."""
    if percent is None:
        await session.execute(
            delete(ChangeApprovalRule).where(ChangeApprovalRule.workspace_id == workspace_id)
        )
        return DEFAULT_MOVE_SHARE_PERCENT, True
    # One statement, so that two admins setting it at once both succeed (the last wins).
    await session.execute(
        insert(ChangeApprovalRule)
        .values(workspace_id=workspace_id, move_share_percent=percent)
        .on_conflict_do_update(
            index_elements=[ChangeApprovalRule.workspace_id],
            set_={
                "move_share_percent": percent,
                "version": ChangeApprovalRule.version + 1,
                "updated_at": func.now(),
            },
        )
    )
    return percent.quantize(Decimal("0.01")), False
