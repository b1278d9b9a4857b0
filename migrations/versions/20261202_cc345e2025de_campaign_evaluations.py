"""Evaluations: per-goal results, dimensions, analyses, frozen versions

Revision ID: cc345e2025de
Revises: 85347264ef31
Create Date: 2026-12-02 18:30:00
"""

from collections.abc import Sequence

revision: str = "cc345e2025de"
down_revision: str | Sequence[str] | None = "85347264ef31"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # reserved for issue 14 (kept in order so that parallel work has one head)


def downgrade() -> None:
    pass
