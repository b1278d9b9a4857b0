"""Change requests on active campaigns and plan versions

Revision ID: 286cd31c5618
Revises: a67922e816ec
Create Date: 2026-12-02 17:00:00
"""

from collections.abc import Sequence

revision: str = "286cd31c5618"
down_revision: str | Sequence[str] | None = "a67922e816ec"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # reserved for issue 13 (kept in order so that parallel work has one head)


def downgrade() -> None:
    pass
