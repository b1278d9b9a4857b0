"""Who is acting: the API key (or CLI) and the member it speaks for, with its role."""

import uuid
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What an API key may do; each role includes the ones before it."""

    viewer = "viewer"
    editor = "editor"
    approver = "approver"
    admin = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def includes(self, other: "Role") -> bool:
        return self.rank >= other.rank


@dataclass(frozen=True)
class Actor:
    workspace_id: uuid.UUID
    api_key_id: uuid.UUID
    role: Role
    member_id: uuid.UUID | None
