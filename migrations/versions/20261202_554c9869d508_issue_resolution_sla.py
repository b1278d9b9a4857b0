"""Issue resolution SLA: resolution_due_at and its overdue mark

Revision ID: 554c9869d508
Revises: 5dac9f8bd726
Create Date: 2026-12-02 17:00:00
"""

from collections.abc import Sequence

revision: str = "554c9869d508"
down_revision: str | Sequence[str] | None = "5dac9f8bd726"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # reserved for issue 13 (kept in order so that parallel work has one head)


def downgrade() -> None:
    pass
