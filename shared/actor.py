"""Who is acting: the API key (or CLI) and the member it speaks for."""

import uuid
from dataclasses import dataclass

from shared.workspaces.models import Role


@dataclass(frozen=True)
class Actor:
    workspace_id: uuid.UUID
    api_key_id: uuid.UUID
    role: Role
    member_id: uuid.UUID | None
