"""API keys: created with a secret shown once, looked up by prefix, verified by hash."""

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.actor import Role
from shared.errors import Conflict, FieldError, Invalid
from shared.pagination import PageRequest, Results, paginate
from shared.tenancy import get_in_workspace, in_workspace
from shared.timeutil import utcnow
from shared.workspaces.models import ApiKey, Member
from shared.workspaces.verified_keys import VerifiedKey, VerifiedKeys

KEY_SCHEME = "cok"
# Writing last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _split(token: str) -> str | None:
    """The prefix of a well-formed key `cok_<prefix>_<secret>`, else None."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_SCHEME or len(parts[1]) != 10 or len(parts[2]) < 32:
        return None
    return parts[1]


async def create_api_key(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    name: str,
    role: Role,
    member_id: uuid.UUID | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Return the stored key and its secret; the secret cannot be recovered afterwards."""
    errors = []
    if member_id is not None:
        member = await session.scalar(
            in_workspace(Member, workspace_id).where(Member.id == member_id)
        )
        if member is None:
            errors.append(FieldError("member_id", f"No member {member_id} in this workspace."))
    if expires_at is not None and (expires_at.tzinfo is None or expires_at <= utcnow()):
        errors.append(FieldError("expires_at", "Must be a timezone-aware time in the future."))
    if errors:
        raise Invalid("The API key cannot be created.", errors)

    prefix = secrets.token_hex(5)
    token = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey(
        workspace_id=workspace_id,
        name=name,
        prefix=prefix,
        key_hash=hash_key(token),
        role=role,
        member_id=member_id,
        expires_at=expires_at,
    )
    session.add(api_key)
    await session.flush()
    return api_key, token


async def authenticate(
    session: AsyncSession, *, token: str, verified: VerifiedKeys | None = None
) -> VerifiedKey | None:
    """The active key for `token`, or None; records when it was last used.

    With `verified`, a key checked a moment ago is taken from there without a lookup.
    """
    prefix = _split(token)
    if prefix is None:
        return None
    key_hash = hash_key(token)
    cached = verified.get(key_hash) if verified is not None else None
    if cached is not None:
        return await _in_use(session, cached, verified, key_hash)
    api_key = await session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if api_key is None or not hmac.compare_digest(api_key.key_hash, key_hash):
        return None
    if api_key.revoked_at is not None:
        return None
    key = _verified(api_key)
    if verified is not None:
        verified.put(key_hash, key)
    return await _in_use(session, key, verified, key_hash)


async def authenticate_by_id(
    session: AsyncSession, *, workspace_id: uuid.UUID, api_key_id: uuid.UUID
) -> VerifiedKey | None:
    """The key a credential derived from it (a stream token) names, if it is still active;
    records when it was last used."""
    api_key = await session.scalar(
        in_workspace(ApiKey, workspace_id).where(ApiKey.id == api_key_id)
    )
    if api_key is None or api_key.revoked_at is not None:
        return None
    return await _in_use(session, _verified(api_key), None, b"")


def _verified(api_key: ApiKey) -> VerifiedKey:
    return VerifiedKey(
        id=api_key.id,
        workspace_id=api_key.workspace_id,
        prefix=api_key.prefix,
        role=api_key.role,
        member_id=api_key.member_id,
        expires_at=api_key.expires_at,
        last_used_at=api_key.last_used_at,
    )


async def _in_use(
    session: AsyncSession, key: VerifiedKey, verified: VerifiedKeys | None, key_hash: bytes
) -> VerifiedKey | None:
    now = utcnow()
    if not key.is_active(now):
        return None
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        # A bookkeeping column: written without bumping the resource version.
        await session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
        if verified is not None:
            verified.used(key_hash, now)
    return key


async def get_api_key(
    session: AsyncSession, *, workspace_id: uuid.UUID, api_key_id: uuid.UUID
) -> ApiKey:
    return await get_in_workspace(
        session, ApiKey, workspace_id=workspace_id, entity_id=api_key_id, label="API key"
    )


async def list_api_keys(
    session: AsyncSession, *, workspace_id: uuid.UUID, page: PageRequest, active: bool | None
) -> Results[ApiKey]:
    query = in_workspace(ApiKey, workspace_id)
    if active is True:
        query = query.where(ApiKey.revoked_at.is_(None))
    elif active is False:
        query = query.where(ApiKey.revoked_at.is_not(None))
    return await paginate(session, query, ApiKey, page)


async def revoke_api_key(session: AsyncSession, *, api_key: ApiKey) -> ApiKey:
    """Revoke a key; refuses to revoke the workspace's last active admin key (no lock-out)."""
    if api_key.revoked_at is not None:
        return api_key
    now = utcnow()
    if api_key.role == Role.admin:
        # FOR UPDATE: two concurrent revocations of the last two admin keys cannot both pass.
        admin_keys = (
            await session.scalars(
                in_workspace(ApiKey, api_key.workspace_id)
                .where(ApiKey.role == Role.admin, ApiKey.revoked_at.is_(None))
                .with_for_update()
            )
        ).all()
        if not any(key.id != api_key.id and key.is_active(now) for key in admin_keys):
            raise Conflict(
                "This is the last active admin key of the workspace; create another first."
            )
    api_key.revoked_at = now
    await session.flush()
    return api_key
