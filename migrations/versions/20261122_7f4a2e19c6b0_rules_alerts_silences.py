"""rules alerts silences

Revision ID: 7f4a2e19c6b0
Revises: 5d2b8c41e903
Create Date: 2026-11-22 05:40:00
"""

from collections.abc import Sequence

revision: str = "7f4a2e19c6b0"
down_revision: str | Sequence[str] | None = "5d2b8c41e903"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
