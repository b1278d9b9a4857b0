"""What a task must be to sit in its campaign's breakdown: members and goals that exist,
a parent above it (strategy > module > task), dates in order, no dependency cycle.

The rules read the whole breakdown (`Graph`) and what the tasks point at, fetched once
for a whole batch (`References`); they raise or return the errors, and write nothing.
"""

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import graphs
from shared.campaigns.models import Campaign, Goal
from shared.errors import FieldError, Invalid
from shared.tasks.breakdown import Graph
from shared.tasks.models import Task, TaskLevel
from shared.workspaces.service import member_field_errors, unknown_members


@dataclass(frozen=True)
class References:
    """What tasks may point at, fetched once for a whole batch."""

    unknown_members: set[uuid.UUID]
    goal_ids: set[uuid.UUID]


async def references(session: AsyncSession, campaign: Campaign, tasks: list[Task]) -> References:
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


def reference_errors(
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


def check_no_cycle(graph: Graph, edges: list[tuple[uuid.UUID, uuid.UUID]], field_name: str) -> None:
    cycle = graphs.find_cycle(edges)
    if cycle:
        path = " -> ".join(graph.codes(cycle))
        raise Invalid(
            f"These predecessors would make a cycle: {path}.",
            [FieldError(field_name, f"Dependency cycle: {path}", code="dependency_cycle")],
            code="dependency_cycle",
            cycle=graph.codes(cycle),
        )
