"""Evaluations: per-goal results, dimensions, analyses, frozen versions

Revision ID: cc345e2025de
Revises: 85347264ef31
Create Date: 2026-12-02 18:30:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "cc345e2025de"
down_revision: str | Sequence[str] | None = "85347264ef31"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


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
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "evaluation_dimension_metrics",
        sa.Column("metric_key", sa.String(length=64), nullable=False),
        sa.Column(
            "dimension",
            sa.Enum(
                "roi",
                "user_value",
                "brand_impact",
                name="dimension",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        *_entity_columns(),
        _fk("evaluation_dimension_metrics", "workspace_id", "workspaces", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_dimension_metrics")),
        sa.UniqueConstraint(
            "workspace_id",
            "metric_key",
            name=op.f("uq_evaluation_dimension_metrics_workspace_id_metric_key"),
        ),
    )
    op.create_index(
        op.f("ix_evaluation_dimension_metrics_workspace_id"),
        "evaluation_dimension_metrics",
        ["workspace_id"],
        unique=False,
    )

    op.create_table(
        "evaluation_goal_analyses",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("goal_id", sa.Uuid(), nullable=False),
        sa.Column(
            "cause_category",
            sa.Enum(
                "strategy",
                "execution",
                "external",
                name="causecategory",
                native_enum=False,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("analysis", sa.Text(), nullable=True),
        sa.Column("improvement_proposal", sa.Text(), nullable=True),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_by_member_id", sa.Uuid(), nullable=True),
        sa.Column("edited_by_api_key_id", sa.Uuid(), nullable=True),
        *_entity_columns(),
        _fk("evaluation_goal_analyses", "campaign_id", "campaigns", "CASCADE"),
        _fk("evaluation_goal_analyses", "goal_id", "goals", "CASCADE"),
        _fk("evaluation_goal_analyses", "edited_by_member_id", "members", "SET NULL"),
        _fk("evaluation_goal_analyses", "edited_by_api_key_id", "api_keys", "SET NULL"),
        _fk("evaluation_goal_analyses", "workspace_id", "workspaces", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_goal_analyses")),
        sa.UniqueConstraint("goal_id", name=op.f("uq_evaluation_goal_analyses_goal_id")),
    )
    op.create_index(
        op.f("ix_evaluation_goal_analyses_campaign_id"),
        "evaluation_goal_analyses",
        ["campaign_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_evaluation_goal_analyses_workspace_id"),
        "evaluation_goal_analyses",
        ["workspace_id"],
        unique=False,
    )

    op.create_table(
        "evaluation_versions",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("document", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("finalised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finalised_by_member_id", sa.Uuid(), nullable=True),
        sa.Column("finalised_by_api_key_id", sa.Uuid(), nullable=True),
        *_entity_columns(),
        _fk("evaluation_versions", "campaign_id", "campaigns", "CASCADE"),
        _fk("evaluation_versions", "finalised_by_member_id", "members", "SET NULL"),
        _fk("evaluation_versions", "finalised_by_api_key_id", "api_keys", "SET NULL"),
        _fk("evaluation_versions", "workspace_id", "workspaces", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_versions")),
        sa.UniqueConstraint(
            "campaign_id", "number", name=op.f("uq_evaluation_versions_campaign_id_number")
        ),
    )
    op.create_index(
        "ix_evaluation_versions_campaign_created",
        "evaluation_versions",
        ["campaign_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_evaluation_versions_workspace_id"),
        "evaluation_versions",
        ["workspace_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_evaluation_versions_workspace_id"), table_name="evaluation_versions")
    op.drop_index("ix_evaluation_versions_campaign_created", table_name="evaluation_versions")
    op.drop_table("evaluation_versions")
    op.drop_index(
        op.f("ix_evaluation_goal_analyses_workspace_id"), table_name="evaluation_goal_analyses"
    )
    op.drop_index(
        op.f("ix_evaluation_goal_analyses_campaign_id"), table_name="evaluation_goal_analyses"
    )
    op.drop_table("evaluation_goal_analyses")
    op.drop_index(
        op.f("ix_evaluation_dimension_metrics_workspace_id"),
        table_name="evaluation_dimension_metrics",
    )
    op.drop_table("evaluation_dimension_metrics")
