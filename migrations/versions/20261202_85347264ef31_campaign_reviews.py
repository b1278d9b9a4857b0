"""Reviews during the campaign with frozen snapshots

Revision ID: 85347264ef31
Revises: 5fabd09f86cc
Create Date: 2026-12-02 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "85347264ef31"
down_revision: str | Sequence[str] | None = "5fabd09f86cc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaign_reviews",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("daily", "weekly", "mid_term", name="reviewkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("adjustments", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("recorded_by_member_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_by_api_key_id", sa.Uuid(), nullable=True),
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
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_reviews_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_campaign_reviews_recorded_by_api_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_member_id"],
            ["members.id"],
            name=op.f("fk_campaign_reviews_recorded_by_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_campaign_reviews_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_reviews")),
        sa.UniqueConstraint(
            "campaign_id", "number", name=op.f("uq_campaign_reviews_campaign_id_number")
        ),
    )
    op.create_index(
        "ix_campaign_reviews_campaign_created",
        "campaign_reviews",
        ["campaign_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_campaign_reviews_workspace_id"), "campaign_reviews", ["workspace_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_campaign_reviews_workspace_id"), table_name="campaign_reviews")
    op.drop_index("ix_campaign_reviews_campaign_created", table_name="campaign_reviews")
    op.drop_table("campaign_reviews")
