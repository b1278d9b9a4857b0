"""The workspace's settlement policy: the variance threshold and who settles and signs off."""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.actor import Actor, Role
from shared.errors import FieldError, Forbidden, Invalid
from shared.settlements.models import SettlementPolicy
from shared.settlements.statement import DEFAULT_THRESHOLD_PERCENT
from shared.tenancy import in_workspace

DEFAULT_FINANCE_ROLE = Role.approver
DEFAULT_MANAGEMENT_ROLE = Role.admin


@dataclass(frozen=True)
class Policy:
    threshold_percent: Decimal
    finance_role: Role
    management_role: Role
    is_default: bool
    version: int | None  # None while the defaults apply


DEFAULT = Policy(
    DEFAULT_THRESHOLD_PERCENT, DEFAULT_FINANCE_ROLE, DEFAULT_MANAGEMENT_ROLE, True, None
)


async def get_policy(session: AsyncSession, *, workspace_id: uuid.UUID) -> Policy:
    row = await session.scalar(
        in_workspace(SettlementPolicy, workspace_id).execution_options(populate_existing=True)
    )
    if row is None:
        return DEFAULT
    return Policy(row.threshold_percent, row.finance_role, row.management_role, False, row.version)


async def set_policy(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    threshold_percent: Decimal,
    finance_role: Role,
    management_role: Role,
) -> Policy:
    """Settlements already made keep their frozen lines; open ones judge by the new
    threshold at once. Viewers can neither settle nor sign off (422)."""
    errors = [
        FieldError(name, "Viewers cannot settle or sign off; name editor or above.")
        for name, role in (("finance_role", finance_role), ("management_role", management_role))
        if role == Role.viewer
    ]
    if errors:
        raise Invalid("The settlement policy is not valid.", errors)
    values = {
        "threshold_percent": threshold_percent,
        "finance_role": finance_role,
        "management_role": management_role,
    }
    # One statement, so that two admins setting it at once both succeed (the last wins).
    await session.execute(
        insert(SettlementPolicy)
        .values(workspace_id=workspace_id, **values)
        .on_conflict_do_update(
            index_elements=[SettlementPolicy.workspace_id],
            set_=values | {"version": SettlementPolicy.version + 1, "updated_at": func.now()},
        )
    )
    return await get_policy(session, workspace_id=workspace_id)


def ensure_role(actor: Actor, role: Role, what: str, *, who: str) -> None:
    """403 unless the caller's role reaches `role` and the key speaks for a member (the
    settlement records who did it)."""
    if not actor.role.includes(role):
        raise Forbidden(
            f"{what} is for {who}: it needs the {role.value} role (the workspace's settlement "
            f"policy); the API key has {actor.role.value}.",
            code="forbidden",
        )
    if actor.member_id is None:
        raise Forbidden(
            f"{what} is recorded against a member: use an API key bound to one.",
            code="member_required",
        )
