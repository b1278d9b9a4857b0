"""Settlement: expense evidence and attachments, verification, sign-off

Revision ID: b5f19ac2855b
Revises: cc345e2025de
Create Date: 2026-12-02 18:30:00
"""

from collections.abc import Sequence

revision: str = "b5f19ac2855b"
down_revision: str | Sequence[str] | None = "cc345e2025de"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # reserved for issue 14 (kept in order so that parallel work has one head)


def downgrade() -> None:
    pass
