"""Imports every domain's models so `Base.metadata` is complete (Alembic, tests)."""

from shared.activity import models as activity_models
from shared.alerts import models as alert_models
from shared.approvals import models as approval_models
from shared.campaigns import models as campaign_models
from shared.change_requests import models as change_request_models
from shared.channel_history import models as channel_history_models
from shared.db import Base
from shared.escalations import models as escalation_models
from shared.evaluations import models as evaluation_models
from shared.events import models as event_models
from shared.figures import models as figure_models
from shared.idempotency import models as idempotency_models
from shared.ingestion import models as ingestion_models
from shared.integrations import models as integration_models
from shared.issues import models as issue_models
from shared.knowledge import models as knowledge_models
from shared.metrics import models as metric_models
from shared.notifications import models as notification_models
from shared.reports import models as report_models
from shared.retrospectives import models as retrospective_models
from shared.reviews import models as review_models
from shared.rules import models as rule_models
from shared.settlements import models as settlement_models
from shared.share_links import models as share_link_models
from shared.tasks import models as task_models
from shared.templates import models as template_models
from shared.workspaces import models as workspace_models

__all__ = [
    "Base",
    "activity_models",
    "alert_models",
    "approval_models",
    "campaign_models",
    "change_request_models",
    "channel_history_models",
    "escalation_models",
    "evaluation_models",
    "event_models",
    "figure_models",
    "idempotency_models",
    "ingestion_models",
    "integration_models",
    "issue_models",
    "knowledge_models",
    "metric_models",
    "notification_models",
    "report_models",
    "retrospective_models",
    "review_models",
    "rule_models",
    "settlement_models",
    "share_link_models",
    "task_models",
    "template_models",
    "workspace_models",
]
