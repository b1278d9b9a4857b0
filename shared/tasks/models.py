"""The work breakdown: strategy -> module -> task, with finish-to-start dependencies."""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from shared.activity.tracking import Tracked
from shared.campaigns.models import CampaignItem, Level
from shared.db import Base, WorkspaceScoped, str_enum


class TaskLevel(StrEnum):
    strategy = "strategy"
    module = "module"
    task = "task"

    @property
    def depth(self) -> int:
        return list(TaskLevel).index(self)


class TaskStatus(StrEnum):
    todo = "todo"
    in_progress = "in_progress"
    blocked = "blocked"
    in_review = "in_review"  # submitted by its owner, waiting for its approver (R2)
    done = "done"
    cancelled = "cancelled"


FINISHED = frozenset({TaskStatus.done, TaskStatus.cancelled})  # no more work to come


class Task(CampaignItem):
    """One node of the breakdown. A task has exactly one owner (R1): a single column."""

    __tablename__ = "tasks"
    change_log_name = "task"
    __table_args__ = (
        UniqueConstraint("campaign_id", "code"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_percent"),
    )

    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tasks.id", ondelete="RESTRICT"), index=True
    )
    level: Mapped[TaskLevel] = mapped_column(str_enum(TaskLevel))
    goal_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("goals.id", ondelete="SET NULL"), index=True
    )
    phase_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("phases.id", ondelete="SET NULL"), index=True
    )
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("members.id", ondelete="RESTRICT"), index=True
    )
    approver_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("members.id", ondelete="RESTRICT")
    )
    supporting_departments: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list)
    planned_start: Mapped[date | None]
    planned_end: Mapped[date | None]
    actual_start: Mapped[date | None]
    actual_end: Mapped[date | None]
    deliverable: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[Level] = mapped_column(str_enum(Level), default=Level.medium)
    status: Mapped[TaskStatus] = mapped_column(str_enum(TaskStatus), default=TaskStatus.todo)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    delay_reason: Mapped[str | None] = mapped_column(Text)

    def change_log_task_ids(self) -> list[uuid.UUID]:
        return [self.id]


class TaskDependency(Base, WorkspaceScoped, Tracked):
    """Finish-to-start: the successor starts `lag_days` after the predecessor finishes."""

    __tablename__ = "task_dependencies"
    change_log_name = "task_dependency"
    __table_args__ = (
        UniqueConstraint("predecessor_id", "successor_id"),
        CheckConstraint("predecessor_id <> successor_id", name="not_self"),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    predecessor_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), index=True
    )
    successor_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), index=True
    )
    lag_days: Mapped[int] = mapped_column(Integer, default=0)

    def change_log_campaign_id(self) -> uuid.UUID:
        return self.campaign_id

    def change_log_task_ids(self) -> list[uuid.UUID]:
        return [self.predecessor_id, self.successor_id]


class ReviewOutcome(StrEnum):
    accepted = "accepted"
    returned = "returned"


class TaskReview(Base, WorkspaceScoped):
    """One submission of a task's deliverable to its approver (R2), and what they decided.

    A task has at most one open review (no outcome yet): a partial unique index says so.
    The execution log tells the story as notes; this row is the structured record.
    """

    __tablename__ = "task_reviews"
    __table_args__ = (
        UniqueConstraint("task_id", "number"),
        Index(
            "uq_task_reviews_open_task_id",
            "task_id",
            unique=True,
            postgresql_where=sql("outcome IS NULL"),
        ),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # 1 for the first submission, then 2...
    link: Mapped[str | None] = mapped_column(String(2048))
    note: Mapped[str | None] = mapped_column(Text)
    submitted_by_member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    submitted_at: Mapped[datetime]
    outcome: Mapped[ReviewOutcome | None] = mapped_column(str_enum(ReviewOutcome))
    decided_by_member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None]
    comment: Mapped[str | None] = mapped_column(Text)


class TaskReminderSetting(Base, WorkspaceScoped):
    """How many working days ahead owners hear that a task is due: the workspace's default
    (no campaign) or one campaign's own; without a row, the default of 3."""

    __tablename__ = "task_reminder_settings"
    __table_args__ = (
        UniqueConstraint("campaign_id"),
        Index(
            "uq_task_reminder_settings_workspace_default",
            "workspace_id",
            unique=True,
            postgresql_where=sql("campaign_id IS NULL"),
        ),
        CheckConstraint("due_soon_days BETWEEN 0 AND 20", name="due_soon_days_range"),
    )

    campaign_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE")
    )
    due_soon_days: Mapped[int] = mapped_column(SmallInteger)


class DueSoonWarning(Base, WorkspaceScoped):
    """A `task.due_soon` that went out for this task and planned end: the unique key makes
    it once per due date, whatever number of workers sweep at the same time."""

    __tablename__ = "task_due_soon_warnings"
    __table_args__ = (UniqueConstraint("task_id", "planned_end"),)

    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    planned_end: Mapped[date]
    warned_at: Mapped[datetime]
