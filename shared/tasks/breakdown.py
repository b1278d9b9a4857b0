"""A campaign's breakdown loaded at once: as ORM objects to change it, as plain rows to
read the schedule (validation and the derived views need the whole of it)."""

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Enum, String, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import Campaign, Phase
from shared.tasks.models import Task, TaskDependency, TaskLevel, TaskStatus
from shared.tenancy import in_workspace


@dataclass
class Graph:
    """A campaign's whole breakdown, loaded at once: validation and derived views need it."""

    tasks: dict[uuid.UUID, Task]
    dependencies: list[TaskDependency]
    phases: dict[uuid.UUID, Phase] = field(default_factory=dict)

    def predecessors(self, task_id: uuid.UUID) -> list[TaskDependency]:
        return [d for d in self.dependencies if d.successor_id == task_id]

    def children(self, task_id: uuid.UUID) -> list[Any]:
        return [t for t in self.tasks.values() if t.parent_id == task_id]

    def work_items(self) -> list[Any]:
        """The tasks no other task sits under: the work itself, not the strategies and
        modules above it (the leaves of the breakdown)."""
        parents = {t.parent_id for t in self.tasks.values() if t.parent_id}
        return [t for t in self.tasks.values() if t.id not in parents]

    def predecessor_index(self) -> dict[uuid.UUID, list[TaskDependency]]:
        """Every task's incoming dependencies at once (reads over the whole graph use it)."""
        index: dict[uuid.UUID, list[TaskDependency]] = {}
        for dependency in self.dependencies:
            index.setdefault(dependency.successor_id, []).append(dependency)
        return index

    def codes(self, ids: Collection[uuid.UUID]) -> list[str]:
        return [self.tasks[i].code if i in self.tasks else str(i) for i in ids]


# What the schedule, the derived views and the list filters read of each task.
SCHEDULE_COLUMNS = (
    Task.id,
    Task.code,
    Task.name,
    Task.level,
    Task.parent_id,
    Task.phase_id,
    Task.goal_id,
    Task.owner_id,
    Task.priority,
    Task.planned_start,
    Task.planned_end,
    Task.actual_end,
    Task.status,
    Task.progress,
    Task.created_at,
)
LINK_COLUMNS = (TaskDependency.predecessor_id, TaskDependency.successor_id, TaskDependency.lag_days)


class TaskRow(NamedTuple):
    """A task as the schedule reads it; a tuple, since SQLAlchemy rows read attributes
    ten times slower and a schedule reads hundreds of thousands of them."""

    id: uuid.UUID
    code: str
    name: str
    level: TaskLevel
    parent_id: uuid.UUID | None
    phase_id: uuid.UUID | None
    goal_id: uuid.UUID | None
    owner_id: uuid.UUID | None
    priority: Any
    planned_start: date | None
    planned_end: date | None
    actual_end: date | None
    status: TaskStatus
    progress: int
    created_at: datetime


class LinkRow(NamedTuple):
    predecessor_id: uuid.UUID
    successor_id: uuid.UUID
    lag_days: int


async def load_graph(session: AsyncSession, campaign: Campaign) -> Graph:
    """The campaign's breakdown as ORM objects, for changing it."""
    tasks = (
        await session.scalars(
            in_workspace(Task, campaign.workspace_id).where(Task.campaign_id == campaign.id)
        )
    ).all()
    dependencies = (
        await session.scalars(
            in_workspace(TaskDependency, campaign.workspace_id).where(
                TaskDependency.campaign_id == campaign.id
            )
        )
    ).all()
    return Graph({t.id: t for t in tasks}, list(dependencies), await _phases(session, campaign))


async def load_schedule_graph(session: AsyncSession, campaign: Campaign) -> Graph:
    """The breakdown as plain rows of the schedule's columns: reads only, but several times
    faster than ORM objects for thousands of tasks."""
    # Enum columns come back as their plain string values (equal to the members):
    # converting thousands of them one by one cost more than the query.
    columns = [
        type_coerce(c, String).label(c.key) if isinstance(c.type, Enum) else c
        for c in SCHEDULE_COLUMNS
    ]
    tasks: Any = await session.execute(
        select(*columns).where(
            Task.workspace_id == campaign.workspace_id, Task.campaign_id == campaign.id
        )
    )
    links: Any = await session.execute(
        select(*LINK_COLUMNS).where(
            TaskDependency.workspace_id == campaign.workspace_id,
            TaskDependency.campaign_id == campaign.id,
        )
    )
    rows = [TaskRow._make(t) for t in tasks]
    return Graph(
        {t.id: t for t in rows},  # type: ignore[misc]
        [LinkRow._make(link) for link in links],  # type: ignore[misc]
        await _phases(session, campaign),
    )


async def schedule_fingerprint(session: AsyncSession, campaign: Campaign, today: date) -> str:
    """Changes whenever anything the schedule shows may have changed (or the day turns)."""

    def stamps(model: Any) -> list[Any]:
        scope = (model.workspace_id == campaign.workspace_id, model.campaign_id == campaign.id)
        # Row versions move on every update, even two within one transaction.
        return [
            select(func.count()).select_from(model).where(*scope).scalar_subquery(),
            select(func.max(model.updated_at)).where(*scope).scalar_subquery(),
            select(func.sum(model.version)).where(*scope).scalar_subquery(),
        ]

    parts = (
        await session.execute(select(*stamps(Task), *stamps(TaskDependency), *stamps(Phase)))
    ).one()
    return ":".join(str(p) for p in (campaign.id, campaign.version, today, *parts))


async def _phases(session: AsyncSession, campaign: Campaign) -> dict[uuid.UUID, Phase]:
    phases = (
        await session.scalars(
            in_workspace(Phase, campaign.workspace_id).where(Phase.campaign_id == campaign.id)
        )
    ).all()
    return {p.id: p for p in phases}
