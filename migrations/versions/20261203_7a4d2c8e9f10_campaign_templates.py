"""Campaign templates and lessons carried over to a new campaign

Revision ID: 7a4d2c8e9f10
Revises: 3e1f0a9c7b21
Create Date: 2026-12-02 22:00:00
"""

from collections.abc import Sequence

revision: str = "7a4d2c8e9f10"
down_revision: str | Sequence[str] | None = "3e1f0a9c7b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # reserved for issue 15 (kept in order so that parallel work has one head)


def downgrade() -> None:
    pass
