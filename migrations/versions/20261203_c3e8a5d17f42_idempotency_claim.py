"""Claiming an Idempotency-Key in one round trip: the lock, then the stored response

Revision ID: c3e8a5d17f42
Revises: a1c4e7f20b36
Create Date: 2026-12-03 20:45:00

Every idempotent POST takes the key's transaction-scoped advisory lock, then looks for the
response stored under it. They cannot be one SQL statement: a statement reads with the
snapshot it started with, which may predate the commit of the request that held the lock
a moment before, and the retry would then run the operation again. In a VOLATILE
function each statement takes a fresh snapshot, so the lookup after the lock sees that
commit, and the client's request costs one round trip instead of two.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c3e8a5d17f42"
down_revision: str | Sequence[str] | None = "a1c4e7f20b36"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION idempotency_claim(lock_id bigint, claimed_by uuid, claimed_key varchar)
        RETURNS TABLE (locked boolean, fingerprint bytea, status_code smallint,
                       headers jsonb, body bytea)
        LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            IF NOT pg_try_advisory_xact_lock(lock_id) THEN
                RETURN QUERY SELECT false, NULL::bytea, NULL::smallint, NULL::jsonb, NULL::bytea;
                RETURN;
            END IF;
            RETURN QUERY
                SELECT true, stored.fingerprint, stored.status_code, stored.headers, stored.body
                FROM idempotent_responses AS stored
                WHERE stored.api_key_id = claimed_by AND stored.key = claimed_key
                    AND stored.expires_at > now();
            IF NOT FOUND THEN
                RETURN QUERY SELECT true, NULL::bytea, NULL::smallint, NULL::jsonb, NULL::bytea;
            END IF;
        END
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION idempotency_claim(bigint, uuid, varchar)")
