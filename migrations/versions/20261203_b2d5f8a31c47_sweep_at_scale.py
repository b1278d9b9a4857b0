"""The minute sweep at thousands of active campaigns.

Revision ID: b2d5f8a31c47
Revises: a1c4e7f20b36
"""

from collections.abc import Sequence

revision: str = "b2d5f8a31c47"
down_revision: str | None = "a1c4e7f20b36"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # reserved: filled by the change that needs it, or removed


def downgrade() -> None:
    pass
