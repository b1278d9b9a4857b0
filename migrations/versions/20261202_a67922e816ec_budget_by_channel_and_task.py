"""Budget lines and expenses naming a channel and/or a task

Revision ID: a67922e816ec
Revises: 554c9869d508
Create Date: 2026-12-02 17:00:00
"""

from collections.abc import Sequence

revision: str = "a67922e816ec"
down_revision: str | Sequence[str] | None = "554c9869d508"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # reserved for issue 13 (kept in order so that parallel work has one head)


def downgrade() -> None:
    pass
