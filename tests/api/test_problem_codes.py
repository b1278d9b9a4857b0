"""Each operation documents the problem codes it can answer (read from the code it runs,
services/api/problem_codes.py): real refusals answer codes their operation lists, with the
extension members the document types."""

import uuid
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from services.api import problem_codes, routing
from shared.actor import Role
from tests.helpers import Tenant, add_member, assert_problem
from tests.openapi_schema import PROBLEM, Schemas, component

_served: dict[str, dict[str, Any]] = {}


@pytest.fixture
async def schemas(client) -> Schemas:
    if "document" not in _served:
        response = await client.get("/openapi.json")
        assert response.status_code == 200
        _served["document"] = response.json()
    return Schemas(_served["document"])


def documented(
    schemas: Schemas, method: str, path: str, response: httpx.Response, code: str
) -> dict[str, Any]:
    """The refusal is the problem `code`, which its operation documents, in the documented
    shape (its extension members typed as the document says)."""
    body = assert_problem(response, response.status_code, code)
    listed = schemas.documented_codes(method, path, response.status_code)
    assert code in listed, (method, path, response.status_code, code, listed)
    where = schemas.response(method, path, response.status_code, PROBLEM)
    assert schemas.errors(where, body) == []
    problem = schemas.resolve(component("Problem"))["properties"]
    assert set(body) <= set(problem), set(body) - set(problem)
    return body


async def campaign(client: httpx.AsyncClient, tenant: Tenant) -> str:
    created = await client.post(
        "/v1/campaigns", json={"name": "618 promotion", "kind": "promotion"}, headers=tenant.auth()
    )
    assert created.status_code == 201, created.text
    campaign_id: str = created.json()["id"]
    return campaign_id


async def test_refusals_answer_the_codes_their_operation_documents(client, tenant: Tenant, schemas):
    editor, viewer = tenant.auth(Role.editor), tenant.auth(Role.viewer)
    cid = await campaign(client, tenant)

    # The edges: no key, a role too low, a body that is not JSON or not readable.
    response = await client.get("/v1/rules")
    documented(schemas, "get", "/v1/rules", response, "unauthorized")
    response = await client.post("/v1/rules", json={}, headers=viewer)
    documented(schemas, "post", "/v1/rules", response, "forbidden")
    response = await client.post(
        "/v1/rules", content=b'{"name": ', headers=editor | {"content-type": "application/json"}
    )
    documented(schemas, "post", "/v1/rules", response, "malformed_json")
    response = await client.post(
        "/v1/rules", content=b"name", headers=editor | {"content-type": "text/plain"}
    )
    documented(schemas, "post", "/v1/rules", response, "unsupported_media_type")
    response = await client.post("/v1/rules", json={"name": "x"}, headers=editor)
    documented(schemas, "post", "/v1/rules", response, "validation_error")
    response = await client.get("/v1/members", params={"cursor": "nope"}, headers=viewer)
    body = documented(schemas, "get", "/v1/members", response, "bad_request")
    assert body["field"] == "cursor"

    # A service's own: parameters a condition refuses, an unknown campaign, a stale version.
    below = {"name": "Conversion", "condition": "below_target", "params": {"metric": "ctr"}}
    response = await client.post("/v1/rules", json=below, headers=editor)
    documented(schemas, "post", "/v1/rules", response, "invalid")
    response = await client.post(
        "/v1/rules", json=below | {"campaign_id": str(uuid.uuid4())}, headers=editor
    )
    documented(schemas, "post", "/v1/rules", response, "not_found")
    rule = await client.post(
        "/v1/rules", json=below | {"params": {"metric": "ctr", "percent": 20}}, headers=editor
    )
    assert rule.status_code == 201, rule.text
    response = await client.patch(
        f"/v1/rules/{rule.json()['id']}",
        json={"enabled": False},
        headers=editor | {"If-Match": '"7"'},
    )
    body = documented(schemas, "patch", "/v1/rules/{rule_id}", response, "precondition_failed")
    assert body["current_version"] == 1

    # Deep in the lifecycle: what the status allows instead, what stands in the way.
    response = await client.post(f"/v1/campaigns/{cid}/archive", headers=editor)
    body = documented(
        schemas, "post", "/v1/campaigns/{campaign_id}/archive", response, "invalid_transition"
    )
    assert {k: body[k] for k in ("status", "code", "campaign_status", "action")} == {
        "status": 409,
        "code": "invalid_transition",
        "campaign_status": "draft",
        "action": "archive",
    }
    assert body["allowed_actions"] == ["submit", "cancel"]
    response = await client.post(f"/v1/campaigns/{cid}/submit", headers=editor)
    body = documented(schemas, "post", "/v1/campaigns/{campaign_id}/submit", response, "not_ready")
    assert {"code", "message"} <= set(body["blockers"][0])
    # Finance's steps are recorded against a member: a key bound to nobody is refused.
    response = await client.post(f"/v1/campaigns/{cid}/settlement/verify", headers=tenant.auth())
    verify = "/v1/campaigns/{campaign_id}/settlement/verify"
    documented(schemas, "post", verify, response, "member_required")

    # Conflicts: a taken email; a filter the feed does not know; a key where none may be.
    email = "li.na@example.com"
    await add_member(client, tenant, email=email)
    response = await client.post(
        "/v1/members", json={"name": "Li", "email": email}, headers=tenant.auth()
    )
    documented(schemas, "post", "/v1/members", response, "conflict")
    response = await client.get("/v1/events", params={"kind": "alert.exploded"}, headers=viewer)
    documented(schemas, "get", "/v1/events", response, "invalid")
    response = await client.post(
        "/v1/api-keys",
        json={"name": "ci", "role": "viewer"},
        headers=tenant.auth() | {"Idempotency-Key": "k1"},
    )
    documented(schemas, "post", "/v1/api-keys", response, "idempotency_not_supported")
    response = await client.post(
        f"/v1/ingest/{uuid.uuid4()}", json={"points": []}, headers={"webhook-id": "msg_1"}
    )
    assert response.status_code in (401, 404)
    code = "not_found" if response.status_code == 404 else "invalid_signature"
    documented(schemas, "post", "/v1/ingest/{integration_id}", response, code)


async def test_codes_raised_deep_in_services_are_found(schemas: Schemas):
    """Through helpers, codes passed down as arguments, and f-strings of them."""

    def codes(method: str, path: str, status: int) -> list[str]:
        return schemas.documented_codes(method, path, status)

    assert codes("post", "/v1/campaigns/{campaign_id}/archive", 409) == [
        "close_out_incomplete",  # closeout.service: the checklist
        "concurrent_update",  # any write: a concurrent update
        "conflict",  # any write: a race on a unique row
        "invalid_transition",  # campaigns.lifecycle.check: the status allows no archive
    ]
    assert {"not_task_owner", "member_key_required"} <= set(
        codes("post", "/v1/tasks/{task_id}/submit", 403)
    )
    assert "not_settled" in codes("post", "/v1/campaigns/{campaign_id}/settlement/sign-off", 409)
    # Only an operation's own: reading a rule cannot be refused for an archived campaign.
    assert codes("get", "/v1/rules/{rule_id}", 404) == ["not_found"]
    assert "campaign_locked" not in codes("patch", "/v1/rules/{rule_id}", 409)
    every = schemas.resolve(component("ProblemCode"))["enum"]
    assert {"campaign_locked", "validation_error", "internal_error"} <= set(every)


async def test_every_extension_member_a_service_sets_is_typed(app, schemas):
    problem = schemas.resolve(component("Problem"))["properties"]
    extras = {
        extra
        for route in routing.served_routes(app)
        if isinstance(route, APIRoute)
        for raised in problem_codes.raised_by(problem_codes.calls_of(route.dependant))
        for extra in raised.extras
    }
    assert extras  # allowed_actions, blockers, current_version...
    assert extras <= set(problem), (
        f"type these in services/api/problems.py: {extras - set(problem)}"
    )
