"""ingest batch attempts and last error

Revision ID: 0490003e717f
Revises: 8b3d6f2e4a17
Create Date: 2026-12-02 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0490003e717f"
down_revision: str | Sequence[str] | None = "8b3d6f2e4a17"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A constant default: PostgreSQL adds the column without rewriting the table. Batches
    # applied before this revision keep 0 (their tries were not counted).
    op.add_column(
        "ingest_batches",
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("ingest_batches", sa.Column("last_error", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("ingest_batches", "last_error")
    op.drop_column("ingest_batches", "attempts")
