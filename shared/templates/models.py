"""Campaign templates, and what a campaign started from one (or from an earlier campaign)
keeps of it: its origin and the lessons carried over.

A template is a frozen document (`document`): the plan's structure read from a campaign
when it was saved, so later edits of that campaign never change it. Nothing of the old
campaign's figures, money spent, approvals, statuses or dates is in it: dates are offsets
from the start, targets are references to confirm.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.activity.tracking import Tracked
from shared.campaigns.models import CampaignKind
from shared.db import Base, WorkspaceScoped, str_enum
from shared.retrospectives.models import RootCause


def _member() -> Mapped[uuid.UUID | None]:
    return mapped_column(ForeignKey("members.id", ondelete="SET NULL"))


def _api_key() -> Mapped[uuid.UUID | None]:
    return mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))


class CampaignTemplate(Base, WorkspaceScoped):
    """A named plan structure of the workspace, saved from one of its campaigns."""

    __tablename__ = "campaign_templates"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[CampaignKind] = mapped_column(str_enum(CampaignKind))
    # The campaign it was saved from; the name stays if that campaign is deleted.
    source_campaign_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), index=True
    )
    source_campaign_name: Mapped[str] = mapped_column(String(200))
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)  # a PlanDocument, never updated
    created_by_member_id: Mapped[uuid.UUID | None] = _member()
    created_by_api_key_id: Mapped[uuid.UUID | None] = _api_key()


class CampaignOrigin(Base, WorkspaceScoped):
    """Where a campaign came from: a template, or an earlier campaign copied directly.

    Not `Tracked`: the execution log gets one note when the campaign is made.
    """

    __tablename__ = "campaign_origins"
    __table_args__ = (UniqueConstraint("campaign_id"),)

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    template_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("campaign_templates.id", ondelete="SET NULL"), index=True
    )
    template_name: Mapped[str | None] = mapped_column(String(200))
    source_campaign_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), index=True
    )
    source_campaign_name: Mapped[str] = mapped_column(String(200))
    # What was made, as the creation reported it: counts, warnings, the goals whose
    # targets are to confirm with the source's reference values.
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_by_member_id: Mapped[uuid.UUID | None] = _member()
    created_by_api_key_id: Mapped[uuid.UUID | None] = _api_key()


class CampaignLesson(Base, WorkspaceScoped, Tracked):
    """An improvement action of an earlier campaign's retrospective, carried over to a new
    campaign as a checklist item the team ticks. Tracked: the execution log shows who
    ticked it and when."""

    __tablename__ = "campaign_lessons"
    change_log_name = "lesson"
    __table_args__ = (UniqueConstraint("campaign_id", "position"),)

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)  # 1, 2, 3... as the retrospective had them
    source_campaign_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), index=True
    )
    source_campaign_name: Mapped[str] = mapped_column(String(200))
    source_item_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("retrospective_items.id", ondelete="SET NULL")
    )
    stage: Mapped[str] = mapped_column(String(200))
    shortfall: Mapped[str | None] = mapped_column(Text)
    root_cause: Mapped[RootCause | None] = mapped_column(str_enum(RootCause, length=16))
    improvement_action: Mapped[str] = mapped_column(Text)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[datetime | None]
    done_by_member_id: Mapped[uuid.UUID | None] = _member()
    done_by_api_key_id: Mapped[uuid.UUID | None] = _api_key()

    def change_log_campaign_id(self) -> uuid.UUID:
        return self.campaign_id
