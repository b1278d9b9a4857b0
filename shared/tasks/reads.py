"""What the task screens read: each task with its derived fields (overdue, slip, critical
path), filtered lists, and the whole schedule as Gantt rows, cached while the plan stands."""

import contextlib
import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import Campaign, Level
from shared.errors import FieldError, Invalid
from shared.pagination import PageRequest, SortKey, paginate_loaded
from shared.tasks import breakdown, service, views
from shared.tasks.models import Task, TaskLevel, TaskStatus
from shared.tasks.schedule import CycleError, Schedule

CREATED_ORDER = SortKey("created_at", Task.created_at, "datetime")
SCHEDULE_CACHE_SECONDS = 3600


@dataclass(frozen=True)
class TaskFilters:
    statuses: list[TaskStatus] | None = None
    owner_id: uuid.UUID | None = None
    priority: Level | None = None
    level: TaskLevel | None = None
    overdue: bool | None = None
    critical: bool | None = None  # on the critical path
    parent_id: uuid.UUID | None = None
    goal_id: uuid.UUID | None = None

    def take(self, task: Any, derived: views.Derived) -> bool:
        return (
            (not self.statuses or task.status in self.statuses)
            and (self.owner_id is None or task.owner_id == self.owner_id)
            and (self.priority is None or task.priority == self.priority)
            and (self.level is None or task.level == self.level)
            and (self.overdue is None or derived.overdue == self.overdue)
            and (self.critical is None or derived.on_critical_path == self.critical)
            and (self.parent_id is None or task.parent_id == self.parent_id)
            and (self.goal_id is None or task.goal_id == self.goal_id)
        )


@dataclass(frozen=True)
class TaskListing:
    """A page of tasks as the API shows them (TaskOut fields)."""

    items: list[dict[str, Any]]
    next_cursor: str | None


async def _views(
    session: AsyncSession, campaign: Campaign, now: datetime
) -> tuple[breakdown.Graph, Schedule, dict[uuid.UUID, views.Derived]]:
    graph = await breakdown.load_schedule_graph(session, campaign)
    try:
        plan = views.build_schedule(campaign, graph)
    except CycleError as exc:  # only reachable if the database was edited by hand
        raise Invalid(
            "The dependencies form a cycle.", [FieldError("predecessors", str(exc))]
        ) from exc
    return graph, plan, views.derive(campaign, graph, plan, now)


async def task_views(
    session: AsyncSession, campaign: Campaign, tasks: list[Task], now: datetime
) -> list[dict[str, Any]]:
    """These tasks of the campaign as the API shows them (TaskOut fields)."""
    graph, _, derived = await _views(session, campaign, now)
    index = graph.predecessor_index()
    return [views.task_view(t, graph, derived[t.id], index) for t in tasks]


async def list_tasks(
    session: AsyncSession,
    campaign: Campaign,
    *,
    filters: TaskFilters,
    page: PageRequest,
    now: datetime,
) -> TaskListing:
    graph, _, derived = await _views(session, campaign, now)
    selected = [t for t in graph.tasks.values() if filters.take(t, derived[t.id])]
    results = paginate_loaded(selected, page, CREATED_ORDER)
    index = graph.predecessor_index()
    # The graph holds the schedule's columns only: the page's rows are read whole.
    full = await service.get_tasks(
        session, workspace_id=campaign.workspace_id, task_ids=[t.id for t in results.items]
    )
    return TaskListing(
        [views.task_view(full[t.id], graph, derived[t.id], index) for t in results.items],
        results.next_cursor,
    )


async def schedule_json(
    session: AsyncSession, campaign: Campaign, *, cache: Any, prefix: str, now: datetime
) -> bytes:
    """The schedule as the API's JSON body. Thousands of rows cost a few hundred ms to
    compute and only change with the plan: the finished JSON is kept in Redis (`cache`)
    under a fingerprint of everything it shows."""
    fingerprint = await breakdown.schedule_fingerprint(session, campaign, campaign.local_date(now))
    key = f"{prefix}:schedule:" + hashlib.sha256(fingerprint.encode()).hexdigest()
    try:
        cached: bytes | None = await cache.get(key)
    except Exception:
        cached = None  # the cache is an optimisation: compute without it
    if cached is None:
        graph, plan, derived = await _views(session, campaign, now)
        cached = orjson.dumps(
            {
                "finish": plan.finish,
                "critical_path": graph.codes(plan.critical_path),
                "rows": views.gantt_rows(graph, plan, derived),
                "conflicts": [c._asdict() for c in plan.conflicts],
            },
            default=str,
        )
        with contextlib.suppress(Exception):
            await cache.set(key, cached, ex=SCHEDULE_CACHE_SECONDS)
    return cached
