"""The execution log: every change to a campaign's plan and work, and free entries."""

import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, Uuid
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, WorkspaceScoped


class EntryAction(StrEnum):
    created = "created"
    updated = "updated"
    deleted = "deleted"
    note = "note"  # a free entry: stand-up, decision, blocker...


class ActivityEntry(Base, WorkspaceScoped):
    """Append-only: written in the transaction of the change it records, never edited."""

    __tablename__ = "activity_entries"
    __table_args__ = (
        Index("ix_activity_entries_campaign_time", "campaign_id", "created_at", "id"),
        Index("ix_activity_entries_related_tasks", "related_task_ids", postgresql_using="gin"),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), index=True)
    action: Mapped[str] = mapped_column(String(16))
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    kind: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    related_task_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid()), default=list)
    actor_api_key_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL")
    )
    actor_member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
