"""The work tables: the task table (the manuals' assignment table, in breakdown order) and
the issue table (their problem tracking), with people's names and the words of the
workspace's language."""

import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import Campaign
from shared.errors import Conflict
from shared.exports.table import Column, Kind, Table, Value
from shared.issues import queries as issue_queries
from shared.issues.models import Issue
from shared.pagination import MAX_LIMIT, PageRequest
from shared.tasks import breakdown, reads
from shared.tasks import service as tasks
from shared.workspaces import labels
from shared.workspaces import service as workspaces
from shared.workspaces.models import Language

MAX_ROWS = 50_000  # per export: far above a campaign's breakdown or its problems


def too_large(what: str) -> Conflict:
    return Conflict(
        f"The campaign has more than {MAX_ROWS:,} {what}: too many for one file.",
        code="export_too_large",
        max_rows=MAX_ROWS,
    )


def _natural(code: str) -> list[Any]:
    """M-2 before M-10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", code)]


def breakdown_order(views: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each task after its parent, siblings by code: the breakdown as it reads."""
    children: dict[uuid.UUID | None, list[dict[str, Any]]] = {}
    ids = set()
    for view in views:
        children.setdefault(view["parent_id"], []).append(view)
        ids.add(view["id"])
    # A parent outside the set (none in practice) puts its children at the top.
    roots = [v for parent, kids in children.items() if parent not in ids for v in kids]
    ordered: list[dict[str, Any]] = []
    stack = sorted(roots, key=lambda v: _natural(v["code"]), reverse=True)
    while stack:
        view = stack.pop()
        ordered.append(view)
        stack += sorted(children.get(view["id"], []), key=lambda v: _natural(v["code"]))[::-1]
    return ordered


def _predecessors(links: list[dict[str, Any]], language: Language) -> str | None:
    def lag(days: int) -> str:
        word = labels.value("word", "day" if days == 1 else "days", language)
        return f" (+{days} {word})" if days else ""

    shown = [
        link["code"] + lag(link["lag_days"])
        for link in sorted(links, key=lambda link: _natural(link["code"]))
    ]
    return labels.joined(shown, language) or None


async def task_table(
    session: AsyncSession, *, campaign: Campaign, language: Language, now: datetime
) -> Table:
    graph = await breakdown.load_graph(session, campaign)
    if len(graph.tasks) > MAX_ROWS:
        raise too_large("tasks")
    views = await reads.task_views(session, campaign, list(graph.tasks.values()), now)
    names = await workspaces.member_names(
        session,
        workspace_id=campaign.workspace_id,
        member_ids=[m for v in views for m in (v["owner_id"], v["approver_id"])],
    )
    codes = {v["id"]: v["code"] for v in views}

    def h(key: str) -> str:
        return labels.header(key, language)

    columns = [
        Column(h("code"), width=10),
        Column(h("task_name"), width=36),
        Column(h("level")),
        Column(h("parent"), width=10),
        Column(h("owner_r1")),
        Column(h("approver_r2")),
        Column(h("supporting_departments"), width=20),
        Column(h("predecessors"), width=18),
        Column(h("priority")),
        Column(h("planned_start"), Kind.date),
        Column(h("planned_end"), Kind.date),
        Column(h("actual_start"), Kind.date),
        Column(h("actual_end"), Kind.date),
        Column(h("deliverable"), width=30),
        Column(h("status")),
        Column(h("progress"), Kind.integer),
        Column(h("slip_days"), Kind.integer),
    ]
    rows: list[list[Value]] = []
    for view in breakdown_order(views):
        rollup = view["rollup"]
        rows.append(
            [
                view["code"],
                view["name"],
                labels.value("task_level", view["level"], language),
                codes.get(view["parent_id"]),
                names.get(view["owner_id"]),
                names.get(view["approver_id"]),
                labels.joined(view["supporting_departments"], language) or None,
                _predecessors(view["predecessors"], language),
                labels.value("priority", view["priority"], language),
                view["planned_start"] or (rollup.start if rollup else None),
                view["planned_end"] or (rollup.end if rollup else None),
                view["actual_start"],
                view["actual_end"],
                view["deliverable"],
                labels.value("task_status", view["status"], language),
                rollup.progress if rollup else view["progress"],
                view["slip_days"],
            ]
        )
    return Table(labels.title("tasks", language), columns, rows)


async def _campaign_issues(session: AsyncSession, campaign: Campaign, now: datetime) -> list[Issue]:
    """Every issue of the campaign, oldest first, read a page at a time."""
    found: list[Issue] = []
    cursor = None
    while True:
        page = await issue_queries.list_issues(
            session,
            workspace_id=campaign.workspace_id,
            filters=issue_queries.IssueFilters(campaign_id=campaign.id),
            sort="created_at",
            page=PageRequest(limit=MAX_LIMIT, cursor=cursor),
            now=now,
        )
        found += page.items
        if len(found) > MAX_ROWS:
            raise too_large("issues")
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


async def issue_table(
    session: AsyncSession, *, campaign: Campaign, language: Language, now: datetime
) -> Table:
    issues = await _campaign_issues(session, campaign, now)
    names = await workspaces.member_names(
        session, workspace_id=campaign.workspace_id, member_ids=[i.owner_id for i in issues]
    )
    related = [i.related_task_id for i in issues if i.related_task_id is not None]
    task_codes = {
        task_id: task.code
        for task_id, task in (
            await tasks.get_tasks(session, workspace_id=campaign.workspace_id, task_ids=related)
        ).items()
    }

    def h(key: str) -> str:
        return labels.header(key, language)

    columns = [
        Column(h("opened_on"), Kind.date),
        Column(h("problem"), width=30),
        Column(h("description"), width=40),
        Column(h("impact"), width=24),
        Column(h("owner")),
        Column(h("severity")),
        Column(h("action_plan"), width=30),
        Column(h("expected_resolution_date"), Kind.date),
        Column(h("progress"), Kind.integer),
        Column(h("status")),
        Column(h("related_task"), width=10),
        Column(h("source")),
        Column(h("resolved_on"), Kind.date),
    ]
    rows: list[list[Value]] = [
        [
            campaign.local_date(issue.opened_at),
            issue.title,
            issue.description,
            issue.impact,
            names.get(issue.owner_id),
            labels.value("severity", issue.severity, language),
            issue.action_plan,
            issue.expected_resolution_date,
            issue.progress,
            labels.value("issue_status", issue.status, language),
            task_codes.get(issue.related_task_id) if issue.related_task_id else None,
            labels.value("issue_source", issue.source, language),
            campaign.local_date(issue.resolved_at) if issue.resolved_at else None,
        ]
        for issue in issues
    ]
    return Table(labels.title("issues", language), columns, rows)
