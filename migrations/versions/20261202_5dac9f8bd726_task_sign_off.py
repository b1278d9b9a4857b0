"""Task sign-off (in_review, accepted/returned) and task notification settings

Revision ID: 5dac9f8bd726
Revises: 0490003e717f
Create Date: 2026-12-02 17:00:00
"""

from collections.abc import Sequence

revision: str = "5dac9f8bd726"
down_revision: str | Sequence[str] | None = "0490003e717f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # reserved for issue 13 (kept in order so that parallel work has one head)


def downgrade() -> None:
    pass
