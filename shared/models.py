"""Imports every domain's models so `Base.metadata` is complete (Alembic, tests)."""

from shared.approvals import models as approval_models
from shared.campaigns import models as campaign_models
from shared.db import Base
from shared.idempotency import models as idempotency_models
from shared.workspaces import models as workspace_models

__all__ = ["Base", "approval_models", "campaign_models", "idempotency_models", "workspace_models"]
