"""Workspace language: the headers of exports and the labels of pages

Revision ID: 6d2f9a0b3e54
Revises: 4b8e6f2a1c93
Create Date: 2026-12-03 08:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6d2f9a0b3e54"
down_revision: str | Sequence[str] | None = "4b8e6f2a1c93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A constant default: PostgreSQL adds the column without rewriting the table, and every
    # existing workspace reads Chinese, the manuals' language.
    op.add_column(
        "workspaces",
        sa.Column("language", sa.String(length=8), server_default="zh-CN", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("workspaces", "language")
