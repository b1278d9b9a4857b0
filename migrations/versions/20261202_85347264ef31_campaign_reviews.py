"""Reviews during the campaign with frozen snapshots

Revision ID: 85347264ef31
Revises: 5fabd09f86cc
Create Date: 2026-12-02 17:00:00
"""

from collections.abc import Sequence

revision: str = "85347264ef31"
down_revision: str | Sequence[str] | None = "5fabd09f86cc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # reserved for issue 13 (kept in order so that parallel work has one head)


def downgrade() -> None:
    pass
