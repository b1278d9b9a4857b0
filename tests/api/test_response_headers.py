"""Response headers are documented where they are sent (services/api/contract.py derives
them from the routes), and the documented ones are really sent."""

from typing import Any

import pytest

from shared.actor import Role
from tests.api.test_campaign_plan import GOALS
from tests.helpers import Tenant, add_member
from tests.openapi_schema import response_object


@pytest.fixture
async def spec(client) -> dict[str, Any]:
    document: dict[str, Any] = (await client.get("/openapi.json")).json()
    return document


def headers_of(spec: dict[str, Any], method: str, path: str, status: str) -> set[str]:
    response = spec["paths"][path][method]["responses"][status]
    return set(response_object(spec, response).get("headers", {}))


async def test_every_response_documents_its_request_id_and_throttles_their_retry_after(spec):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                where = f"{method.upper()} {path} {status}"
                headers = set(response_object(spec, response).get("headers", {}))
                assert "X-Request-ID" in headers, where
                if status in {"429", "503"}:
                    assert "Retry-After" in headers, where
                if status.startswith(("4", "5")):
                    assert headers <= {"X-Request-ID", "Retry-After"}, where
    for name, header in spec["components"]["headers"].items():
        assert header["description"], name
        assert header["schema"], name


async def test_idempotent_creations_document_the_replay_header(spec):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            takes_key = any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
            for status, response in operation["responses"].items():
                if status.startswith("2"):
                    documented = "Idempotent-Replayed" in response.get("headers", {})
                    assert documented == takes_key, f"{method.upper()} {path} {status}"


async def test_a_created_member_answers_with_the_documented_headers(client, tenant: Tenant, spec):
    documented = headers_of(spec, "post", "/v1/members", "201")
    assert documented == {"X-Request-ID", "ETag", "Location", "Idempotent-Replayed"}
    body = {"name": "Li Na", "email": "li.na@example.com"}
    headers = tenant.auth() | {"Idempotency-Key": "add-li-na"}
    first = await client.post("/v1/members", json=body, headers=headers)
    assert first.status_code == 201, first.text
    member = first.json()
    assert first.headers["ETag"] == f'"{member["version"]}"'
    assert first.headers["Location"] == f"/v1/members/{member['id']}"
    assert first.headers["X-Request-ID"]
    assert "Idempotent-Replayed" not in first.headers
    replay = await client.post("/v1/members", json=body, headers=headers)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.headers["Location"] == first.headers["Location"]

    read = await client.get(first.headers["Location"], headers=tenant.auth(Role.viewer))
    assert headers_of(spec, "get", "/v1/members/{member_id}", "200") == {"X-Request-ID", "ETag"}
    assert read.headers["ETag"] == first.headers["ETag"]


async def test_created_plan_items_are_read_back_at_their_location(client, tenant: Tenant, spec):
    """Location is documented on a 201 whose body some GET of a single resource returns."""
    owner = await add_member(client, tenant)
    campaign = await client.post(
        "/v1/campaigns",
        json={"name": "618 promotion", "kind": "promotion"},
        headers=tenant.auth(Role.editor),
    )
    goal = await client.post(
        f"/v1/campaigns/{campaign.json()['id']}/goals",
        json=GOALS[0] | {"owner_id": owner["id"]},
        headers=tenant.auth(Role.editor),
    )
    for created, path in (
        (campaign, "/v1/campaigns"),
        (goal, "/v1/campaigns/{campaign_id}/goals"),
    ):
        assert created.status_code == 201, created.text
        assert {"Location", "ETag"} <= headers_of(spec, "post", path, "201")
        read = await client.get(created.headers["Location"], headers=tenant.auth(Role.viewer))
        assert read.status_code == 200, read.text
        assert read.json()["id"] == created.json()["id"]
        assert read.headers["ETag"] == created.headers["ETag"]


async def test_location_is_not_documented_where_nothing_can_be_read_back(spec):
    # A comment and an execution-log entry have no address of their own; a bulk creation
    # answers with a list.
    for path in (
        "/v1/issues/{issue_id}/comments",
        "/v1/campaigns/{campaign_id}/log",
        "/v1/campaigns/{campaign_id}/tasks/bulk",
    ):
        assert "Location" not in headers_of(spec, "post", path, "201"), path
