"""Campaigns: create, find, list, edit and delete. Lifecycle moves live in lifecycle.py."""

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, literal_column
from sqlalchemy.ext.asyncio import AsyncSession

from shared import plain_sql
from shared.activity import tracking
from shared.actor import Actor
from shared.campaigns import lifecycle
from shared.campaigns.models import Campaign, CampaignKind, CampaignStatus
from shared.errors import Conflict, Invalid, NotFound
from shared.ids import new_id
from shared.pagination import PageRequest, Results, SortKey, paginate_rows
from shared.tenancy import get_in_workspace
from shared.timeutil import utcnow
from shared.versioning import apply_changes, check_version
from shared.workspaces import service as workspaces

# Fields that describe the campaign; they stay editable after approval.
DESCRIPTIVE_FIELDS = frozenset(
    {
        "name",
        "background",
        "objective_summary",
        "target_audience",
        "core_message",
        "channels",
        "tags",
        "owner_id",
    }
)

# Campaigns without dates sort after every dated one. The cursor carries date.max, which
# asyncpg sends as PostgreSQL's 'infinity': the SQL coalesces to that too, not to
# '9999-12-31', or the cursor's row would compare as before itself and come back forever.
_FAR_FUTURE = date.max
_START_OR_FAR_FUTURE = func.coalesce(Campaign.start_date, literal_column("'infinity'::date"))
SORTS = {
    "created_at": SortKey("created_at", Campaign.created_at, "datetime"),
    "-created_at": SortKey("created_at", Campaign.created_at, "datetime", descending=True),
    "start_date": SortKey("start_date", _START_OR_FAR_FUTURE, "date", null_as=_FAR_FUTURE),
    "-start_date": SortKey(
        "start_date", _START_OR_FAR_FUTURE, "date", descending=True, null_as=_FAR_FUTURE
    ),
    "name": SortKey("name", Campaign.name, "str"),
    "-name": SortKey("name", Campaign.name, "str", descending=True),
}


@dataclass(frozen=True)
class CampaignFilters:
    statuses: Collection[CampaignStatus] = ()
    owner_id: uuid.UUID | None = None
    kind: CampaignKind | None = None
    tag: str | None = None
    active_from: date | None = None  # campaigns whose dates overlap [active_from, active_to]
    active_to: date | None = None
    q: str | None = None


async def _check_owner(session: AsyncSession, workspace_id: uuid.UUID, owner_id: Any) -> None:
    errors = await workspaces.check_member_fields(
        session, workspace_id=workspace_id, fields={"owner_id": owner_id}
    )
    if errors:
        raise Invalid("The owner must be a member of the workspace.", errors)


# A campaign's creation is every idempotent POST's hot path: one plain SQL statement
# (shared.plain_sql) inserts the campaign with the workspace's defaults and its log entry.
_CREATED_FIELDS = (
    "name",
    "kind",
    "status",
    "background",
    "objective_summary",
    "target_audience",
    "core_message",
    "channels",
    "tags",
    "start_date",
    "end_date",
    "owner_id",
    "created_at",
)
_FIRST_ENTRY_ARGUMENT = 5 + len(_CREATED_FIELDS)
_ENTRY_VALUES = [f"${_FIRST_ENTRY_ARGUMENT + i}" for i in range(len(tracking.ENTRY_COLUMNS))]
# The log names the time zone and currency the database chose, as it names every field.
_ENTRY_VALUES[tracking.ENTRY_COLUMNS.index("changes")] += (
    "::jsonb || jsonb_build_object('timezone', jsonb_build_array(NULL, campaign.timezone), "
    "'currency', jsonb_build_array(NULL, campaign.currency))"
)
_INSERT_CAMPAIGN = (
    "WITH campaign AS (INSERT INTO campaigns (id, workspace_id, version, timezone, currency, "  # noqa: S608
    f"{', '.join(_CREATED_FIELDS)}) "
    "SELECT $1, workspaces.id, 1, coalesce($3, workspaces.default_timezone), "
    "coalesce($4, workspaces.default_currency), "
    f"{', '.join(f'${i}' for i in range(5, _FIRST_ENTRY_ARGUMENT))} "
    "FROM workspaces WHERE workspaces.id = $2 RETURNING *), "
    f"entry AS (INSERT INTO activity_entries ({', '.join(tracking.ENTRY_COLUMNS)}) "
    f"SELECT {', '.join(_ENTRY_VALUES)} FROM campaign) "
    f"SELECT {', '.join(column.name for column in Campaign.__table__.columns)} FROM campaign"
)


async def create_campaign(
    session: AsyncSession, *, actor: Actor, data: dict[str, Any]
) -> dict[str, Any]:
    """The new draft's row (every column). `data`: CampaignCreate's fields."""
    await _check_owner(session, actor.workspace_id, data.get("owner_id"))
    campaign_id = new_id()
    values = data | {"status": CampaignStatus.draft.value, "created_at": utcnow()}
    entry = tracking.creation_entry(
        session,
        workspace_id=actor.workspace_id,
        campaign_id=campaign_id,
        entity_type=Campaign.change_log_name,
        entity_id=campaign_id,
        values=values,
    )
    row = await plain_sql.fetch_one(
        session,
        _INSERT_CAMPAIGN,
        campaign_id,
        actor.workspace_id,
        data.get("timezone"),
        data.get("currency"),
        *(values.get(name) for name in _CREATED_FIELDS),
        *entry,
        write=True,
    )
    if row is None:  # the key outlived its workspace by the verified keys' cache
        raise NotFound("Workspace not found.")
    return row


async def get_campaign(
    session: AsyncSession, *, workspace_id: uuid.UUID, campaign_id: uuid.UUID, lock: bool = False
) -> Campaign:
    """`lock`: hold the row until commit, so writes to one campaign never interleave."""
    return await get_in_workspace(
        session,
        Campaign,
        workspace_id=workspace_id,
        entity_id=campaign_id,
        label="Campaign",
        for_update=lock,
    )


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


_SELECT_CAMPAIGNS = plain_sql.select_all(Campaign)


async def list_campaigns(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    filters: CampaignFilters,
    sort: str,
    page: PageRequest,
) -> Results[dict[str, Any]]:
    """One page of the workspace's campaigns, as rows (plain SQL: the list screen's read)."""
    conditions, args = ["workspace_id = $1"], [workspace_id]

    def where(condition: str, value: Any) -> None:
        args.append(value)
        conditions.append(condition.replace("?", f"${len(args)}"))

    if filters.statuses:
        where("status = ANY(?::varchar[])", [status.value for status in filters.statuses])
    if filters.owner_id is not None:
        where("owner_id = ?", filters.owner_id)
    if filters.kind is not None:
        where("kind = ?", filters.kind.value)
    if filters.tag:
        where("tags @> ARRAY[?::varchar]", filters.tag)
    if filters.active_from is not None:
        where("end_date >= ?", filters.active_from)
    if filters.active_to is not None:
        where("start_date <= ?", filters.active_to)
    if filters.q:
        where("(name ILIKE ? OR background ILIKE ?)", _like(filters.q))
    return await paginate_rows(session, _SELECT_CAMPAIGNS, conditions, args, page, SORTS[sort])


async def update_campaign(
    session: AsyncSession,
    *,
    campaign: Campaign,
    changes: dict[str, Any],
    expected_versions: Collection[int] | None,
) -> Campaign:
    check_version(campaign, expected_versions)
    plan_fields = sorted(set(changes) - DESCRIPTIVE_FIELDS)
    if plan_fields:
        lifecycle.ensure_editable(
            campaign, lifecycle.PLAN_EDITABLE, f"The plan ({', '.join(plan_fields)})"
        )
    else:
        lifecycle.ensure_editable(campaign, lifecycle.EXECUTION_EDITABLE, "The campaign")
    if "owner_id" in changes:
        await _check_owner(session, campaign.workspace_id, changes["owner_id"])
    if apply_changes(campaign, changes, None):
        await session.flush()
    return campaign


async def delete_campaign(
    session: AsyncSession, *, campaign: Campaign, expected_versions: Collection[int] | None
) -> None:
    check_version(campaign, expected_versions)
    if campaign.status != CampaignStatus.draft:
        raise Conflict(
            f"Only a draft can be deleted; this campaign is {campaign.status.value}. "
            "Cancel it instead.",
            code="invalid_transition",
            campaign_status=campaign.status.value,
            allowed_actions=lifecycle.allowed_actions(campaign.status),
        )
    await session.delete(campaign)
    await session.flush()
