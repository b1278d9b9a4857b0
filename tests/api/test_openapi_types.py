"""The OpenAPI document carries the types a frontend builds its screens from: each shape a
field chooses is a discriminated union, each example is valid, and what the API really
answers (and sends to receivers) is what the document says."""

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from shared.actor import Role
from shared.events.kinds import ALL_KINDS
from shared.notifications import bots, formats, messages, service
from shared.notifications.models import NotificationEndpoint
from shared.notifications.payloads import ESCALATED_ALERT_EXAMPLE, EVENT_DATA_EXAMPLE
from shared.rules.conditions import PARAMS
from shared.rules.models import Condition
from shared.timeutil import utcnow
from tests.helpers import Tenant, add_member
from tests.openapi_schema import Schemas, component, examples, pointer

_served: dict[str, dict[str, Any]] = {}


@pytest.fixture
async def spec(client) -> dict[str, Any]:
    """The served document (fetched once: building it takes seconds)."""
    if "document" not in _served:
        response = await client.get("/openapi.json")
        assert response.status_code == 200
        _served["document"] = response.json()
    return _served["document"]


@pytest.fixture
def schemas(spec) -> Schemas:
    return Schemas(spec)


def conforms(schemas: Schemas, where: str, instance: Any) -> None:
    errors = schemas.errors(where, instance)
    assert errors == [], (where, errors[:5])


def union(schemas: Schemas, name: str) -> dict[str, str]:
    """A discriminated union's mapping, value -> variant name."""
    schema = schemas.resolve(component(name))
    refs = [branch["$ref"] for branch in schema["oneOf"]]
    mapping: dict[str, str] = schema["discriminator"]["mapping"]
    assert set(mapping.values()) == set(refs)
    return {value: ref.rsplit("/", 1)[1] for value, ref in mapping.items()}


def properties(schemas: Schemas, name: str) -> dict[str, Any]:
    found: dict[str, Any] = schemas.resolve(component(name))["properties"]
    return found


async def test_every_example_in_the_document_is_valid_against_its_schema(spec, schemas):
    checked, invalid = 0, []
    for where, schema, example in examples(spec):
        checked += 1
        errors = schemas.errors(schema, example)
        if errors:
            invalid.append((where, errors[:2]))
    assert invalid == []
    assert checked > 250  # schemas, properties, parameters, bodies, webhooks


@pytest.mark.parametrize("name", ["RuleCreate", "RuleOut", "TemplateRulePart", "NewRuleOut"])
async def test_a_rules_condition_chooses_the_shape_of_its_params(schemas, name):
    variants = union(schemas, name)
    assert set(variants) == {condition.value for condition in Condition}
    for condition, variant in variants.items():
        fields = properties(schemas, variant)
        assert fields["condition"]["const"] == condition
        params = schemas.resolve(fields["params"]["$ref"])
        assert set(params["properties"]) == set(PARAMS[Condition(condition)].model_fields)
        assert params["additionalProperties"] is False


async def test_a_templates_rule_and_a_rules_changes_are_typed(schemas):
    assert properties(schemas, "TemplateOut")["rule"]["$ref"].endswith("/TemplateRule")
    assert set(union(schemas, "TemplateRule")) == {condition.value for condition in Condition}
    patch = properties(schemas, "RuleUpdate")["params"]
    names = {branch["$ref"].rsplit("/", 1)[1] for branch in patch["anyOf"]}
    assert names == {f"{c.value.title().replace('_', '')}ParamsPatch" for c in Condition}
    assert "required" not in schemas.resolve(component("ThresholdParamsPatch"))


async def test_escalation_levels_name_their_targets_by_type(schemas):
    for policy in ("PolicyCreate", "PolicyUpdate", "PolicyOut"):
        assert properties(schemas, policy)["levels"]["items"] == {
            "$ref": "#/components/schemas/EscalationLevel"
        }
    targets = properties(schemas, "EscalationLevel")["targets"]["items"]
    assert targets["discriminator"]["propertyName"] == "type"
    assert set(targets["discriminator"]["mapping"]) == {"endpoint", "member", "role"}
    overdue = properties(schemas, "EscalationResolutionOverdue")["targets"]["items"]
    assert overdue == targets


async def test_event_kinds_are_an_enum_in_the_feed_its_filter_and_endpoints(spec, schemas):
    assert schemas.resolve(component("EventKind"))["enum"] == list(ALL_KINDS)
    assert properties(schemas, "EventOut")["kind"]["$ref"] == "#/components/schemas/EventKind"
    [kind] = [p for p in spec["paths"]["/v1/events"]["get"]["parameters"] if p["name"] == "kind"]
    items = next(branch for branch in kind["schema"]["anyOf"] if branch["type"] == "array")
    assert items["items"] == {"$ref": "#/components/schemas/EventKind"}
    for endpoint in ("EndpointCreate", "EndpointOut"):
        kinds = properties(schemas, endpoint)["event_kinds"]
        assert kinds["items"] == {"$ref": "#/components/schemas/EventKind"}


FREE_FORM = {"type": "object", "additionalProperties": True}


INGEST = pointer("paths", "/v1/ingest/{integration_id}", "post", "requestBody", "content")


@pytest.mark.parametrize(
    ("name", "field"),
    [
        (INGEST + "/application~1json/schema", "points"),
        ("MetricPointsIn", "points"),
        ("ActivityEntryOut", "changes"),
        ("SilenceOut", "labels"),
        ("DeliveryOut", "payload"),
        ("RoundOut", "steps"),
        ("FeishuMessage", "card"),
        ("SlackMessage", "blocks"),
        ("PagerDutyEvent", "payload"),
    ],
)
async def test_what_screens_are_built_from_is_not_a_free_form_object(schemas, name, field):
    where = name if name.startswith("#") else component(name)
    schema = schemas.resolve(where)["properties"][field]
    node = schema.get("items", schema)
    assert node.get("additionalProperties") is not True, (name, field, schema)
    assert node != {}
    assert {k: node.get(k) for k in FREE_FORM} != FREE_FORM


# --- what receivers get: the `webhooks` section --------------------------------------------

AT = datetime(2024, 6, 10, 9, 0, 12, tzinfo=UTC)
GROUP = {
    "subject_type": "campaign",
    "subject_id": ESCALATED_ALERT_EXAMPLE["campaign_id"],
    "campaign_id": ESCALATED_ALERT_EXAMPLE["campaign_id"],
    "campaign_name": "618 push",
    "severity": "critical",
    "message": "2 alerts: ...",
    "escalation_level": 1,
    "escalation_round": 2,
    "alerts": [ESCALATED_ALERT_EXAMPLE, ESCALATED_ALERT_EXAMPLE | {"severity": "critical"}],
}
SENT = [
    ("alert.fired", EVENT_DATA_EXAMPLE),
    ("alert.resolved", EVENT_DATA_EXAMPLE | {"status": "resolved"}),
    ("alert.escalated", ESCALATED_ALERT_EXAMPLE),
    ("alert.escalated", GROUP),
    ("test", EVENT_DATA_EXAMPLE | {"subject_type": "notification_endpoint", "event_id": None}),
]


def webhook_body(name: str) -> str:
    return pointer("webhooks", name, "post", "requestBody", "content", "application/json", "schema")


@pytest.mark.parametrize(("kind", "payload"), SENT)
async def test_each_format_sends_what_the_webhooks_section_documents(spec, schemas, kind, payload):
    zh = messages.message(kind, payload, language="zh")
    bodies = {
        "webhook-format": formats.envelope(kind, payload, AT),
        "slack-format": formats.slack_message(kind, payload),
        "pagerduty-format": formats.pagerduty_event(kind, payload, "R0UT1NGK3Y", AT),
        "feishu-format": orjson.loads(bots.feishu_body(zh, secret="SECsample1", now=AT)),
        "dingtalk-format": orjson.loads(bots.dingtalk_body(zh)),
        "wecom-format": orjson.loads(bots.wecom_body(zh)),
    }
    assert set(bodies) == set(spec["webhooks"])
    for name, body in bodies.items():
        conforms(schemas, webhook_body(name), body)


async def test_alert_escalated_is_its_own_shape_in_the_webhook_format(schemas):
    variants = union(schemas, "WebhookMessage")
    assert variants["alert.escalated"] == "EscalationMessage"
    assert {variants[kind] for kind in ALL_KINDS} == {"EventMessage"}
    data = properties(schemas, "EscalationMessage")["data"]
    assert set(data["discriminator"]["mapping"]) == {"alert", "campaign"}
    # An escalation is not an event of the feed: no event, workspace or time of its own.
    event_only = {"event_id", "workspace_id", "occurred_at"}
    assert not event_only & set(properties(schemas, "EscalatedAlert"))
    assert event_only <= set(schemas.resolve(component("EventData"))["required"])


# --- what the API answers is what the document says ----------------------------------------

PARAMS_OF = {
    Condition.threshold: {"metric": "negative_comments", "op": ">", "value": 50},
    Condition.below_target: {"metric": "conversion_rate", "percent": "20"},
    Condition.change: {"metric": "clicks", "percent": 30, "direction": "drop"},
    Condition.no_data: {"metric": "impressions", "by_local_time": "17:00"},
    Condition.task_overdue: {"priorities": ["high"], "grace_days": 1},
    Condition.budget_burn: {"mode": "pace", "category": "contingency", "percent": "10"},
}


async def test_a_rule_of_each_condition_is_answered_as_its_documented_variant(
    client, tenant: Tenant, spec, schemas
):
    create = schemas.body("post", "/v1/rules")
    for condition, params in PARAMS_OF.items():
        body = {"name": f"{condition.value} rule", "condition": condition.value, "params": params}
        conforms(schemas, create, body)
        response = await client.post("/v1/rules", json=body, headers=tenant.auth(Role.editor))
        assert response.status_code == 201, response.text
        conforms(schemas, schemas.response("post", "/v1/rules", 201), response.json())
        # Decimals come back as text: the answer is the `...ParamsOut` shape.
        variant = union(schemas, "RuleOut")[condition.value]
        conforms(schemas, component(variant), response.json())
    change = {"params": {"percent": "25"}}
    conforms(schemas, schemas.body("patch", "/v1/rules/{rule_id}"), change)
    changed = await client.patch(
        f"/v1/rules/{response.json()['id']}", json=change, headers=tenant.auth(Role.editor)
    )
    assert changed.json()["params"]["percent"] == "25"
    conforms(schemas, schemas.response("patch", "/v1/rules/{rule_id}", 200), changed.json())
    listed = await client.get("/v1/rules", headers=tenant.auth())
    assert len(listed.json()["items"]) == len(PARAMS_OF)
    conforms(schemas, schemas.response("get", "/v1/rules", 200), listed.json())
    templates = await client.get("/v1/rules/templates", headers=tenant.auth())
    conforms(schemas, schemas.response("get", "/v1/rules/templates", 200), templates.json())


async def test_a_policys_levels_and_targets_are_answered_as_documented(
    client, tenant: Tenant, schemas
):
    member = await add_member(client, tenant, name="Zhang Wei", title="Department head")
    endpoint = await client.post(
        "/v1/notification-endpoints",
        json={"name": "Ops", "url": "http://127.0.0.1:9/"},
        headers=tenant.auth(),
    )
    assert endpoint.status_code == 201, endpoint.text
    body = {
        "name": "Ops first, then the department head in office hours",
        "levels": [
            {"after_minutes": 0,
             "targets": [{"type": "endpoint", "endpoint_id": endpoint.json()["id"]}]},
            {
                "after_minutes": 240,
                "targets": [{"type": "member", "member_id": member["id"]}],
                "working_hours": {"weekdays": [0, 1, 2, 3, 4], "start": "09:00", "end": "18:00"},
            },
            {"after_minutes": 1200, "unless": "action_plan",
             "targets": [{"type": "role", "role": "final_approver"}]},
        ],
        "resolution_overdue": {"targets": [{"type": "role", "role": "issue_owner"}]},
    }  # fmt: skip
    path = "/v1/escalation-policies"
    conforms(schemas, schemas.body("post", path), body)
    created = await client.post(path, json=body, headers=tenant.auth())
    assert created.status_code == 201, created.text
    conforms(schemas, schemas.response("post", path, 201), created.json())
    assert [t["type"] for level in created.json()["levels"] for t in level["targets"]] == [
        "endpoint",
        "member",
        "role",
    ]
    default = await client.post(f"{path}/default", headers=tenant.auth())
    conforms(schemas, schemas.response("post", f"{path}/default", 200), default.json())


async def test_the_activity_log_silences_and_manual_points_are_answered_as_documented(
    client, tenant: Tenant, schemas
):
    campaign = await client.post(
        "/v1/campaigns", json={"name": "618 promotion", "kind": "promotion"}, headers=tenant.auth()
    )
    assert campaign.status_code == 201, campaign.text
    base = f"/v1/campaigns/{campaign.json()['id']}"
    renamed = await client.patch(
        base, json={"name": "618 大促", "tags": ["618"]}, headers=tenant.auth(Role.editor)
    )
    assert renamed.status_code == 200, renamed.text
    note = {"kind": "decision", "note": "Budget moved to live streams"}
    logged = await client.post(f"{base}/log", json=note, headers=tenant.auth(Role.editor))
    assert logged.status_code == 201, logged.text
    activity = await client.get(f"{base}/activity", headers=tenant.auth())
    page = activity.json()
    assert {e["action"] for e in page["items"]} >= {"created", "updated", "note"}
    assert ["618 promotion", "618 大促"] in [e["changes"].get("name") for e in page["items"]]
    path = "/v1/campaigns/{campaign_id}/activity"
    conforms(schemas, schemas.response("get", path, 200), page)

    silence = {
        "campaign_id": campaign.json()["id"],
        "labels": {"team": "growth"},
        "starts_at": "2024-06-01T00:00:00+08:00",
        "comment": "Known gap while the store is refitted",
    }
    conforms(schemas, schemas.body("post", "/v1/silences"), silence)
    created = await client.post("/v1/silences", json=silence, headers=tenant.auth(Role.editor))
    assert created.status_code == 201, created.text
    assert created.json()["labels"] == {"team": "growth"}
    conforms(schemas, schemas.response("post", "/v1/silences", 201), created.json())

    points: dict[str, list[dict[str, Any]]] = {
        "points": [
            {"channel": "social_feed", "metric": "clicks", "date": "2024-06-10", "value": 1050},
            {"channel": "social_feed", "metric": "impressions",
             "ts": "2024-06-10T17:00:00+08:00", "value": "50000", "mode": "increment"},
        ]
    }  # fmt: skip
    entry = "/v1/campaigns/{campaign_id}/metric-points"
    conforms(schemas, schemas.body("post", entry), points)
    # A draft campaign takes no figures: each point is refused on its own, as documented.
    entered = await client.post(
        f"{base}/metric-points?partial=true", json=points, headers=tenant.auth(Role.editor)
    )
    assert entered.status_code == 201, entered.text
    assert [r["index"] for r in entered.json()["rejected"]] == [0, 1]
    conforms(schemas, schemas.response("post", entry, 201), entered.json())
    ingest = "/v1/ingest/{integration_id}"
    pushed = {"points": [p | {"campaign": "CMP-2024-0007"} for p in points["points"]]}
    conforms(schemas, schemas.body("post", ingest), pushed)
    assert schemas.errors(schemas.body("post", ingest), points)  # a pushed point names its campaign


async def test_a_delivery_shows_the_payload_it_sent(client, tenant: Tenant, session, schemas):
    created = await client.post(
        "/v1/notification-endpoints",
        json={"name": "Ops", "url": "http://127.0.0.1:9/"},
        headers=tenant.auth(),
    )
    endpoint = await session.get(NotificationEndpoint, uuid.UUID(created.json()["id"]))
    for kind, payload in SENT[1:4]:
        await service.enqueue_delivery(
            session, endpoint=endpoint, event_kind=kind, payload=payload, now=utcnow()
        )
    await session.commit()
    path = "/v1/notification-endpoints/{endpoint_id}/deliveries"
    listed = await client.get(
        f"/v1/notification-endpoints/{endpoint.id}/deliveries", headers=tenant.auth()
    )
    assert len(listed.json()["items"]) == 3
    conforms(schemas, schemas.response("get", path, 200), listed.json())
