"""Retrospective items, suggestions, and issues linked to actions

Revision ID: 2cc43ef596a8
Revises: b5f19ac2855b
Create Date: 2026-12-02 18:30:00
"""

from collections.abc import Sequence

revision: str = "2cc43ef596a8"
down_revision: str | Sequence[str] | None = "b5f19ac2855b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # reserved for issue 14 (kept in order so that parallel work has one head)


def downgrade() -> None:
    pass
