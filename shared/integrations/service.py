import uuid
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.integrations import signing
from shared.integrations.models import Integration, IntegrationStatus
from shared.pagination import PageRequest, Results, paginate
from shared.tenancy import get_in_workspace, in_workspace
from shared.versioning import apply_changes


async def create_integration(
    session: AsyncSession, *, workspace_id: uuid.UUID, data: dict[str, Any]
) -> Integration:
    integration = Integration(workspace_id=workspace_id, secret=signing.new_secret(), **data)
    session.add(integration)
    await session.flush()
    return integration


async def get_integration(
    session: AsyncSession, *, workspace_id: uuid.UUID, integration_id: uuid.UUID
) -> Integration:
    return await get_in_workspace(
        session,
        Integration,
        workspace_id=workspace_id,
        entity_id=integration_id,
        label="Integration",
    )


async def list_integrations(
    session: AsyncSession, *, workspace_id: uuid.UUID, page: PageRequest
) -> Results[Integration]:
    return await paginate(session, in_workspace(Integration, workspace_id), Integration, page)


async def update_integration(
    session: AsyncSession,
    *,
    integration: Integration,
    changes: dict[str, Any],
    expected_versions: Collection[int] | None,
) -> Integration:
    if apply_changes(integration, changes, expected_versions):
        await session.flush()
    return integration


async def rotate_secret(
    session: AsyncSession, *, integration: Integration, overlap: timedelta, now: datetime
) -> Integration:
    """A new secret; the old one keeps verifying for `overlap`, so senders can switch."""
    integration.previous_secret = integration.secret if overlap > timedelta(0) else None
    integration.previous_expires_at = now + overlap if overlap > timedelta(0) else None
    integration.secret = signing.new_secret()
    integration.secret_rotated_at = now
    await session.flush()
    return integration


def verify_delivery(
    integration: Integration, body: bytes, headers: Mapping[str, str], now: datetime
) -> bool:
    """Signed by the current secret, or by the previous one while its overlap lasts."""
    if integration.status != IntegrationStatus.active:
        return False
    if signing.verifies(integration.secret, body, headers):
        return True
    previous_valid = (
        integration.previous_secret is not None
        and integration.previous_expires_at is not None
        and integration.previous_expires_at > now
    )
    return previous_valid and signing.verifies(integration.previous_secret or "", body, headers)
