"""Daily and weekly reports: one run per campaign and period

Revision ID: 5fabd09f86cc
Revises: 286cd31c5618
Create Date: 2026-12-02 17:00:00
"""

from collections.abc import Sequence

revision: str = "5fabd09f86cc"
down_revision: str | Sequence[str] | None = "286cd31c5618"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # reserved for issue 13 (kept in order so that parallel work has one head)


def downgrade() -> None:
    pass
