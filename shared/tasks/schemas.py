"""Bodies for tasks, bulk breakdowns and the schedule. A task names ONE owner: `owner_id`."""

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import MISSING, ConfigDict, Field, JsonValue, StringConstraints

from shared.campaigns.models import Level
from shared.schemas import CalendarDay, LongText, Name, RequestModel, ResponseModel
from shared.tasks.models import TaskLevel, TaskStatus

Code = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$"),
    Field(description="Unique in the campaign, e.g. M-001; assigned (T-001...) when omitted"),
]
Department = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Departments = Annotated[list[Department], Field(max_length=20)]
LagDays = Annotated[int, Field(ge=0, le=365, strict=True)]
Percent = Annotated[int, Field(ge=0, le=100, strict=True)]


class PredecessorIn(RequestModel):
    task_id: uuid.UUID
    lag_days: LagDays = 0


class PredecessorByCode(RequestModel):
    code: Code
    lag_days: LagDays = 0


SAMPLE_TASK: dict[str, JsonValue] = {
    "code": "M-004",
    "name": "Publishing schedule for KOCs (06-01..06-15)",
    "level": "task",
    "owner_id": "01a2010c-5c6a-726e-a76a-f95b25ae53ba",
    "planned_start": "2024-05-26",
    "planned_end": "2024-05-30",
    "deliverable": "Schedule",
    "priority": "medium",
}


class _TaskFields(RequestModel):
    name: Name
    description: LongText | None = None
    level: TaskLevel = TaskLevel.task
    goal_id: uuid.UUID | None = None
    phase_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = Field(
        default=None, description="R1, the one responsible member; required for a task"
    )
    approver_id: uuid.UUID | None = Field(default=None, description="R2, who signs it off")
    supporting_departments: Departments = Field(default_factory=list)
    planned_start: CalendarDay | None = None
    planned_end: CalendarDay | None = None
    deliverable: LongText | None = None
    priority: Level = Level.medium


class TaskCreate(_TaskFields):
    model_config = ConfigDict(json_schema_extra={"examples": [SAMPLE_TASK | {"predecessors": []}]})

    code: Code | None = None
    parent_id: uuid.UUID | None = None
    predecessors: list[PredecessorIn] = Field(default_factory=list, max_length=100)


class TaskBulkItem(_TaskFields):
    code: Code
    parent_code: Code | None = None
    predecessors: list[PredecessorByCode] = Field(default_factory=list, max_length=100)


class TaskBulkCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "tasks": [
                        {
                            "code": "M-002",
                            "name": "Plan seeding content (10 selling points)",
                            "owner_id": "01a2010c-5c6a-726e-a76a-f95b25ae53ba",
                            "planned_start": "2024-05-11",
                            "planned_end": "2024-05-15",
                            "priority": "high",
                        },
                        {
                            "code": "M-003",
                            "name": "Produce 10 posts + 5 short videos",
                            "owner_id": "01a2010c-5c6a-726e-a76a-f95b25ae53ba",
                            "planned_start": "2024-05-16",
                            "planned_end": "2024-05-25",
                            "priority": "high",
                            "predecessors": [{"code": "M-002"}],
                        },
                    ]
                }
            ]
        }
    )

    tasks: list[TaskBulkItem] = Field(min_length=1, max_length=2000)


class TaskUpdate(RequestModel):
    """Send only the fields to change. `predecessors` replaces the whole list.

    Starting (`in_progress`) or finishing (`done`) while a predecessor is not done is 409
    unless `force_reason` says why; the override is written to the execution log.
    Moving `planned_end` later on an unfinished task needs a `delay_reason`.
    """

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "in_progress", "progress": 20}]}
    )

    name: Name | MISSING = MISSING
    description: LongText | MISSING | None = MISSING
    level: TaskLevel | MISSING = MISSING
    parent_id: uuid.UUID | MISSING | None = MISSING
    goal_id: uuid.UUID | MISSING | None = MISSING
    phase_id: uuid.UUID | MISSING | None = MISSING
    owner_id: uuid.UUID | MISSING | None = MISSING
    approver_id: uuid.UUID | MISSING | None = MISSING
    supporting_departments: Departments | MISSING = MISSING
    planned_start: CalendarDay | MISSING | None = MISSING
    planned_end: CalendarDay | MISSING | None = MISSING
    actual_start: CalendarDay | MISSING | None = MISSING
    actual_end: CalendarDay | MISSING | None = MISSING
    deliverable: LongText | MISSING | None = MISSING
    priority: Level | MISSING = MISSING
    status: TaskStatus | MISSING = MISSING
    progress: Percent | MISSING = MISSING
    delay_reason: LongText | MISSING | None = MISSING
    predecessors: list[PredecessorIn] | MISSING = MISSING
    force_reason: LongText | MISSING = MISSING


class PredecessorOut(ResponseModel):
    task_id: uuid.UUID
    code: str
    lag_days: int


class RollupOut(ResponseModel):
    progress: int = Field(description="Children's progress weighted by planned duration")
    start: date | None
    end: date | None


class TaskOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                SAMPLE_TASK
                | {
                    "id": "01a2010c-c015-761b-9bc5-6ac427b850dc",
                    "campaign_id": "01a2010c-3bd9-7716-be78-ba040ba1a6e8",
                    "parent_id": None,
                    "goal_id": None,
                    "phase_id": None,
                    "approver_id": None,
                    "description": None,
                    "supporting_departments": ["Design"],
                    "actual_start": None,
                    "actual_end": None,
                    "status": "todo",
                    "progress": 0,
                    "delay_reason": None,
                    "predecessors": [
                        {
                            "task_id": "01a2010c-c015-761b-9bc5-6ac427b850dd",
                            "code": "M-003",
                            "lag_days": 0,
                        }
                    ],
                    "overdue": False,
                    "slip_days": 0,
                    "on_critical_path": True,
                    "total_float": 0,
                    "rollup": None,
                    "created_at": "2024-04-18T08:00:00Z",
                    "updated_at": "2024-04-18T08:00:00Z",
                    "version": 1,
                }
            ]
        }
    )

    id: uuid.UUID
    campaign_id: uuid.UUID
    code: str
    name: str
    description: str | None
    level: TaskLevel
    parent_id: uuid.UUID | None
    goal_id: uuid.UUID | None
    phase_id: uuid.UUID | None
    owner_id: uuid.UUID | None
    approver_id: uuid.UUID | None
    supporting_departments: list[str]
    planned_start: date | None
    planned_end: date | None
    actual_start: date | None
    actual_end: date | None
    deliverable: str | None
    priority: Level
    status: TaskStatus
    progress: int
    delay_reason: str | None
    predecessors: list[PredecessorOut]
    overdue: bool = Field(description="Planned end passed (campaign timezone), not done")
    slip_days: int = Field(description="Days late: finished after, or still open past, the end")
    on_critical_path: bool
    total_float: int | None = Field(description="Days it may slip without moving the finish")
    rollup: RollupOut | None = Field(description="For a parent: progress and span of its children")
    created_at: datetime
    updated_at: datetime
    version: int


class ScheduleRow(ResponseModel):
    """One Gantt bar: draw it from start to end, link it to its dependencies."""

    id: uuid.UUID
    code: str
    name: str
    level: TaskLevel
    parent_id: uuid.UUID | None
    start: date | None
    end: date | None
    progress: int
    status: TaskStatus
    dependencies: list[PredecessorOut]
    early_start: date | None
    early_finish: date | None
    late_start: date | None
    late_finish: date | None
    total_float: int | None
    critical: bool


class ScheduleConflictOut(ResponseModel):
    code: str
    task_id: uuid.UUID
    other_task_id: uuid.UUID | None
    message: str


class ScheduleOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "finish": "2024-05-30",
                    "critical_path": ["M-002", "M-003", "M-004"],
                    "rows": [],
                    "conflicts": [],
                }
            ]
        }
    )

    finish: date | None = Field(description="Earliest finish of all scheduled tasks")
    critical_path: list[str] = Field(description="Codes of the driving critical chain, in order")
    rows: list[ScheduleRow]
    conflicts: list[ScheduleConflictOut]
