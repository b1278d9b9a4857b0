"""What a task looks like on read: overdue, slip, critical path, roll-ups, Gantt rows."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from shared.campaigns.models import Campaign
from shared.tasks import schedule as cpm
from shared.tasks.breakdown import Graph
from shared.tasks.models import FINISHED, Task, TaskDependency, TaskStatus


@dataclass(frozen=True)
class Rollup:
    progress: int
    start: date | None
    end: date | None


@dataclass(frozen=True)
class Derived:
    overdue: bool
    slip_days: int
    on_critical_path: bool
    total_float: int | None
    rollup: Rollup | None


def build_schedule(campaign: Campaign, graph: Graph) -> cpm.Schedule:
    """CPM over the leaf tasks that have planned dates and are not cancelled."""
    nodes = []
    for task in graph.work_items():
        if task.status == TaskStatus.cancelled:
            continue
        if task.planned_start is None or task.planned_end is None:
            continue
        phase = graph.phases.get(task.phase_id) if task.phase_id else None
        nodes.append(
            cpm.Node(
                task.id,
                task.planned_start,
                task.planned_end,
                (phase.start_date, phase.end_date) if phase else None,
            )
        )
    edges = [cpm.Edge(d.predecessor_id, d.successor_id, d.lag_days) for d in graph.dependencies]
    return cpm.compute(nodes, edges, (campaign.start_date, campaign.end_date))


def _duration(task: Task) -> int:
    if task.planned_start and task.planned_end:
        return (task.planned_end - task.planned_start).days + 1
    return 1


def _rollups(graph: Graph) -> dict[uuid.UUID, Rollup]:
    """Per parent: children's progress weighted by planned duration, and their date span."""
    children: dict[uuid.UUID, list[Task]] = {}
    for task in graph.tasks.values():
        if task.parent_id:
            children.setdefault(task.parent_id, []).append(task)
    result: dict[uuid.UUID, Rollup] = {}

    def visit(task_id: uuid.UUID) -> tuple[float, int, date | None, date | None]:
        kids = [k for k in children.get(task_id, []) if k.status != TaskStatus.cancelled]
        task = graph.tasks[task_id]
        if not kids:
            return (
                task.progress * _duration(task),
                _duration(task),
                task.planned_start,
                task.planned_end,
            )
        weighted, weight, starts, ends = 0.0, 0, [], []
        for kid in kids:
            w_progress, w, start, end = visit(kid.id)
            weighted, weight = weighted + w_progress, weight + w
            starts += [start] if start else []
            ends += [end] if end else []
        rollup = Rollup(
            round(weighted / weight) if weight else 0,
            min(starts) if starts else None,
            max(ends) if ends else None,
        )
        result[task_id] = rollup
        return weighted, weight, rollup.start, rollup.end

    for task_id in children:
        if task_id not in result and task_id in graph.tasks:
            visit(task_id)
    return result


def derive(
    campaign: Campaign, graph: Graph, plan: cpm.Schedule, now: datetime
) -> dict[uuid.UUID, Derived]:
    today = campaign.local_date(now)
    rollups = _rollups(graph)
    critical = set(plan.critical_path) | {i for i, t in plan.timings.items() if t.critical}
    derived = {}
    for task in graph.tasks.values():
        end = rollups[task.id].end if task.id in rollups else task.planned_end
        open_ = task.status not in FINISHED
        overdue = bool(end and open_ and end < today)
        if task.status == TaskStatus.done and task.actual_end and end:
            slip = (task.actual_end - end).days
        else:
            slip = (today - end).days if overdue and end else 0
        timing = plan.timings.get(task.id)
        derived[task.id] = Derived(
            overdue=overdue,
            slip_days=slip,
            on_critical_path=task.id in critical,
            total_float=timing.total_float if timing else None,
            rollup=rollups.get(task.id),
        )
    return derived


def _links(graph: Graph, dependencies: list[TaskDependency]) -> list[dict[str, Any]]:
    return [
        {
            "task_id": d.predecessor_id,
            "code": graph.tasks[d.predecessor_id].code,
            "lag_days": d.lag_days,
        }
        for d in dependencies
    ]


def task_view(
    task: Task,
    graph: Graph,
    derived: Derived,
    index: dict[uuid.UUID, list[TaskDependency]] | None = None,
) -> dict[str, Any]:
    """The API's TaskOut as a dict: the row, its predecessors and the derived fields.

    `index` (Graph.predecessor_index) when viewing many tasks of one graph.
    """
    columns = {c.key: getattr(task, c.key) for c in Task.__mapper__.column_attrs}
    incoming = index.get(task.id, []) if index is not None else graph.predecessors(task.id)
    return columns | {
        "predecessors": _links(graph, incoming),
        "overdue": derived.overdue,
        "slip_days": derived.slip_days,
        "on_critical_path": derived.on_critical_path,
        "total_float": derived.total_float,
        "rollup": derived.rollup,
    }


def gantt_rows(
    graph: Graph, plan: cpm.Schedule, derived: dict[uuid.UUID, Derived]
) -> list[dict[str, Any]]:
    index = graph.predecessor_index()
    rows = []
    for task in sorted(graph.tasks.values(), key=lambda t: (t.planned_start or date.max, t.code)):
        info = derived[task.id]
        timing = plan.timings.get(task.id)
        rollup = info.rollup
        rows.append(
            {
                "id": task.id,
                "code": task.code,
                "name": task.name,
                "level": task.level,
                "parent_id": task.parent_id,
                "start": rollup.start if rollup else task.planned_start,
                "end": rollup.end if rollup else task.planned_end,
                "progress": rollup.progress if rollup else task.progress,
                "status": task.status,
                "dependencies": _links(graph, index.get(task.id, [])),
                "early_start": timing.early_start if timing else None,
                "early_finish": timing.early_finish if timing else None,
                "late_start": timing.late_start if timing else None,
                "late_finish": timing.late_finish if timing else None,
                "total_float": timing.total_float if timing else None,
                "critical": bool(timing and timing.critical),
            }
        )
    return rows
