"""`alert.escalated` as a receiver gets it is the shape the OpenAPI `webhooks` section
documents (EscalationMessage), not the feed's event shape."""

from datetime import datetime, timedelta

import pytest

from tests.helpers import Tenant
from tests.openapi_schema import Schemas, component, pointer
from tests.worker.test_alerts import listed
from tests.worker.test_escalations import escalate, story
from tests.worker.test_notifications import receiving

pytestmark = pytest.mark.committed


async def test_a_level_sends_the_documented_alert_escalated_message(
    client, tenant: Tenant, session, runtime, run_worker
):
    async with receiving() as people:
        await story(client, tenant, session, people.url)
        await run_worker()  # the figures apply, the rule fires
        [alert] = await listed(client, tenant, status="firing")
        await escalate(runtime, datetime.fromisoformat(alert["fired_at"]) + timedelta(seconds=30))
        await run_worker()  # the sender
        [sent] = people.requests
    endpoints = await client.get(
        "/v1/notification-endpoints", params={"limit": 10}, headers=tenant.auth()
    )
    owner = next(e for e in endpoints.json()["items"] if e["url"].endswith("/owner"))
    body = sent.json()
    assert body["type"] == "alert.escalated"
    assert (body["data"]["subject_id"], body["data"]["escalation_level"]) == (alert["id"], 1)

    document = (await client.get("/openapi.json")).json()
    schemas = Schemas(document)
    webhook = pointer(
        "webhooks", "webhook-format", "post", "requestBody", "content", "application/json", "schema"
    )
    assert schemas.errors(webhook, body) == []
    assert schemas.errors(component("EscalationMessage"), body) == []
    assert schemas.errors(component("EventMessage"), body) != []  # not the feed's shape

    deliveries = await client.get(
        f"/v1/notification-endpoints/{owner['id']}/deliveries", headers=tenant.auth()
    )
    [delivery] = deliveries.json()["items"]
    assert (delivery["event_kind"], delivery["payload"]) == ("alert.escalated", body["data"])
    path = "/v1/notification-endpoints/{endpoint_id}/deliveries"
    assert schemas.errors(schemas.response("get", path, 200), deliveries.json()) == []
