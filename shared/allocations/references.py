"""Budget lines and expenses that name a channel (by its key) and a piece of work.

The columns live with the plan (`shared.campaigns`), but what they point at lives above
it: channels in `shared.figures`, the breakdown in `shared.tasks`. So the checks, and
the translation between a channel's key (how the API names channels everywhere) and
its id (how the rows store it), are made here, as hooks of the plan's item kinds.
"""

import dataclasses
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import object_mapper

from shared.campaigns import plan
from shared.campaigns.models import BudgetLine, Campaign, Expense
from shared.errors import FieldError, Invalid
from shared.figures.channels import channel_keys
from shared.figures.models import CampaignChannel, Channel
from shared.tasks.models import Task


async def attached_channel(
    session: AsyncSession, *, campaign: Campaign, key: str, field: str = "channel_key"
) -> tuple[Channel | None, list[FieldError]]:
    """The workspace's channel with this key, if the campaign runs on it; else why not.

    Keys are per workspace, so another workspace's channel is simply unknown here.
    """
    row = (
        await session.execute(
            select(Channel, CampaignChannel.id)
            .outerjoin(
                CampaignChannel,
                and_(
                    CampaignChannel.channel_id == Channel.id,
                    CampaignChannel.campaign_id == campaign.id,
                ),
            )
            .where(Channel.workspace_id == campaign.workspace_id, Channel.key == key)
        )
    ).first()
    if row is None:
        message = f"No channel '{key}' in this workspace; create it first (POST /v1/channels)."
        return None, [FieldError(field, message, code="unknown_channel")]
    channel, attachment = row
    if attachment is None:
        message = (
            f"'{key}' is not one of the campaign's channels; attach it first "
            f"(PUT /v1/campaigns/{campaign.id}/channels)."
        )
        return None, [FieldError(field, message, code="channel_not_attached")]
    return channel, []


async def task_errors(
    session: AsyncSession, *, campaign: Campaign, task_id: uuid.UUID, field: str = "task_id"
) -> list[FieldError]:
    """Nothing when the task (strategy, module or task) is part of this campaign's breakdown."""
    found = await session.scalar(
        select(Task.id).where(
            Task.workspace_id == campaign.workspace_id,
            Task.campaign_id == campaign.id,
            Task.id == task_id,
        )
    )
    if found is None:
        return [FieldError(field, f"No task {task_id} in this campaign.", code="unknown_task")]
    return []


def _prepare_for(label: str) -> plan.Prepare:
    async def prepare(
        session: AsyncSession, campaign: Campaign, data: dict[str, Any]
    ) -> dict[str, Any]:
        values = dict(data)
        errors: list[FieldError] = []
        # Checked when named, not on every later edit: a channel detached afterwards
        # keeps the money recorded against it, and other fields stay editable.
        if "channel_key" in values:
            key = values.pop("channel_key")
            values["channel_id"] = None
            if key is not None:
                channel, errors = await attached_channel(session, campaign=campaign, key=key)
                values["channel_id"] = channel.id if channel is not None else None
        if values.get("task_id") is not None:
            errors += await task_errors(session, campaign=campaign, task_id=values["task_id"])
        if errors:
            raise Invalid(f"The {label} names a channel or task outside this campaign.", errors)
        return values

    return prepare


async def _with_channel_keys(
    session: AsyncSession, campaign: Campaign, items: Sequence[BudgetLine | Expense]
) -> list[Any]:
    keys = await channel_keys(
        session,
        workspace_id=campaign.workspace_id,
        ids={item.channel_id for item in items if item.channel_id is not None},
    )
    shown = []
    for item in items:
        columns = {c.key: getattr(item, c.key) for c in object_mapper(item).column_attrs}
        key = keys.get(item.channel_id) if item.channel_id is not None else None
        shown.append(columns | {"channel_key": key})
    return shown


# The plan's own kinds, plus the references: what the API writes and reads through.
BUDGET_LINES = dataclasses.replace(
    plan.BUDGET_LINES, prepare=_prepare_for("budget line"), present=_with_channel_keys
)
EXPENSES = dataclasses.replace(
    plan.EXPENSES, prepare=_prepare_for("expense"), present=_with_channel_keys
)
