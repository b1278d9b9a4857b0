"""Escalation policies: their levels checked against the workspace, the manuals' default,
and the reference a rule makes to one."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import FieldError, Invalid
from shared.escalations import levels as lv
from shared.escalations.models import EscalationPolicy
from shared.notifications.models import NotificationEndpoint
from shared.pagination import PageRequest, Results, SortKey, paginate
from shared.tenancy import get_in_workspace, in_workspace
from shared.workspaces.models import Member


async def _check_references(
    session: AsyncSession, workspace_id: uuid.UUID, named: dict[str, list[lv.Target]]
) -> None:
    """`named`: each list of targets by the field that holds it (`levels.0.targets`)."""
    errors = []
    for field, targets in named.items():
        for j, target in enumerate(targets):
            model: Any = NotificationEndpoint if target.type == "endpoint" else Member
            ref = target.endpoint_id if target.type == "endpoint" else target.member_id
            if ref is None:
                continue
            found = await session.scalar(in_workspace(model, workspace_id).where(model.id == ref))
            if found is None:
                errors.append(FieldError(f"{field}.{j}", f"no {target.type} {ref} here"))
    if errors:
        raise Invalid("The policy names what this workspace does not have.", errors)


async def save_policy(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    data: dict[str, Any],
    policy: EscalationPolicy | None = None,
) -> EscalationPolicy:
    if "levels" in data:
        parsed = lv.parse_levels(data["levels"])
        await _check_references(
            session,
            workspace_id,
            {f"levels.{i}.targets": level.targets for i, level in enumerate(parsed)},
        )
        data["levels"] = [level.model_dump(mode="json", exclude_none=True) for level in parsed]
    if data.get("resolution_overdue") is not None:
        overdue = lv.parse_resolution_overdue(data["resolution_overdue"])
        assert overdue is not None
        await _check_references(
            session, workspace_id, {"resolution_overdue.targets": overdue.targets}
        )
        data["resolution_overdue"] = overdue.model_dump(mode="json", exclude_none=True)
    if data.get("is_default"):  # one default per workspace: the newest wins
        for other in await session.scalars(
            in_workspace(EscalationPolicy, workspace_id).where(EscalationPolicy.is_default)
        ):
            if other is not policy:
                other.is_default = False
        await session.flush()
    if policy is None:
        policy = EscalationPolicy(workspace_id=workspace_id, **data)
        session.add(policy)
    else:
        for name, value in data.items():
            setattr(policy, name, value)
    await session.flush()
    return policy


async def install_default(session: AsyncSession, *, workspace_id: uuid.UUID) -> EscalationPolicy:
    """The manuals' policy as the workspace default (once; then the existing one)."""
    existing = await session.scalar(
        in_workspace(EscalationPolicy, workspace_id).where(EscalationPolicy.is_default)
    )
    if existing is not None:
        return existing
    return await save_policy(
        session,
        workspace_id=workspace_id,
        data={
            "name": "The manuals' escalation",
            "description": "The owner at once; the approver after 4 hours unacknowledged; "
            "management when the issue has no action plan 24 hours after the alert. An issue "
            "unresolved after its resolution time (48 hours): its owner, the campaign owner "
            "and management.",
            "levels": lv.DEFAULT_LEVELS,
            "resolution_overdue": lv.DEFAULT_RESOLUTION_OVERDUE,
            "repeat": 1,
            "is_default": True,
        },
    )


async def list_policies(
    session: AsyncSession, *, workspace_id: uuid.UUID, page: PageRequest
) -> Results[EscalationPolicy]:
    return await paginate(
        session,
        in_workspace(EscalationPolicy, workspace_id),
        EscalationPolicy,
        page,
        SortKey("name", EscalationPolicy.name, "str"),
    )


async def get_policy(
    session: AsyncSession, *, workspace_id: uuid.UUID, policy_id: uuid.UUID
) -> EscalationPolicy:
    return await get_in_workspace(
        session, EscalationPolicy, workspace_id=workspace_id, entity_id=policy_id, label="Policy"
    )


async def check_policy_reference(
    session: AsyncSession, *, workspace_id: uuid.UUID, policy_id: uuid.UUID | None
) -> None:
    """A rule may name a policy of its own workspace only (422 naming the field)."""
    if policy_id is None:
        return
    policy = await session.scalar(
        in_workspace(EscalationPolicy, workspace_id).where(EscalationPolicy.id == policy_id)
    )
    if policy is None:
        raise Invalid(
            "Unknown escalation policy.",
            [FieldError("escalation_policy_id", f"no policy {policy_id} here")],
        )
