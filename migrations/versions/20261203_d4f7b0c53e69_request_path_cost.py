"""The API's request path.

Revision ID: d4f7b0c53e69
Revises: c3e6a9b42d58
"""

from collections.abc import Sequence

revision: str = "d4f7b0c53e69"
down_revision: str | None = "c3e6a9b42d58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # reserved: filled by the change that needs it, or removed


def downgrade() -> None:
    pass
