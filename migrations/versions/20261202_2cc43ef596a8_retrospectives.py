"""Retrospective items, suggestions, and issues linked to actions

Revision ID: 2cc43ef596a8
Revises: b5f19ac2855b
Create Date: 2026-12-02 18:30:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "2cc43ef596a8"
down_revision: str | Sequence[str] | None = "b5f19ac2855b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROOT_CAUSES = ("strategy", "execution", "collaboration", "budget", "external")
SUGGESTION_KINDS = (
    "goal_missed",
    "rule_fired",
    "issue_sla_breached",
    "task_slipped",
    "budget_over_plan",
    "channel_low_roi",
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


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "retrospective_items",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sa.String(length=200), nullable=False),
        sa.Column("what_worked", sa.Text(), nullable=True),
        sa.Column("shortfall", sa.Text(), nullable=True),
        sa.Column(
            "root_cause",
            sa.Enum(*ROOT_CAUSES, name="rootcause", native_enum=False, length=16),
            nullable=True,
        ),
        sa.Column("improvement_action", sa.Text(), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("suggestion_id", sa.String(length=32), nullable=True),
        *_entity_columns(),
        _fk("retrospective_items", "campaign_id", "campaigns", "CASCADE"),
        _fk("retrospective_items", "owner_id", "members", "RESTRICT"),
        _fk("retrospective_items", "workspace_id", "workspaces", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retrospective_items")),
    )
    for column in ("campaign_id", "owner_id", "workspace_id"):
        op.create_index(
            op.f(f"ix_retrospective_items_{column}"), "retrospective_items", [column], unique=False
        )

    op.create_table(
        "retrospective_suggestions",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("suggestion_id", sa.String(length=32), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*SUGGESTION_KINDS, name="suggestionkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(
                "proposed",
                "accepted",
                "dismissed",
                name="suggestionstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("item_id", sa.Uuid(), nullable=True),
        sa.Column("evidence", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_member_id", sa.Uuid(), nullable=True),
        sa.Column("decided_by_api_key_id", sa.Uuid(), nullable=True),
        *_entity_columns(),
        _fk("retrospective_suggestions", "campaign_id", "campaigns", "CASCADE"),
        _fk("retrospective_suggestions", "item_id", "retrospective_items", "CASCADE"),
        _fk("retrospective_suggestions", "decided_by_member_id", "members", "SET NULL"),
        _fk("retrospective_suggestions", "decided_by_api_key_id", "api_keys", "SET NULL"),
        _fk("retrospective_suggestions", "workspace_id", "workspaces", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retrospective_suggestions")),
        sa.UniqueConstraint(
            "campaign_id",
            "suggestion_id",
            name=op.f("uq_retrospective_suggestions_campaign_id_suggestion_id"),
        ),
    )
    for column in ("campaign_id", "item_id", "workspace_id"):
        op.create_index(
            op.f(f"ix_retrospective_suggestions_{column}"),
            "retrospective_suggestions",
            [column],
            unique=False,
        )

    # An issue may track a retrospective item's action: one issue per item.
    op.add_column("issues", sa.Column("retrospective_item_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_issues_retrospective_item_id_retrospective_items"),
        "issues",
        "retrospective_items",
        ["retrospective_item_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_unique_constraint(
        op.f("uq_issues_retrospective_item_id"), "issues", ["retrospective_item_id"]
    )

    # The final review: at most one per campaign.
    op.create_index(
        "uq_campaign_reviews_final",
        "campaign_reviews",
        ["campaign_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'final'"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_campaign_reviews_final",
        table_name="campaign_reviews",
        postgresql_where=sa.text("kind = 'final'"),
    )
    op.drop_constraint(op.f("uq_issues_retrospective_item_id"), "issues", type_="unique")
    op.drop_constraint(
        op.f("fk_issues_retrospective_item_id_retrospective_items"), "issues", type_="foreignkey"
    )
    op.drop_column("issues", "retrospective_item_id")
    for column in ("workspace_id", "item_id", "campaign_id"):
        op.drop_index(
            op.f(f"ix_retrospective_suggestions_{column}"), table_name="retrospective_suggestions"
        )
    op.drop_table("retrospective_suggestions")
    for column in ("workspace_id", "owner_id", "campaign_id"):
        op.drop_index(op.f(f"ix_retrospective_items_{column}"), table_name="retrospective_items")
    op.drop_table("retrospective_items")
