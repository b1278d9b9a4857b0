"""Tracked problems: one owner, an action plan within the response time, a history."""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from shared.campaigns.models import CampaignItem
from shared.db import Base, WorkspaceScoped, str_enum


class IssueStatus(StrEnum):
    open = "open"
    in_progress = "in_progress"
    resolved = "resolved"
    closed = "closed"


class Severity(StrEnum):
    info = "info"
    warning = "warning"
    critical = "critical"


class IssueSource(StrEnum):
    manual = "manual"
    alert = "alert"
    retrospective = "retrospective"  # a retrospective item's action, a follow-up for after


class CommentKind(StrEnum):
    person = "person"  # written through the API, by the caller's key and member
    system = "system"  # written by campaignops itself (an alert resolved, ...)


# Where a person may move an issue with PATCH. Leaving resolved or closed for work again
# is a reopen (POST .../reopen with a reason), never a silent status edit.
TRANSITIONS: dict[IssueStatus, frozenset[IssueStatus]] = {
    IssueStatus.open: frozenset(
        {IssueStatus.in_progress, IssueStatus.resolved, IssueStatus.closed}
    ),
    IssueStatus.in_progress: frozenset(
        {IssueStatus.open, IssueStatus.resolved, IssueStatus.closed}
    ),
    IssueStatus.resolved: frozenset({IssueStatus.closed}),
    IssueStatus.closed: frozenset(),
}
REOPENABLE = frozenset({IssueStatus.resolved, IssueStatus.closed})
AWAITING_WORK = (IssueStatus.open, IssueStatus.in_progress)

# The predicates of the SLA watch indexes, kept literally equal to the migrations'.
_WATCHED = "sla_breached_at IS NULL AND responded_at IS NULL AND status IN ('open', 'in_progress')"
_RESOLUTION_WATCHED = "resolution_overdue_at IS NULL AND status IN ('open', 'in_progress')"


class Issue(CampaignItem):
    """A row of the brief's tracking table.

    The partial unique index on `alert_id` makes one issue per alert, whoever races; an
    alert deleted with its rule leaves the issue, without the link.
    """

    __tablename__ = "issues"
    change_log_name = "issue"
    __table_args__ = (
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_percent"),
        Index(
            "uq_issues_alert_id",
            "alert_id",
            unique=True,
            postgresql_where=sql("alert_id IS NOT NULL"),
        ),
        Index("ix_issues_response_watch", "response_due_at", postgresql_where=sql(_WATCHED)),
        Index(
            "ix_issues_resolution_watch",
            "resolution_due_at",
            postgresql_where=sql(_RESOLUTION_WATCHED),
        ),
    )

    related_task_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tasks.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    impact: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="RESTRICT"), index=True
    )
    action_plan: Mapped[str | None] = mapped_column(Text)
    expected_resolution_date: Mapped[date | None]
    progress: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[IssueStatus] = mapped_column(str_enum(IssueStatus), default=IssueStatus.open)
    severity: Mapped[Severity] = mapped_column(str_enum(Severity))
    source: Mapped[IssueSource] = mapped_column(str_enum(IssueSource))
    alert_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))
    # The retrospective item whose action this issue tracks: one issue per item. By table
    # name: retrospectives are a domain above this one.
    retrospective_item_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("retrospective_items.id", ondelete="SET NULL"), unique=True
    )
    response_due_at: Mapped[datetime]
    responded_at: Mapped[datetime | None]
    sla_breached_at: Mapped[datetime | None]
    # The resolution SLA (the manuals' 48-hour emergency window): due from the opening,
    # and found overdue once.
    resolution_due_at: Mapped[datetime]
    resolution_overdue_at: Mapped[datetime | None]
    opened_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    @property
    def allowed_statuses(self) -> list[IssueStatus]:
        return sorted(TRANSITIONS[self.status], key=list(IssueStatus).index)

    def response_overdue(self, now: datetime) -> bool:
        return (
            self.responded_at is None
            and self.status in AWAITING_WORK
            and self.response_due_at <= now
        )

    def resolution_overdue(self, now: datetime) -> bool:
        return self.status in AWAITING_WORK and self.resolution_due_at <= now


class IssueComment(CampaignItem):
    """Carries its issue's campaign, so the execution log files it with the campaign."""

    __tablename__ = "issue_comments"
    change_log_name = "issue_comment"

    issue_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("issues.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[CommentKind] = mapped_column(str_enum(CommentKind, length=16))
    body: Mapped[str] = mapped_column(Text)
    actor_api_key_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL")
    )
    actor_member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )


class IssueResponseTime(Base, WorkspaceScoped):
    """A workspace's own response time for one severity; without a row, the default."""

    __tablename__ = "issue_response_times"
    __table_args__ = (
        UniqueConstraint("workspace_id", "severity"),
        CheckConstraint("minutes > 0", name="positive_minutes"),
    )

    severity: Mapped[Severity] = mapped_column(str_enum(Severity))
    minutes: Mapped[int] = mapped_column(Integer)


class IssueResolutionTime(Base, WorkspaceScoped):
    """A workspace's own resolution time for one severity; without a row, the default."""

    __tablename__ = "issue_resolution_times"
    __table_args__ = (
        UniqueConstraint("workspace_id", "severity"),
        CheckConstraint("minutes > 0", name="positive_minutes"),
    )

    severity: Mapped[Severity] = mapped_column(str_enum(Severity))
    minutes: Mapped[int] = mapped_column(Integer)
