"""The workspace's approval chain: who decides, level by level."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from shared.approvals.models import ApprovalStep
from shared.errors import FieldError, Invalid
from shared.tenancy import in_workspace
from shared.workspaces.service import unknown_members

# The manuals' default: the department head, then management.
DEFAULT_CHAIN = (
    {"name": "Department head", "approver_title": "Department head", "approver_member_ids": []},
    {"name": "Management", "approver_title": "Management", "approver_member_ids": []},
)


@dataclass(frozen=True)
class Chain:
    steps: list[dict[str, Any]]  # name, approver_title, approver_member_ids (as strings)
    is_default: bool


def _as_dict(step: ApprovalStep) -> dict[str, Any]:
    return {
        "name": step.name,
        "approver_title": step.approver_title,
        "approver_member_ids": [str(m) for m in step.approver_member_ids],
    }


async def get_chain(session: AsyncSession, *, workspace_id: uuid.UUID) -> Chain:
    rows = (
        await session.scalars(
            in_workspace(ApprovalStep, workspace_id).order_by(ApprovalStep.position)
        )
    ).all()
    if not rows:
        return Chain([dict(step) for step in DEFAULT_CHAIN], is_default=True)
    return Chain([_as_dict(row) for row in rows], is_default=False)


async def replace_chain(
    session: AsyncSession, *, workspace_id: uuid.UUID, steps: list[dict[str, Any]]
) -> Chain:
    """Replace the chain. Rounds already under way keep the chain they started with."""
    errors = []
    for index, step in enumerate(steps):
        if not step.get("approver_title") and not step.get("approver_member_ids"):
            errors.append(
                FieldError(f"steps.{index}", "Name an approver_title or approver_member_ids.")
            )
        unknown = await unknown_members(
            session, workspace_id=workspace_id, member_ids=step.get("approver_member_ids", [])
        )
        if unknown:
            listed = ", ".join(sorted(str(m) for m in unknown))
            errors.append(
                FieldError(
                    f"steps.{index}.approver_member_ids",
                    f"Not members of this workspace: {listed}",
                    code="unknown_member",
                )
            )
    if errors:
        raise Invalid("The approval chain is not valid.", errors)
    await session.execute(delete(ApprovalStep).where(ApprovalStep.workspace_id == workspace_id))
    for position, step in enumerate(steps):
        session.add(
            ApprovalStep(
                workspace_id=workspace_id,
                position=position,
                name=step["name"],
                approver_title=step.get("approver_title"),
                approver_member_ids=list(step.get("approver_member_ids", [])),
            )
        )
    await session.flush()
    return await get_chain(session, workspace_id=workspace_id)
