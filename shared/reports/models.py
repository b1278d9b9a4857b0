"""Reports sent, one row per campaign, kind and period; and when they are sent."""

import uuid
from datetime import date, datetime, time

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, WorkspaceScoped, str_enum
from shared.reports.schedule import Language, ReportKind, period_label


class ReportRun(Base, WorkspaceScoped):
    """A report that went out. The unique key is the claim: the transaction that inserts
    the row records the report's event, so however many workers race for a period, one
    inserts it and the others find it taken (they wait for the first to commit)."""

    __tablename__ = "report_runs"
    __table_args__ = (
        UniqueConstraint("campaign_id", "kind", "period_start"),
        Index("ix_report_runs_campaign_created", "campaign_id", "created_at", "id"),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    kind: Mapped[ReportKind] = mapped_column(str_enum(ReportKind, length=16))
    period_start: Mapped[date]  # the day; for a weekly report, the week's Monday
    due_at: Mapped[datetime]
    title: Mapped[str] = mapped_column(String(300))

    @property
    def period(self) -> str:
        """`2024-06-10`, or the ISO week `2024-W24`."""
        return period_label(self.kind, self.period_start)


class ReportSchedule(Base, WorkspaceScoped):
    """When reports go out: the workspace's row (no campaign) and campaigns' own rows.
    A None field takes the value of the level above (campaign -> workspace -> default)."""

    __tablename__ = "report_schedules"
    __table_args__ = (
        Index(
            "uq_report_schedules_workspace",
            "workspace_id",
            unique=True,
            postgresql_where=sql("campaign_id IS NULL"),
        ),
        Index(
            "uq_report_schedules_campaign",
            "campaign_id",
            unique=True,
            postgresql_where=sql("campaign_id IS NOT NULL"),
        ),
    )

    campaign_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE")
    )
    daily_enabled: Mapped[bool | None] = mapped_column(Boolean)
    daily_time: Mapped[time | None]
    weekly_enabled: Mapped[bool | None] = mapped_column(Boolean)
    weekly_time: Mapped[time | None]
    language: Mapped[Language | None] = mapped_column(str_enum(Language, length=8))
