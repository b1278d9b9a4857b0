"""Records every change to tracked rows in the same transaction, field by field.

A model declares itself tracked by inheriting `Tracked`; `install()`, called once at
start-up, puts an `after_flush` hook on every session: for each new, changed or deleted
tracked row it writes an activity entry with the before and after of each field, and who
made it (named with `set_actor` where the transaction is opened: a request or a job).
A row that plain SQL creates, past the ORM (a campaign, see shared.campaigns.service),
is logged by the same rules: `creation_entry` gives the statement its entry to insert.
"""

import enum
import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Protocol, cast

from sqlalchemy import event, insert, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, UOWTransaction

from shared.activity.models import ActivityEntry, EntryAction
from shared.actor import Actor
from shared.db import to_json
from shared.ids import new_id
from shared.timeutil import utcnow

ACTOR_KEY = "campaignops.actor"


class Tracked:
    """A model whose rows belong to a campaign's execution log: every change is logged."""

    # How the log names this kind of row ("goal", "task").
    change_log_name: ClassVar[str]
    # Whether deleting a row is logged (a deleted draft campaign takes its whole log along).
    change_log_deletions: ClassVar[bool] = True

    def change_log_campaign_id(self) -> uuid.UUID:
        """The campaign whose log files this row."""
        raise NotImplementedError

    def change_log_task_ids(self) -> list[uuid.UUID]:
        """The tasks the change concerns, so that a task's own log shows it."""
        return []


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


def _fields(obj: Any) -> Iterable[str]:
    return (a.key for a in inspect(obj).mapper.column_attrs if a.key not in UNTRACKED_FIELDS)


def _created(values: Iterable[tuple[str, Any]]) -> dict[str, list[Any]]:
    return {name: [None, _json(value)] for name, value in values if value not in (None, [], "")}


def _changes(obj: Any, action: EntryAction) -> dict[str, list[Any]]:
    if action == EntryAction.created:
        return _created((name, getattr(obj, name)) for name in _fields(obj))
    state = inspect(obj)
    changes: dict[str, list[Any]] = {}
    for name in _fields(obj):
        if action == EntryAction.deleted:
            changes[name] = [_json(getattr(obj, name)), None]
        else:
            history = state.attrs[name].history
            if history.has_changes():
                before = history.deleted[0] if history.deleted else None
                after = history.added[0] if history.added else None
                if before != after:
                    changes[name] = [_json(before), _json(after)]
    return changes


class _Row(Protocol):
    """What every tracked model also is: a workspace's row (Base + WorkspaceScoped)."""

    id: uuid.UUID
    workspace_id: uuid.UUID


def install() -> None:
    """Log the changes of every session from now on; called once at start-up."""
    if not event.contains(Session, "after_flush", _record):
        event.listen(Session, "after_flush", _record)


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
            if not isinstance(obj, Tracked):
                continue
            if action == EntryAction.deleted and not obj.change_log_deletions:
                continue
            changes = _changes(obj, action)
            if action == EntryAction.updated and not changes:
                continue
            row = cast(_Row, obj)
            rows.append(
                _entry(
                    actor,
                    now,
                    workspace_id=row.workspace_id,
                    campaign_id=obj.change_log_campaign_id(),
                    entity_type=obj.change_log_name,
                    entity_id=row.id,
                    action=action,
                    changes=changes,
                    task_ids=obj.change_log_task_ids(),
                )
            )
    if rows:
        # Written on the flush's own connection: same transaction, no second flush.
        session.connection().execute(insert(ActivityEntry), rows)


def _entry(
    actor: Actor | None,
    now: datetime,
    *,
    workspace_id: uuid.UUID,
    campaign_id: uuid.UUID,
    entity_type: str,
    entity_id: uuid.UUID,
    action: EntryAction,
    changes: dict[str, list[Any]],
    task_ids: list[uuid.UUID],
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "workspace_id": workspace_id,
        "campaign_id": campaign_id,
        "created_at": now,
        "updated_at": now,
        "version": 1,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "action": action.value,
        "changes": changes,
        "related_task_ids": task_ids,
        "actor_api_key_id": actor.api_key_id if actor else None,
        "actor_member_id": actor.member_id if actor else None,
    }


ENTRY_COLUMNS = (
    "id",
    "workspace_id",
    "campaign_id",
    "created_at",
    "updated_at",
    "version",
    "entity_type",
    "entity_id",
    "action",
    "changes",
    "related_task_ids",
    "actor_api_key_id",
    "actor_member_id",
)


def creation_entry(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    campaign_id: uuid.UUID,
    entity_type: str,
    entity_id: uuid.UUID,
    values: Mapping[str, Any],
) -> list[Any]:
    """The log entry of a row that plain SQL creates (shared.plain_sql), in ENTRY_COLUMNS'
    order, for the statement that inserts the row to insert it too; `changes` as JSON text.

    `values`: the row's fields as they are stored; the statement may add those the database
    fills in (a default), as the flush hook logs an ORM object's after its INSERT.
    """
    entry = _entry(
        session.info.get(ACTOR_KEY),
        utcnow(),
        workspace_id=workspace_id,
        campaign_id=campaign_id,
        entity_type=entity_type,
        entity_id=entity_id,
        action=EntryAction.created,
        changes=_created((k, v) for k, v in values.items() if k not in UNTRACKED_FIELDS),
        task_ids=[],
    )
    entry["changes"] = to_json(entry["changes"])
    return [entry[name] for name in ENTRY_COLUMNS]
