"""Records every change to tracked rows in the same transaction, field by field.

An `after_flush` hook on every session: for each new, changed or deleted row of a
tracked model it writes an activity entry with the before and after of each field,
and who made it (the actor put on the session by the API or the worker).
"""

import enum
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, UOWTransaction

from shared.activity.models import ActivityEntry, EntryAction
from shared.actor import Actor
from shared.campaigns.models import BudgetLine, Campaign, Expense, Goal, Phase, Risk
from shared.ids import new_id
from shared.issues.models import Issue, IssueComment
from shared.tasks.models import Task, TaskDependency
from shared.timeutil import utcnow

ACTOR_KEY = "campaignops.actor"

# What is tracked, under which name.
TRACKED: dict[type[Any], str] = {
    Campaign: "campaign",
    Goal: "goal",
    BudgetLine: "budget_line",
    Expense: "expense",
    Phase: "phase",
    Risk: "risk",
    Task: "task",
    TaskDependency: "task_dependency",
    Issue: "issue",
    IssueComment: "issue_comment",
}
UNTRACKED_FIELDS = frozenset(
    {"id", "workspace_id", "campaign_id", "created_at", "updated_at", "version"}
)


def set_actor(session: Any, actor: Actor | None) -> None:
    """Name who acts in this session's transaction (API request or job)."""
    session.info[ACTOR_KEY] = actor


def _json(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


def _campaign_id(obj: Any) -> uuid.UUID:
    return obj.id if isinstance(obj, Campaign) else obj.campaign_id


def _task_ids(obj: Any) -> list[uuid.UUID]:
    if isinstance(obj, Task):
        return [obj.id]
    if isinstance(obj, TaskDependency):
        return [obj.predecessor_id, obj.successor_id]
    return []


def _fields(obj: Any) -> Iterable[str]:
    return (a.key for a in inspect(obj).mapper.column_attrs if a.key not in UNTRACKED_FIELDS)


def _changes(obj: Any, action: EntryAction) -> dict[str, list[Any]]:
    state = inspect(obj)
    changes: dict[str, list[Any]] = {}
    for name in _fields(obj):
        if action == EntryAction.created:
            value = getattr(obj, name)
            if value not in (None, [], ""):
                changes[name] = [None, _json(value)]
        elif action == EntryAction.deleted:
            changes[name] = [_json(getattr(obj, name)), None]
        else:
            history = state.attrs[name].history
            if history.has_changes():
                before = history.deleted[0] if history.deleted else None
                after = history.added[0] if history.added else None
                if before != after:
                    changes[name] = [_json(before), _json(after)]
    return changes


@event.listens_for(Session, "after_flush")
def _record(session: Session, flush_context: UOWTransaction) -> None:
    actor: Actor | None = session.info.get(ACTOR_KEY)
    now = utcnow()
    rows = []
    for objects, action in (
        (session.new, EntryAction.created),
        (session.dirty, EntryAction.updated),
        (session.deleted, EntryAction.deleted),
    ):
        for obj in objects:
            entity_type = TRACKED.get(type(obj))
            if entity_type is None or (action == EntryAction.deleted and entity_type == "campaign"):
                continue  # a deleted draft takes its whole log with it
            changes = _changes(obj, action)
            if action == EntryAction.updated and not changes:
                continue
            rows.append(
                {
                    "id": new_id(),
                    "workspace_id": obj.workspace_id,
                    "campaign_id": _campaign_id(obj),
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                    "entity_type": entity_type,
                    "entity_id": obj.id,
                    "action": action.value,
                    "changes": changes,
                    "related_task_ids": _task_ids(obj),
                    "actor_api_key_id": actor.api_key_id if actor else None,
                    "actor_member_id": actor.member_id if actor else None,
                }
            )
    if rows:
        # Written on the flush's own connection: same transaction, no second flush.
        session.connection().execute(insert(ActivityEntry), rows)
