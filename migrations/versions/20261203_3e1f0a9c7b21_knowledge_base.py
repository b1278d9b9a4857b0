"""The knowledge base: searchable entries of campaigns and what they hold

Revision ID: 3e1f0a9c7b21
Revises: 2cc43ef596a8
Create Date: 2026-12-02 22:00:00
"""

from collections.abc import Sequence

revision: str = "3e1f0a9c7b21"
down_revision: str | Sequence[str] | None = "2cc43ef596a8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # reserved for issue 15 (kept in order so that parallel work has one head)


def downgrade() -> None:
    pass
