"""events

Revision ID: 5d2b8c41e903
Revises: 9c1f3e7a2b55
Create Date: 2026-11-22 05:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import UserDefinedType

revision: str = "5d2b8c41e903"
down_revision: str | Sequence[str] | None = "9c1f3e7a2b55"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


class Xid8(UserDefinedType[int]):
    """A copy of shared.events.models.Xid8: migrations do not import the models they outlive."""

    cache_ok = True

    def get_col_spec(self, **kw: object) -> str:
        return "XID8"


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("actor_api_key_id", sa.Uuid(), nullable=True),
        sa.Column("actor_member_id", sa.Uuid(), nullable=True),
        sa.Column(
            "data",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        # The inserting transaction: the feed's order, see shared/events/models.py.
        sa.Column("tx_id", Xid8(), server_default=sa.text("pg_current_xact_id()"), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_events_actor_api_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["actor_member_id"],
            ["members.id"],
            name=op.f("fk_events_actor_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_events_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_events_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index(
        "ix_events_workspace_position", "events", ["workspace_id", "tx_id", "seq"], unique=False
    )
    op.create_index(
        "ix_events_campaign_position", "events", ["campaign_id", "tx_id", "seq"], unique=False
    )
    op.create_index("ix_events_subject_id", "events", ["subject_id"], unique=False)
    op.create_index(op.f("ix_events_workspace_id"), "events", ["workspace_id"], unique=False)


def downgrade() -> None:
    op.drop_table("events")
