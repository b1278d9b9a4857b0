"""Which events an endpoint takes: its kinds, a minimum severity, campaigns and tags."""

import uuid
from typing import Any

from shared.notifications import service
from shared.notifications.models import NotificationEndpoint
from shared.rules.models import Severity


def test_endpoint_filters():
    def wants(endpoint: NotificationEndpoint, **event: Any) -> bool:
        defaults: dict[str, Any] = {
            "event_kind": "alert.fired",
            "severity": "warning",
            "campaign_id": None,
            "campaign_tags": [],
        }
        return service.endpoint_wants(endpoint, **(defaults | event))

    campaign = uuid.uuid4()
    anything = NotificationEndpoint(
        event_kinds=[], min_severity=Severity.info, campaign_ids=[], campaign_tags=[]
    )
    assert wants(anything)
    assert wants(anything, severity=None, event_kind="campaign.approved")
    kinds = NotificationEndpoint(
        event_kinds=["alert.resolved"],
        min_severity=Severity.info,
        campaign_ids=[],
        campaign_tags=[],
    )
    assert not wants(kinds)
    assert wants(kinds, event_kind="alert.resolved")
    severe = NotificationEndpoint(
        event_kinds=[], min_severity=Severity.critical, campaign_ids=[], campaign_tags=[]
    )
    assert not wants(severe)
    assert not wants(severe, severity=None)
    assert wants(severe, severity="critical")
    scoped = NotificationEndpoint(
        event_kinds=[], min_severity=Severity.info, campaign_ids=[campaign], campaign_tags=["618"]
    )
    assert not wants(scoped)  # no campaign
    assert wants(scoped, campaign_id=campaign)
    assert wants(scoped, campaign_id=uuid.uuid4(), campaign_tags=["618", "tv"])
    assert not wants(scoped, campaign_id=uuid.uuid4(), campaign_tags=["double11"])
