"""Share links: made and revoked by an editor, listed per campaign, and resolved from the
token a page's URL carries.

A token is `cos_<prefix>_<secret>`: 256 random bits, of which only the SHA-256 is kept
(like API keys), so a database dump opens nothing. A token that is unknown, malformed,
revoked or expired resolves to the same NotFound: nobody learns whether a link existed.
"""

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.actor import Actor
from shared.campaigns.models import Campaign
from shared.config import get_settings
from shared.errors import NotFound
from shared.pagination import PageRequest, Results, paginate
from shared.share_links.models import ShareLink
from shared.tenancy import get_in_workspace, in_workspace

LINK_SCHEME = "cos"
PREFIX_HEX = 10
SECRET_BYTES = 32
MIN_LIFETIME = timedelta(hours=1)
MAX_LIFETIME = timedelta(days=90)
DEFAULT_LIFETIME = timedelta(days=7)
# Writing last_used_at on every page view would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
PAGES_PATH = "/pages/s"
NOT_VALID = (
    "This link is not valid: it may have expired or been revoked, or it was mistyped. "
    "Ask whoever shared it for a new one."
)


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _prefix_of(token: str) -> str | None:
    """The prefix of a well-formed token `cos_<prefix>_<secret>`, else None."""
    parts = token.split("_", 2)
    if (
        len(parts) != 3
        or parts[0] != LINK_SCHEME
        or len(parts[1]) != PREFIX_HEX
        or len(parts[2]) < 32
    ):
        return None
    return parts[1]


def page_path(token: str, page: str = "report") -> str:
    return f"{PAGES_PATH}/{token}/{page}"


def page_url(token: str, page: str = "report") -> str:
    """The page under PUBLIC_BASE_URL, as messages carry it."""
    return get_settings().public_base_url.rstrip("/") + page_path(token, page)


async def create_link(
    session: AsyncSession,
    *,
    campaign: Campaign,
    actor: Actor | None,
    label: str | None,
    lifetime: timedelta,
    now: datetime,
) -> tuple[ShareLink, str]:
    """The stored link and its token; the token cannot be recovered afterwards. The caller
    bounds `lifetime` (MIN_LIFETIME..MAX_LIFETIME); `actor` is None for a report's link."""
    assert MIN_LIFETIME <= lifetime <= MAX_LIFETIME, lifetime
    prefix = secrets.token_hex(PREFIX_HEX // 2)
    token = f"{LINK_SCHEME}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    link = ShareLink(
        workspace_id=campaign.workspace_id,
        campaign_id=campaign.id,
        prefix=prefix,
        token_hash=hash_token(token),
        label=label,
        created_at=now,
        expires_at=now + lifetime,
        created_by_api_key_id=actor.api_key_id if actor else None,
        created_by_member_id=actor.member_id if actor else None,
    )
    session.add(link)
    await session.flush()
    return link, token


async def list_links(
    session: AsyncSession,
    *,
    campaign: Campaign,
    page: PageRequest,
    active: bool | None,
    now: datetime,
) -> Results[ShareLink]:
    query = in_workspace(ShareLink, campaign.workspace_id).where(
        ShareLink.campaign_id == campaign.id
    )
    if active is True:
        query = query.where(ShareLink.revoked_at.is_(None), ShareLink.expires_at > now)
    elif active is False:
        query = query.where((ShareLink.revoked_at.is_not(None)) | (ShareLink.expires_at <= now))
    return await paginate(session, query, ShareLink, page)


async def get_link(session: AsyncSession, *, campaign: Campaign, link_id: uuid.UUID) -> ShareLink:
    """The campaign's link; 404 for another campaign's or workspace's."""
    link = await get_in_workspace(
        session,
        ShareLink,
        workspace_id=campaign.workspace_id,
        entity_id=link_id,
        label="Share link",
    )
    if link.campaign_id != campaign.id:
        raise NotFound(f"Share link {link_id} not found.")
    return link


async def revoke_link(
    session: AsyncSession, *, link: ShareLink, actor: Actor, now: datetime
) -> ShareLink:
    """Stops the link at once; revoking a revoked link changes nothing."""
    if link.revoked_at is None:
        link.revoked_at = now
        link.revoked_by_api_key_id = actor.api_key_id
        await session.flush()
    return link


async def resolve(session: AsyncSession, *, token: str, now: datetime) -> Campaign:
    """The campaign an active link opens; NotFound (always the same) otherwise."""
    prefix = _prefix_of(token)
    link = None
    if prefix is not None:
        link = await session.scalar(select(ShareLink).where(ShareLink.prefix == prefix))
    if (
        link is None
        or not hmac.compare_digest(link.token_hash, hash_token(token))
        or not link.is_active(now)
    ):
        raise NotFound(NOT_VALID, code="share_link_not_valid")
    campaign = await session.scalar(
        in_workspace(Campaign, link.workspace_id).where(Campaign.id == link.campaign_id)
    )
    if campaign is None:  # the campaign goes with its links (ON DELETE CASCADE)
        raise NotFound(NOT_VALID, code="share_link_not_valid")
    if link.last_used_at is None or now - link.last_used_at > LAST_USED_RESOLUTION:
        # A bookkeeping column: written without bumping the link's version.
        await session.execute(
            update(ShareLink).where(ShareLink.id == link.id).values(last_used_at=now)
        )
    return campaign
