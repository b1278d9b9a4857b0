"""Channel history for planning

Revision ID: 9c5b1e3d2a47
Revises: 7a4d2c8e9f10
Create Date: 2026-12-02 22:00:00
"""

from collections.abc import Sequence

revision: str = "9c5b1e3d2a47"
down_revision: str | Sequence[str] | None = "7a4d2c8e9f10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # reserved for issue 15 (kept in order so that parallel work has one head)


def downgrade() -> None:
    pass
