"""events

Revision ID: 5d2b8c41e903
Revises: 9c1f3e7a2b55
Create Date: 2026-11-22 05:40:00
"""

from collections.abc import Sequence

revision: str = "5d2b8c41e903"
down_revision: str | Sequence[str] | None = "9c1f3e7a2b55"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
