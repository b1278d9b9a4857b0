"""Campaign templates and lessons carried over to a new campaign

Revision ID: 7a4d2c8e9f10
Revises: 3e1f0a9c7b21
Create Date: 2026-12-02 22:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "7a4d2c8e9f10"
down_revision: str | Sequence[str] | None = "3e1f0a9c7b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CAMPAIGN_KINDS = (
    "new_product_launch",
    "brand_awareness",
    "promotion",
    "regional_rollout",
    "channel_expansion",
    "other",
)
ROOT_CAUSES = ("strategy", "execution", "collaboration", "budget", "external")


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


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def _indexes(table: str, columns: Sequence[str]) -> None:
    for column in columns:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "campaign_templates",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(*CAMPAIGN_KINDS, name="campaignkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("source_campaign_id", sa.Uuid(), nullable=True),
        sa.Column("source_campaign_name", sa.String(length=200), nullable=False),
        sa.Column("document", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by_member_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_api_key_id", sa.Uuid(), nullable=True),
        *_entity_columns(),
        _fk("campaign_templates", "source_campaign_id", "campaigns", "SET NULL"),
        _fk("campaign_templates", "created_by_member_id", "members", "SET NULL"),
        _fk("campaign_templates", "created_by_api_key_id", "api_keys", "SET NULL"),
        _fk("campaign_templates", "workspace_id", "workspaces", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_templates")),
        sa.UniqueConstraint(
            "workspace_id", "name", name=op.f("uq_campaign_templates_workspace_id_name")
        ),
    )
    _indexes("campaign_templates", ("source_campaign_id", "workspace_id"))

    op.create_table(
        "campaign_origins",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("template_id", sa.Uuid(), nullable=True),
        sa.Column("template_name", sa.String(length=200), nullable=True),
        sa.Column("source_campaign_id", sa.Uuid(), nullable=True),
        sa.Column("source_campaign_name", sa.String(length=200), nullable=False),
        sa.Column("summary", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by_member_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_api_key_id", sa.Uuid(), nullable=True),
        *_entity_columns(),
        _fk("campaign_origins", "campaign_id", "campaigns", "CASCADE"),
        _fk("campaign_origins", "template_id", "campaign_templates", "SET NULL"),
        _fk("campaign_origins", "source_campaign_id", "campaigns", "SET NULL"),
        _fk("campaign_origins", "created_by_member_id", "members", "SET NULL"),
        _fk("campaign_origins", "created_by_api_key_id", "api_keys", "SET NULL"),
        _fk("campaign_origins", "workspace_id", "workspaces", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_origins")),
        sa.UniqueConstraint("campaign_id", name=op.f("uq_campaign_origins_campaign_id")),
    )
    _indexes("campaign_origins", ("source_campaign_id", "template_id", "workspace_id"))

    op.create_table(
        "campaign_lessons",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source_campaign_id", sa.Uuid(), nullable=True),
        sa.Column("source_campaign_name", sa.String(length=200), nullable=False),
        sa.Column("source_item_id", sa.Uuid(), nullable=True),
        sa.Column("stage", sa.String(length=200), nullable=False),
        sa.Column("shortfall", sa.Text(), nullable=True),
        sa.Column(
            "root_cause",
            sa.Enum(*ROOT_CAUSES, name="rootcause", native_enum=False, length=16),
            nullable=True,
        ),
        sa.Column("improvement_action", sa.Text(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by_member_id", sa.Uuid(), nullable=True),
        sa.Column("done_by_api_key_id", sa.Uuid(), nullable=True),
        *_entity_columns(),
        _fk("campaign_lessons", "campaign_id", "campaigns", "CASCADE"),
        _fk("campaign_lessons", "source_campaign_id", "campaigns", "SET NULL"),
        _fk("campaign_lessons", "source_item_id", "retrospective_items", "SET NULL"),
        _fk("campaign_lessons", "done_by_member_id", "members", "SET NULL"),
        _fk("campaign_lessons", "done_by_api_key_id", "api_keys", "SET NULL"),
        _fk("campaign_lessons", "workspace_id", "workspaces", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_lessons")),
        sa.UniqueConstraint(
            "campaign_id", "position", name=op.f("uq_campaign_lessons_campaign_id_position")
        ),
    )
    _indexes("campaign_lessons", ("campaign_id", "source_campaign_id", "workspace_id"))


def downgrade() -> None:
    for table, columns in (
        ("campaign_lessons", ("campaign_id", "source_campaign_id", "workspace_id")),
        ("campaign_origins", ("source_campaign_id", "template_id", "workspace_id")),
        ("campaign_templates", ("source_campaign_id", "workspace_id")),
    ):
        for column in columns:
            op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
        op.drop_table(table)
