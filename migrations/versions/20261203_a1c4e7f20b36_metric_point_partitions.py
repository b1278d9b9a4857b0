"""Metric points partitioned by month; retention of hourly points, raw batches, deliveries and events.

Revision ID: a1c4e7f20b36
Revises: 6d2f9a0b3e54
"""

from collections.abc import Sequence

revision: str = "a1c4e7f20b36"
down_revision: str | None = "6d2f9a0b3e54"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # reserved: filled by the change that needs it, or removed


def downgrade() -> None:
    pass
