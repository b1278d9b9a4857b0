"""Tasks: the breakdown's rules — one owner, same-campaign links, no cycles, order of work."""

import re
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Enum, String, delete, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from shared import graphs
from shared.activity.models import ActivityEntry
from shared.activity.service import NoteKind, add_note
from shared.actor import Actor
from shared.campaigns import lifecycle
from shared.campaigns.models import BudgetLine, Campaign, Expense, Goal, Phase
from shared.errors import Conflict, FieldError, Invalid, NotFound
from shared.ids import new_id
from shared.tasks import notices, sign_off
from shared.tasks.models import Task, TaskDependency, TaskLevel, TaskStatus
from shared.tenancy import in_workspace
from shared.versioning import apply_changes, check_version
from shared.workspaces.service import member_field_errors, unknown_members

FINISHED = frozenset({TaskStatus.done, TaskStatus.cancelled})


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


async def get_task(session: AsyncSession, *, workspace_id: uuid.UUID, task_id: uuid.UUID) -> Task:
    task = await session.scalar(in_workspace(Task, workspace_id).where(Task.id == task_id))
    if task is None:
        raise NotFound(f"Task {task_id} not found.")
    return task


async def get_tasks(
    session: AsyncSession, *, workspace_id: uuid.UUID, task_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Task]:
    tasks = await session.scalars(in_workspace(Task, workspace_id).where(Task.id.in_(task_ids)))
    return {t.id: t for t in tasks}


# --- validation -------------------------------------------------------------------------


@dataclass(frozen=True)
class References:
    """What tasks may point at, fetched once for a whole batch."""

    unknown_members: set[uuid.UUID]
    goal_ids: set[uuid.UUID]


async def _references(session: AsyncSession, campaign: Campaign, tasks: list[Task]) -> References:
    unknown = await unknown_members(
        session,
        workspace_id=campaign.workspace_id,
        member_ids=[m for t in tasks for m in (t.owner_id, t.approver_id)],
    )
    goal_ids = await session.scalars(
        select(Goal.id).where(
            Goal.workspace_id == campaign.workspace_id, Goal.campaign_id == campaign.id
        )
    )
    return References(unknown, set(goal_ids))


def _reference_errors(
    graph: Graph, task: Task, refs: References, prefix: str = ""
) -> list[FieldError]:
    errors = member_field_errors(
        {f"{prefix}owner_id": task.owner_id, f"{prefix}approver_id": task.approver_id},
        refs.unknown_members,
    )
    if task.level == TaskLevel.task and task.owner_id is None:
        errors.append(
            FieldError(f"{prefix}owner_id", "A task needs exactly one responsible owner (R1).")
        )
    if task.parent_id is not None:
        parent = graph.tasks.get(task.parent_id)
        if parent is None:
            errors.append(FieldError(f"{prefix}parent_id", "No such task in this campaign."))
        elif parent.level.depth >= task.level.depth:
            errors.append(
                FieldError(
                    f"{prefix}parent_id",
                    f"A {task.level.value} cannot sit under a {parent.level.value} "
                    "(strategy > module > task).",
                )
            )
        elif _is_ancestor(graph, task.id, parent.id):
            errors.append(FieldError(f"{prefix}parent_id", "A task cannot sit under itself."))
    if any(child.level.depth <= task.level.depth for child in graph.children(task.id)):
        errors.append(
            FieldError(
                f"{prefix}level", "Its children must sit below it (strategy > module > task)."
            )
        )
    if task.goal_id is not None and task.goal_id not in refs.goal_ids:
        errors.append(FieldError(f"{prefix}goal_id", "No such goal in this campaign."))
    if task.phase_id is not None and task.phase_id not in graph.phases:
        errors.append(FieldError(f"{prefix}phase_id", "No such phase in this campaign."))
    for start, end in (("planned_start", "planned_end"), ("actual_start", "actual_end")):
        first, last = getattr(task, start), getattr(task, end)
        if first and last and last < first:
            errors.append(FieldError(f"{prefix}{end}", f"Ends before it starts ({first})."))
    return errors


def _is_ancestor(graph: Graph, ancestor: uuid.UUID, of: uuid.UUID) -> bool:
    cursor: uuid.UUID | None = of
    while cursor is not None:
        if cursor == ancestor:
            return True
        node = graph.tasks.get(cursor)
        cursor = node.parent_id if node else None
    return False


def _cycle_error(graph: Graph, edges: list[tuple[uuid.UUID, uuid.UUID]], field_name: str) -> None:
    cycle = graphs.find_cycle(edges)
    if cycle:
        path = " -> ".join(graph.codes(cycle))
        raise Invalid(
            f"These predecessors would make a cycle: {path}.",
            [FieldError(field_name, f"Dependency cycle: {path}", code="dependency_cycle")],
            code="dependency_cycle",
            cycle=graph.codes(cycle),
        )


def _next_code(graph: Graph) -> str:
    used = {t.code for t in graph.tasks.values()}
    numbers = [int(m.group(1)) for c in used if (m := re.fullmatch(r"T-(\d+)", c))]
    number = max(numbers, default=0) + 1
    return f"T-{number:03d}"


# --- writes ---------------------------------------------------------------------------------


async def _set_predecessors(
    session: AsyncSession,
    campaign: Campaign,
    graph: Graph,
    task: Task,
    predecessors: list[dict[str, Any]],
    field_name: str = "predecessors",
) -> None:
    errors = []
    for index, link in enumerate(predecessors):
        if link["task_id"] not in graph.tasks:
            errors.append(
                FieldError(f"{field_name}.{index}.task_id", "No such task in this campaign.")
            )
        elif link["task_id"] == task.id:
            errors.append(
                FieldError(f"{field_name}.{index}.task_id", "A task cannot follow itself.")
            )
    if errors:
        raise Invalid("The predecessors are not valid.", errors)
    kept = [d for d in graph.dependencies if d.successor_id != task.id]
    wanted = {link["task_id"]: link.get("lag_days", 0) for link in predecessors}
    edges = [(d.predecessor_id, d.successor_id) for d in kept]
    _cycle_error(graph, edges + [(p, task.id) for p in wanted], field_name)

    current = {d.predecessor_id: d for d in graph.predecessors(task.id)}
    for pred_id, dependency in current.items():
        if pred_id not in wanted:
            await session.delete(dependency)
            graph.dependencies.remove(dependency)
        elif dependency.lag_days != wanted[pred_id]:
            dependency.lag_days = wanted[pred_id]
    for pred_id, lag in wanted.items():
        if pred_id not in current:
            dependency = TaskDependency(
                workspace_id=campaign.workspace_id,
                campaign_id=campaign.id,
                predecessor_id=pred_id,
                successor_id=task.id,
                lag_days=lag,
            )
            session.add(dependency)
            graph.dependencies.append(dependency)


async def create_task(
    session: AsyncSession, *, campaign: Campaign, data: dict[str, Any], actor: Actor | None = None
) -> Task:
    lifecycle.ensure_editable(campaign, lifecycle.EXECUTION_EDITABLE, "Tasks")
    graph = await load_graph(session, campaign)
    predecessors = data.pop("predecessors", [])
    code = data.pop("code", None) or _next_code(graph)
    if any(t.code == code for t in graph.tasks.values()):
        raise Invalid("The code is taken.", [FieldError("code", f"{code} is already used.")])
    task = Task(
        id=new_id(),  # known before validation, which looks up the new task's children
        workspace_id=campaign.workspace_id,
        campaign_id=campaign.id,
        code=code,
        status=TaskStatus.todo,
        progress=0,
        **data,
    )
    errors = _reference_errors(graph, task, await _references(session, campaign, [task]))
    if errors:
        raise Invalid("The task is not valid.", errors)
    session.add(task)
    await session.flush()
    graph.tasks[task.id] = task
    await _set_predecessors(session, campaign, graph, task, predecessors)
    await session.flush()
    await notices.record_assignments(
        session, campaign=campaign, assignments=[(task, None)], actor=actor
    )
    return task


async def bulk_create(
    session: AsyncSession,
    *,
    campaign: Campaign,
    items: list[dict[str, Any]],
    actor: Actor | None = None,
) -> list[Task]:
    """A whole breakdown in one go: every item is checked first; any error and none is made."""
    lifecycle.ensure_editable(campaign, lifecycle.EXECUTION_EDITABLE, "Tasks")
    graph = await load_graph(session, campaign)
    by_code = {t.code: t for t in graph.tasks.values()}
    errors: list[FieldError] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item["code"] in seen or item["code"] in by_code:
            errors.append(FieldError(f"tasks.{index}.code", f"{item['code']} is used twice."))
        seen.add(item["code"])
    created: list[tuple[Task, dict[str, Any], int]] = []
    for index, item in enumerate(items):
        data = dict(item)
        parent_code = data.pop("parent_code", None)
        links = data.pop("predecessors", [])
        task = Task(
            id=new_id(),
            workspace_id=campaign.workspace_id,
            campaign_id=campaign.id,
            status=TaskStatus.todo,
            progress=0,
            **data,
        )
        created.append((task, {"parent_code": parent_code, "links": links}, index))
        by_code.setdefault(task.code, task)
    for task, _, _ in created:
        graph.tasks[task.id] = task
    known = await _references(session, campaign, [task for task, _, _ in created])
    for task, refs, index in created:
        prefix = f"tasks.{index}."
        if refs["parent_code"] is not None:
            parent = by_code.get(refs["parent_code"])
            if parent is None:
                errors.append(FieldError(f"{prefix}parent_code", f"No task {refs['parent_code']}."))
            else:
                task.parent_id = parent.id
        for link_index, link in enumerate(refs["links"]):
            if link["code"] not in by_code:
                errors.append(
                    FieldError(
                        f"{prefix}predecessors.{link_index}.code", f"No task {link['code']}."
                    )
                )
            elif link["code"] == task.code:
                errors.append(
                    FieldError(
                        f"{prefix}predecessors.{link_index}.code", "A task cannot follow itself."
                    )
                )
        errors += _reference_errors(graph, task, known, prefix)
    if not errors:
        edges = [(d.predecessor_id, d.successor_id) for d in graph.dependencies] + [
            (by_code[link["code"]].id, task.id)
            for task, refs, _ in created
            for link in refs["links"]
        ]
        _cycle_error(graph, edges, "tasks")
    if errors:
        invalid = len({e.field.split(".")[1] for e in errors})
        raise Invalid(f"{invalid} of {len(items)} tasks are not valid; none was created.", errors)
    # Parents first: rows of one table are inserted in the order they were added.
    for task, _, _ in sorted(created, key=lambda c: c[0].level.depth):
        session.add(task)
    for task, refs, _ in created:
        for link in refs["links"]:
            session.add(
                TaskDependency(
                    workspace_id=campaign.workspace_id,
                    campaign_id=campaign.id,
                    predecessor_id=by_code[link["code"]].id,
                    successor_id=task.id,
                    lag_days=link.get("lag_days", 0),
                )
            )
    await session.flush()
    await notices.record_assignments(
        session, campaign=campaign, assignments=[(t, None) for t, _, _ in created], actor=actor
    )
    return [task for task, _, _ in created]


async def update_task(
    session: AsyncSession,
    *,
    campaign: Campaign,
    task: Task,
    changes: dict[str, Any],
    expected_versions: Collection[int] | None,
    actor: Actor | None,
    now: datetime,
) -> Task:
    check_version(task, expected_versions)
    lifecycle.ensure_editable(campaign, lifecycle.EXECUTION_EDITABLE, "Tasks")
    sign_off.check_patch(task, changes)
    graph = await load_graph(session, campaign)
    previous_owner = task.owner_id
    predecessors = changes.pop("predecessors", None)
    force_reason = changes.pop("force_reason", None)
    today = campaign.local_date(now)

    new_end = changes.get("planned_end", task.planned_end)
    postponed = task.planned_end is not None and new_end is not None and new_end > task.planned_end
    finishing = changes.get("status", task.status) in FINISHED
    if postponed and not finishing and not (changes.get("delay_reason") or "").strip():
        raise Invalid(
            "Moving an unfinished task past its planned end needs a delay reason.",
            [FieldError("delay_reason", "Say why the task is late.", code="missing")],
        )

    status = changes.get("status")
    if status is not None and status != task.status:
        await check_order_of_work(session, campaign, graph, task, status, force_reason, actor)
        if status == TaskStatus.in_progress and task.actual_start is None:
            changes.setdefault("actual_start", today)
        if status == TaskStatus.done:
            # The day given wins (a late update of work finished earlier); progress is 100%.
            day = changes.get("actual_end", today)
            given = {k: v for k, v in changes.items() if k != "progress"}
            changes = sign_off.done_changes(task, day) | given

    with session.no_autoflush:  # nothing unchecked reaches the database
        if apply_changes(task, changes, None):
            refs = await _references(session, campaign, [task])
            errors = _reference_errors(graph, task, refs)
            if errors:
                raise Invalid("The task is not valid.", errors)
        if predecessors is not None:
            await _set_predecessors(session, campaign, graph, task, predecessors)
    await session.flush()
    await notices.record_assignments(
        session, campaign=campaign, assignments=[(task, previous_owner)], actor=actor
    )
    return task


async def check_order_of_work(
    session: AsyncSession,
    campaign: Campaign,
    graph: Graph,
    task: Task,
    status: TaskStatus,
    force_reason: str | None,
    actor: Actor | None,
) -> None:
    """Starting, submitting or finishing needs every predecessor done — or an override with
    a reason."""
    if status not in (TaskStatus.in_progress, TaskStatus.in_review, TaskStatus.done):
        return
    blockers = [
        graph.tasks[d.predecessor_id]
        for d in graph.predecessors(task.id)
        if graph.tasks[d.predecessor_id].status not in FINISHED
    ]
    if not blockers:
        return
    codes = sorted(b.code for b in blockers)
    if not force_reason:
        raise Conflict(
            f"{task.code} cannot be {status.value} before {', '.join(codes)} "
            f"{'is' if len(codes) == 1 else 'are'} done; send force_reason to override.",
            code="predecessors_not_done",
            blockers=codes,
        )
    await add_note(
        session,
        campaign=campaign,
        actor=actor,
        kind=NoteKind.override,
        note=f"{task.code} set to {status.value} before {', '.join(codes)} finished: "
        f"{force_reason}",
        related_task_ids=[task.id, *(b.id for b in blockers)],
    )


async def delete_task(
    session: AsyncSession,
    *,
    campaign: Campaign,
    task: Task,
    expected_versions: Collection[int] | None,
) -> None:
    check_version(task, expected_versions)
    lifecycle.ensure_editable(campaign, lifecycle.EXECUTION_EDITABLE, "Tasks")
    child = await session.scalar(select(Task.id).where(Task.parent_id == task.id).limit(1))
    if child is not None:
        raise Conflict("The task has children; remove or move them first.", code="has_children")
    for money in (BudgetLine, Expense):
        # Refused rather than cleared: the money would silently stop counting for the work.
        if await session.scalar(select(money.id).where(money.task_id == task.id).limit(1)):
            raise Conflict(
                "Budget lines or expenses name the task; move them to other work first.",
                code="task_has_money",
            )
    await session.execute(
        delete(TaskDependency).where(
            (TaskDependency.predecessor_id == task.id) | (TaskDependency.successor_id == task.id)
        )
    )
    await session.delete(task)
    await session.flush()


async def write_log_entry(
    session: AsyncSession,
    *,
    campaign: Campaign,
    actor: Actor,
    kind: NoteKind,
    note: str,
    related_task_ids: list[uuid.UUID],
) -> ActivityEntry:
    """A free entry of the execution log (stand-up, decision, blocker...), about tasks of
    this campaign only."""
    if related_task_ids:
        found = set(
            (
                await session.scalars(
                    in_workspace(Task, campaign.workspace_id)
                    .where(Task.campaign_id == campaign.id, Task.id.in_(related_task_ids))
                    .with_only_columns(Task.id)
                )
            ).all()
        )
        missing = [str(t) for t in related_task_ids if t not in found]
        if missing:
            raise Invalid(
                "Related tasks must belong to the campaign.",
                [
                    FieldError(
                        "related_task_ids", f"Not tasks of this campaign: {', '.join(missing)}"
                    )
                ],
            )
    return await add_note(
        session,
        campaign=campaign,
        actor=actor,
        kind=kind,
        note=note,
        related_task_ids=related_task_ids,
    )
