import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field, JsonValue, StringConstraints, WithJsonSchema

from shared.activity.models import EntryAction
from shared.activity.service import NoteKind
from shared.schemas import DocumentedAs, RequestModel, ResponseModel

NoteText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]


class LogEntryCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "blocker",
                    "note": "2 posts rejected for medical claims; rewriting, resubmit 05-22",
                    "related_task_ids": ["01a2010c-c015-761b-9bc5-6ac427b850dc"],
                }
            ]
        }
    )

    kind: NoteKind = NoteKind.standup
    note: NoteText
    related_task_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)


# A field's value as the log keeps it: ids, decimals, days and instants as strings.
FieldValue = Annotated[
    JsonValue,
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string"},
                {"type": "number"},
                {"type": "boolean"},
                {"type": "array", "items": {}},
                {"type": "object"},
                {"type": "null"},
            ],
            "description": "The field's value: ids, decimals, days and instants as strings",
        }
    ),
]
Changes = DocumentedAs(
    dict[
        str,
        Annotated[
            tuple[FieldValue, FieldValue],
            Field(description="[before, after]: before is null on creation, after on deletion"),
        ],
    ]
)


class ActivityEntryOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "01a2010c-c015-761b-9bc5-6ac427b850de",
                    "campaign_id": "01a2010c-3bd9-7716-be78-ba040ba1a6e8",
                    "created_at": "2024-05-20T09:05:00Z",
                    "entity_type": "task",
                    "entity_id": "01a2010c-c015-761b-9bc5-6ac427b850dc",
                    "action": "updated",
                    "changes": {"progress": [60, 80], "status": ["todo", "in_progress"]},
                    "kind": None,
                    "note": None,
                    "related_task_ids": ["01a2010c-c015-761b-9bc5-6ac427b850dc"],
                    "actor_api_key_id": "01a2010c-5c6a-726e-a76a-f95b25ae53bb",
                    "actor_member_id": "01a2010c-5c6a-726e-a76a-f95b25ae53ba",
                }
            ]
        }
    )

    id: uuid.UUID
    campaign_id: uuid.UUID
    created_at: datetime
    entity_type: str = Field(
        description="campaign, goal, budget_line, expense, phase, risk, "
        "task, task_dependency, or log for a free entry"
    )
    entity_id: uuid.UUID | None
    action: Annotated[str, DocumentedAs(EntryAction)] = Field(
        description="created, updated, deleted, or note (a free entry)"
    )
    changes: Annotated[dict[str, Any], Changes] = Field(
        description="Each changed field: [before, after]"
    )
    kind: Annotated[str | None, DocumentedAs(NoteKind | None)] = Field(
        description="A free entry's kind (null for a change)"
    )
    note: str | None
    related_task_ids: list[uuid.UUID]
    actor_api_key_id: uuid.UUID | None
    actor_member_id: uuid.UUID | None
