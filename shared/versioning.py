"""Optimistic concurrency: a client may say which version it edited; a stale one is refused."""

from collections.abc import Collection
from typing import Any

from shared.db import Entity
from shared.errors import PreconditionFailed


def check_version(entity: Entity, expected_versions: Collection[int] | None) -> None:
    """`expected_versions` None means the client did not ask (no If-Match, or `*`)."""
    if expected_versions is not None and entity.version not in expected_versions:
        raise PreconditionFailed(
            f"The resource is at version {entity.version}, not the one you edited; "
            "fetch it again and reapply the change.",
            current_version=entity.version,
        )


def apply_changes(
    entity: Entity, changes: dict[str, Any], expected_versions: Collection[int] | None
) -> bool:
    """Set the changed attributes; True when anything really changed (the version then moves)."""
    check_version(entity, expected_versions)
    changed = False
    for name, value in changes.items():
        if getattr(entity, name) != value:
            setattr(entity, name, value)
            changed = True
    return changed
