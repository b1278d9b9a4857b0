"""Deliveries at the pace of a bare HTTP client.

Revision ID: c3e6a9b42d58
Revises: b2d5f8a31c47
"""

from collections.abc import Sequence

revision: str = "c3e6a9b42d58"
down_revision: str | None = "b2d5f8a31c47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # reserved: filled by the change that needs it, or removed


def downgrade() -> None:
    pass
