"""Workspaces and their members."""

import re
import secrets
import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import plain_sql
from shared.errors import Conflict, FieldError, NotFound
from shared.pagination import PageRequest, Results, paginate
from shared.tenancy import get_in_workspace, in_workspace
from shared.versioning import apply_changes, check_version
from shared.workspaces.models import ApiKey, Member, Workspace


def _slugify(name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "workspace"
    return f"{base}-{secrets.token_hex(3)}"


async def create_workspace(
    session: AsyncSession,
    *,
    name: str,
    default_timezone: str = "UTC",
    default_currency: str = "USD",
) -> Workspace:
    workspace = Workspace(
        name=name,
        slug=_slugify(name),
        default_timezone=default_timezone,
        default_currency=default_currency,
    )
    session.add(workspace)
    await session.flush()
    return workspace


async def get_workspace(session: AsyncSession, *, workspace_id: uuid.UUID) -> Workspace:
    workspace = await session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound("Workspace not found.")
    return workspace


_READ_WORKSPACE = plain_sql.select_all(Workspace) + " WHERE id = $1"


async def read_workspace(session: AsyncSession, *, workspace_id: uuid.UUID) -> dict[str, Any]:
    """The workspace's columns, for a response: every screen reads it (plain SQL)."""
    workspace = await plain_sql.fetch_one(session, _READ_WORKSPACE, workspace_id)
    if workspace is None:
        raise NotFound("Workspace not found.")
    return workspace


async def list_workspaces(session: AsyncSession) -> list[Workspace]:
    return list((await session.scalars(select(Workspace).order_by(Workspace.created_at))).all())


async def update_workspace(
    session: AsyncSession,
    *,
    workspace: Workspace,
    changes: dict[str, Any],
    expected_versions: Collection[int] | None,
) -> Workspace:
    if apply_changes(workspace, changes, expected_versions):
        await session.flush()
    return workspace


async def _ensure_email_free(
    session: AsyncSession, *, workspace_id: uuid.UUID, email: str, except_id: uuid.UUID | None
) -> None:
    query = in_workspace(Member, workspace_id).where(Member.email == email)
    if except_id is not None:
        query = query.where(Member.id != except_id)
    if await session.scalar(query) is not None:
        raise Conflict(f"A member with email {email} already exists.", field="email")


async def create_member(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    name: str,
    email: str,
    department: str | None = None,
    title: str | None = None,
) -> Member:
    email = email.lower()
    await _ensure_email_free(session, workspace_id=workspace_id, email=email, except_id=None)
    member = Member(
        workspace_id=workspace_id, name=name, email=email, department=department, title=title
    )
    session.add(member)
    await session.flush()
    return member


async def get_member(
    session: AsyncSession, *, workspace_id: uuid.UUID, member_id: uuid.UUID
) -> Member:
    return await get_in_workspace(
        session, Member, workspace_id=workspace_id, entity_id=member_id, label="Member"
    )


async def list_members(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    page: PageRequest,
    q: str | None = None,
    department: str | None = None,
) -> Results[Member]:
    query = in_workspace(Member, workspace_id)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Member.name.ilike(pattern), Member.email.ilike(pattern)))
    if department:
        query = query.where(func.lower(Member.department) == department.lower())
    return await paginate(session, query, Member, page)


async def update_member(
    session: AsyncSession,
    *,
    member: Member,
    changes: dict[str, Any],
    expected_versions: Collection[int] | None,
) -> Member:
    if "email" in changes:
        changes["email"] = changes["email"].lower()
        await _ensure_email_free(
            session, workspace_id=member.workspace_id, email=changes["email"], except_id=member.id
        )
    if apply_changes(member, changes, expected_versions):
        await session.flush()
    return member


async def delete_member(
    session: AsyncSession, *, member: Member, expected_versions: Collection[int] | None
) -> None:
    check_version(member, expected_versions)
    # Revoked keys keep their history; the foreign key unbinds them (ON DELETE SET NULL).
    has_active_keys = await session.scalar(
        select(exists().where(ApiKey.member_id == member.id, ApiKey.revoked_at.is_(None)))
    )
    if has_active_keys:
        raise Conflict("Active API keys are bound to this member; revoke them first.")
    await session.delete(member)
    await session.flush()


async def unknown_members(
    session: AsyncSession, *, workspace_id: uuid.UUID, member_ids: Collection[uuid.UUID | None]
) -> set[uuid.UUID]:
    """The ids among `member_ids` that are not members of the workspace."""
    wanted = {m for m in member_ids if m is not None}
    if not wanted:
        return set()
    found = await session.scalars(
        select(Member.id).where(Member.workspace_id == workspace_id, Member.id.in_(wanted))
    )
    return wanted - set(found.all())


async def member_names(
    session: AsyncSession, *, workspace_id: uuid.UUID, member_ids: Collection[uuid.UUID | None]
) -> dict[uuid.UUID, str]:
    """Names of the workspace's members among `member_ids` (others are left out)."""
    wanted = {m for m in member_ids if m is not None}
    if not wanted:
        return {}
    rows = await session.execute(
        select(Member.id, Member.name).where(
            Member.workspace_id == workspace_id, Member.id.in_(wanted)
        )
    )
    return dict(rows.all())


async def check_member_fields(
    session: AsyncSession, *, workspace_id: uuid.UUID, fields: dict[str, uuid.UUID | None]
) -> list[FieldError]:
    """A FieldError for each field naming someone who is not a member of the workspace."""
    unknown = await unknown_members(
        session, workspace_id=workspace_id, member_ids=list(fields.values())
    )
    return member_field_errors(fields, unknown)


def member_field_errors(
    fields: dict[str, uuid.UUID | None], unknown: Collection[uuid.UUID]
) -> list[FieldError]:
    """For checks that looked the members up already (a whole batch at once)."""
    return [
        FieldError(name, f"No member {value} in this workspace.", code="unknown_member")
        for name, value in fields.items()
        if value in unknown
    ]
