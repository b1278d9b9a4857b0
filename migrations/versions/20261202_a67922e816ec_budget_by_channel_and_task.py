"""Budget lines and expenses naming a channel and/or a task

Revision ID: a67922e816ec
Revises: 554c9869d508
Create Date: 2026-12-02 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a67922e816ec"
down_revision: str | Sequence[str] | None = "554c9869d508"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("budget_lines", "expenses")
REFERENCES = (("channel_id", "channels"), ("task_id", "tasks"))


def upgrade() -> None:
    # Nullable columns without a default: PostgreSQL adds them without rewriting the
    # tables, and existing money keeps naming neither a channel nor a task.
    for table in TABLES:
        for column, target in REFERENCES:
            op.add_column(table, sa.Column(column, sa.Uuid(), nullable=True))
            op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)
            op.create_foreign_key(
                op.f(f"fk_{table}_{column}_{target}"),
                table,
                target,
                [column],
                ["id"],
                ondelete="RESTRICT",
            )


def downgrade() -> None:
    for table in TABLES:
        for column, target in REFERENCES:
            op.drop_constraint(op.f(f"fk_{table}_{column}_{target}"), table, type_="foreignkey")
            op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
            op.drop_column(table, column)
