"""The events feed: what happened to alerts, issues, tasks and campaigns, in commit-safe order."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, String, Uuid, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql.base import ischema_names
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import UserDefinedType

from shared.db import Base, WorkspaceScoped
from shared.events.positions import Position


class Xid8(UserDefinedType[int]):
    """PostgreSQL's 64-bit transaction id (`xid8`), read as an integer."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "XID8"


# Reflection (Alembic's autogenerate comparison) then reads the column back as this type.
ischema_names.setdefault("xid8", Xid8)


class Event(Base, WorkspaceScoped):
    """Append-only, written in the transaction of the change it describes.

    The feed orders by (`tx_id`, `seq`), not by `seq` alone: sequence values are taken
    when rows are inserted but become visible when their transaction commits, so a
    reader past seq 11 would never see a seq 10 committed later. Readers only return
    rows whose transaction is older than every transaction still running, so nothing
    can appear behind a position once it has been handed out.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_workspace_position", "workspace_id", "tx_id", "seq"),
        # Also serves the foreign key: deleting a campaign deletes its events.
        Index("ix_events_campaign_position", "campaign_id", "tx_id", "seq"),
        Index("ix_events_subject_id", "subject_id"),
    )

    kind: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE")
    )
    actor_api_key_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL")
    )
    actor_member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default=text("'{}'"))
    occurred_at: Mapped[datetime] = mapped_column(server_default=func.now())
    tx_id: Mapped[int] = mapped_column(Xid8(), server_default=func.pg_current_xact_id())
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True))

    @property
    def position(self) -> str:
        """Where this event sits in the feed; resume after it with `after=` or Last-Event-ID."""
        return str(Position(self.tx_id, self.seq))
