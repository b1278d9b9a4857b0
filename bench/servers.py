"""Real PostgreSQL and Redis for a benchmark: the URLs from the environment, or embedded."""

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shared import migrate
from shared.embedded import ChildServer, EmbeddedPostgres, EmbeddedRedis, free_port


@contextmanager
def servers(name: str) -> Iterator[tuple[str, str]]:
    """Yield migrated (database_url, redis_url); embedded servers stop when the block ends."""
    with tempfile.TemporaryDirectory(prefix=f"campaignops-bench-{name}-") as tmp:
        started: list[ChildServer] = []
        database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
        try:
            if not database_url:
                postgres = EmbeddedPostgres(Path(tmp) / "postgres", free_port())
                started.append(postgres)
                database_url = postgres.start(f"bench_{uuid.uuid4().hex[:8]}")
            if not redis_url:
                redis = EmbeddedRedis(Path(tmp) / "redis", free_port(), durable=False)
                started.append(redis)
                redis_url = redis.start()
            migrate.upgrade(database_url)
            yield database_url, redis_url
        finally:
            for server in reversed(started):
                server.stop()
