"""Due-soon warnings: N working days before a task's planned end, its owner hears of it.

N is the campaign's own setting, else the workspace's, else 3 (the manuals confirm
materials 3 days before they are needed); 0 turns warnings off. Warnings go out on
working days from 09:00 in the campaign's timezone, once per task and planned end: a
row per warning under a unique key, so any number of workers may sweep at once, and a
task whose planned end moves warns again for its new date.
"""

import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import Campaign, CampaignStatus
from shared.events import kinds
from shared.ids import new_id
from shared.tasks import notices, workdays
from shared.tasks.models import (
    FINISHED,
    DueSoonWarning,
    Task,
    TaskLevel,
    TaskReminderSetting,
)

SWEEP_LIMIT = 500
# Campaigns whose work is under way: approved (preparing) or running.
WATCHED = (CampaignStatus.approved, CampaignStatus.active)


async def _settings(
    session: AsyncSession, workspace_ids: list[uuid.UUID]
) -> tuple[dict[uuid.UUID, int], dict[uuid.UUID, int]]:
    """(workspace defaults, campaigns' own) for these workspaces."""
    rows = await session.scalars(
        select(TaskReminderSetting).where(TaskReminderSetting.workspace_id.in_(workspace_ids))
    )
    defaults, own = {}, {}
    for row in rows:
        if row.campaign_id is None:
            defaults[row.workspace_id] = row.due_soon_days
        else:
            own[row.campaign_id] = row.due_soon_days
    return defaults, own


async def workspace_due_soon_days(session: AsyncSession, *, workspace_id: uuid.UUID) -> int:
    defaults, _ = await _settings(session, [workspace_id])
    return defaults.get(workspace_id, workdays.DEFAULT_DUE_SOON_DAYS)


async def campaign_due_soon_days(
    session: AsyncSession, *, campaign: Campaign
) -> tuple[int | None, int]:
    """(the campaign's own setting or None, the number in effect)."""
    defaults, own = await _settings(session, [campaign.workspace_id])
    default = defaults.get(campaign.workspace_id, workdays.DEFAULT_DUE_SOON_DAYS)
    mine = own.get(campaign.id)
    return mine, default if mine is None else mine


async def set_workspace_due_soon_days(
    session: AsyncSession, *, workspace_id: uuid.UUID, days: int
) -> int:
    await session.execute(
        insert(TaskReminderSetting)
        .values(id=new_id(), workspace_id=workspace_id, campaign_id=None, due_soon_days=days)
        .on_conflict_do_update(
            index_elements=["workspace_id"],
            index_where=TaskReminderSetting.campaign_id.is_(None),
            set_={
                "due_soon_days": days,
                "version": TaskReminderSetting.version + 1,
                "updated_at": func.now(),
            },
        )
    )
    return days


async def set_campaign_due_soon_days(
    session: AsyncSession, *, campaign: Campaign, days: int | None
) -> tuple[int | None, int]:
    """The campaign's own number of days; None goes back to the workspace's."""
    if days is None:
        existing = await session.scalar(
            select(TaskReminderSetting).where(TaskReminderSetting.campaign_id == campaign.id)
        )
        if existing is not None:
            await session.delete(existing)
            await session.flush()
    else:
        await session.execute(
            insert(TaskReminderSetting)
            .values(
                id=new_id(),
                workspace_id=campaign.workspace_id,
                campaign_id=campaign.id,
                due_soon_days=days,
            )
            .on_conflict_do_update(
                index_elements=["campaign_id"],
                set_={
                    "due_soon_days": days,
                    "version": TaskReminderSetting.version + 1,
                    "updated_at": func.now(),
                },
            )
        )
    return await campaign_due_soon_days(session, campaign=campaign)


def _message(task: Task, end: date, today: date) -> str:
    if end == today:
        when = "today"
    else:
        left = workdays.working_days_left(today, end)
        when = f"on {end:%a %Y-%m-%d} ({left} working day{'' if left == 1 else 's'} left)"
    return f"{task.code} {task.name} is due {when}."


async def warn_due_soon(
    session: AsyncSession, *, now: datetime, limit: int = SWEEP_LIMIT
) -> list[DueSoonWarning]:
    """Warn the owners of the tasks that are due soon at `now` and were not warned for
    their planned end yet; returns the warnings made (at most `limit`; the rest wait for
    the next run). Tasks done or cancelled, and strategies and modules, are left out."""
    campaigns = (
        await session.scalars(
            select(Campaign).where(Campaign.status.in_(WATCHED)).order_by(Campaign.id)
        )
    ).all()
    defaults, own = await _settings(session, list({c.workspace_id for c in campaigns}))
    warned: list[DueSoonWarning] = []
    for campaign in campaigns:
        if len(warned) >= limit:
            break
        local_now = now.astimezone(ZoneInfo(campaign.timezone))
        days = own.get(
            campaign.id, defaults.get(campaign.workspace_id, workdays.DEFAULT_DUE_SOON_DAYS)
        )
        if days == 0 or not workdays.warns_now(local_now):
            continue
        today = local_now.date()
        already = exists().where(
            and_(
                DueSoonWarning.task_id == Task.id,
                DueSoonWarning.planned_end == Task.planned_end,
            )
        )
        tasks = (
            await session.scalars(
                select(Task)
                .where(
                    Task.workspace_id == campaign.workspace_id,
                    Task.campaign_id == campaign.id,
                    Task.level == TaskLevel.task,
                    Task.status.not_in(FINISHED),
                    Task.owner_id.is_not(None),
                    Task.planned_end.between(today, workdays.last_due_soon_day(today, days)),
                    ~already,
                )
                .order_by(Task.planned_end, Task.id)
                .limit(limit - len(warned))
            )
        ).all()
        for task in tasks:
            assert task.planned_end is not None
            # A concurrent sweep's uncommitted row makes this wait, then do nothing.
            warning_id = await session.scalar(
                insert(DueSoonWarning)
                .values(
                    id=new_id(),
                    workspace_id=task.workspace_id,
                    task_id=task.id,
                    planned_end=task.planned_end,
                    warned_at=now,
                    version=1,
                )
                .on_conflict_do_nothing(index_elements=["task_id", "planned_end"])
                .returning(DueSoonWarning.id)
            )
            if warning_id is None:
                continue
            left = workdays.working_days_left(today, task.planned_end)
            await notices.record(
                session,
                task=task,
                kind=kinds.TASK_DUE_SOON,
                actor=None,
                message=_message(task, task.planned_end, today),
                working_days_left=left,
                due_soon_days=days,
            )
            warning = await session.get(DueSoonWarning, warning_id)
            assert warning is not None
            warned.append(warning)
    await session.flush()
    return warned
