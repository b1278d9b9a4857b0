"""Changing tasks: creating them (one by one or a whole breakdown), updating them under the
order of work, deleting them, and the execution log's free entries about them. What a
task must be is checked in validation.py, against the breakdown loaded by breakdown.py."""

import re
import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.activity.models import ActivityEntry
from shared.activity.service import NoteKind, add_note
from shared.actor import Actor
from shared.campaigns import lifecycle
from shared.campaigns.models import BudgetLine, Campaign, CampaignStatus, Expense
from shared.errors import Conflict, FieldError, Invalid, NotFound
from shared.ids import new_id
from shared.tasks import notices, sign_off, validation
from shared.tasks.breakdown import Graph, load_graph
from shared.tasks.models import FINISHED, Task, TaskDependency, TaskStatus
from shared.tenancy import in_workspace
from shared.versioning import apply_changes, check_version


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
    validation.check_no_cycle(graph, edges + [(p, task.id) for p in wanted], field_name)

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
    errors = validation.reference_errors(
        graph, task, await validation.references(session, campaign, [task])
    )
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
    known = await validation.references(session, campaign, [task for task, _, _ in created])
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
        errors += validation.reference_errors(graph, task, known, prefix)
    if not errors:
        edges = [(d.predecessor_id, d.successor_id) for d in graph.dependencies] + [
            (by_code[link["code"]].id, task.id)
            for task, refs, _ in created
            for link in refs["links"]
        ]
        validation.check_no_cycle(graph, edges, "tasks")
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


# What closing a task of an ended campaign may touch besides its status.
CLOSING_FIELDS = frozenset(
    {"status", "actual_start", "actual_end", "progress", "delay_reason", "force_reason"}
)


def _ensure_changeable(campaign: Campaign, changes: dict[str, Any]) -> None:
    """A completed campaign's tasks may only be closed: finished or cancelled."""
    if campaign.status != CampaignStatus.completed:
        lifecycle.ensure_editable(campaign, lifecycle.EXECUTION_EDITABLE, "Tasks")
        return
    if changes.get("status") in FINISHED and set(changes) <= CLOSING_FIELDS:
        return
    raise Conflict(
        "The campaign is completed: its remaining tasks may only be closed, with status "
        "done or cancelled (and their actual dates or a delay reason).",
        code="campaign_locked",
        campaign_status=campaign.status.value,
        allowed_fields=sorted(CLOSING_FIELDS),
    )


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
    _ensure_changeable(campaign, changes)
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
            refs = await validation.references(session, campaign, [task])
            errors = validation.reference_errors(graph, task, refs)
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
