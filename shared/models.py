"""Imports every domain's models so `Base.metadata` is complete (Alembic, tests)."""

from shared.db import Base
from shared.idempotency import models as idempotency_models
from shared.workspaces import models as workspace_models

__all__ = ["Base", "idempotency_models", "workspace_models"]
