"""issues

Revision ID: c38e5f7a1d24
Revises: 7f4a2e19c6b0
Create Date: 2026-11-22 05:40:00
"""

from collections.abc import Sequence

revision: str = "c38e5f7a1d24"
down_revision: str | Sequence[str] | None = "7f4a2e19c6b0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
