"""The knowledge base: searchable entries of campaigns and what they hold

Revision ID: 3e1f0a9c7b21
Revises: 2cc43ef596a8
Create Date: 2026-12-02 22:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "3e1f0a9c7b21"
down_revision: str | Sequence[str] | None = "2cc43ef596a8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENTRY_KINDS = (
    "campaign",
    "goal",
    "evaluation",
    "retrospective_item",
    "issue",
    "log_note",
    "change_request",
    "attachment",
    "review",
)
CAMPAIGN_KINDS = (
    "new_product_launch",
    "brand_awareness",
    "promotion",
    "regional_rollout",
    "channel_expansion",
    "other",
)
CAMPAIGN_STATUSES = (
    "draft",
    "pending_approval",
    "approved",
    "active",
    "completed",
    "archived",
    "rejected",
    "cancelled",
)


def _entity_columns() -> list[sa.Column[Any]]:
    return [
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
    ]


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "knowledge_entries",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*ENTRY_KINDS, name="entrykind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("href", sa.String(length=300), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("search_vector", postgresql.TSVECTOR(), nullable=False),
        sa.Column("campaign_name", sa.String(length=200), nullable=False),
        sa.Column(
            "campaign_kind",
            sa.Enum(*CAMPAIGN_KINDS, name="campaignkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "campaign_status",
            sa.Enum(*CAMPAIGN_STATUSES, name="campaignstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("campaign_year", sa.Integer(), nullable=True),
        sa.Column("campaign_day", sa.Date(), nullable=False),
        sa.Column("campaign_tags", postgresql.ARRAY(sa.String(length=50)), nullable=False),
        sa.Column("campaign_channels", postgresql.ARRAY(sa.String(length=100)), nullable=False),
        sa.Column(
            "goal_outcome",
            sa.Enum("met", "missed", name="goaloutcome", native_enum=False, length=16),
            nullable=True,
        ),
        *_entity_columns(),
        _fk("knowledge_entries", "campaign_id", "campaigns"),
        _fk("knowledge_entries", "workspace_id", "workspaces"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_entries")),
    )
    for column in ("campaign_id", "workspace_id"):
        op.create_index(
            op.f(f"ix_knowledge_entries_{column}"), "knowledge_entries", [column], unique=False
        )
    op.create_index(
        "ix_knowledge_entries_search",
        "knowledge_entries",
        ["search_vector"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        "ix_knowledge_entries_recency",
        "knowledge_entries",
        ["workspace_id", "campaign_day", "id"],
        unique=False,
    )

    op.create_table(
        "knowledge_campaigns",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("log_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("log_count", sa.Integer(), nullable=False),
        sa.Column("attachment_count", sa.Integer(), nullable=False),
        sa.Column("attachment_latest", sa.DateTime(timezone=True), nullable=True),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        *_entity_columns(),
        _fk("knowledge_campaigns", "campaign_id", "campaigns"),
        _fk("knowledge_campaigns", "workspace_id", "workspaces"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_campaigns")),
        sa.UniqueConstraint("campaign_id", name=op.f("uq_knowledge_campaigns_campaign_id")),
    )
    op.create_index(
        op.f("ix_knowledge_campaigns_workspace_id"),
        "knowledge_campaigns",
        ["workspace_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_knowledge_campaigns_workspace_id"), table_name="knowledge_campaigns")
    op.drop_table("knowledge_campaigns")
    op.drop_index("ix_knowledge_entries_recency", table_name="knowledge_entries")
    op.drop_index(
        "ix_knowledge_entries_search", table_name="knowledge_entries", postgresql_using="gin"
    )
    for column in ("workspace_id", "campaign_id"):
        op.drop_index(op.f(f"ix_knowledge_entries_{column}"), table_name="knowledge_entries")
    op.drop_table("knowledge_entries")
