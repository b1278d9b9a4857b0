"""Stream tokens: a browser's EventSource opens the live feed without sending the API key.

The browser itself is tests/test_events_browser.py; here, what a token opens and what not.
"""

import json
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from shared.actor import Role
from shared.events import kinds, stream_tokens
from tests.api.test_events import add_event, new_campaign, sse_messages
from tests.helpers import Tenant, assert_problem, captured_logs, fields_of

committed = pytest.mark.committed


async def new_token(
    client, tenant: Tenant, role: Role = Role.viewer, **body: Any
) -> dict[str, Any]:
    response = await client.post(
        "/v1/events/stream-tokens", json=body or None, headers=tenant.auth(role)
    )
    assert response.status_code == 201, response.text
    token: dict[str, Any] = response.json()
    return token


async def open_stream(client, url: str, **params: Any):
    """GET the stream as a browser's EventSource would: no Authorization header.

    `params` go after the URL's own query (a token's `stream_url` carries one)."""
    if params:
        url += ("&" if "?" in url else "?") + urlencode(params)
    return await client.get(url, timeout=30)


@committed
async def test_a_stream_token_opens_the_stream_without_the_api_key(client, tenant, runtime):
    before = datetime.now().astimezone()
    token = await new_token(client, tenant)
    assert token["token"].startswith("cst_")
    assert token["stream_url"] == f"/v1/events/stream?stream_token={token['token']}"
    expires_at = datetime.fromisoformat(token["expires_at"])
    assert before + timedelta(seconds=59) <= expires_at <= before + timedelta(seconds=62)
    # Only the hash is kept, and Redis forgets it after the token's lifetime.
    key = stream_tokens.redis_key(runtime.settings.redis_prefix, token["token"])
    assert 0 < await runtime.redis.pttl(key) <= 60_000
    assert token["token"].encode() not in await runtime.redis.get(key)

    await add_event(runtime, tenant, kinds.ALERT_FIRED)
    response = await open_stream(client, token["stream_url"], after="0-0", max_events=1)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    assert [m["event"] for m in sse_messages(response.text)] == ["alert.fired"]
    # Reusable while it lasts: EventSource reconnects to the same URL after a drop.
    again = await open_stream(client, token["stream_url"], after="0-0", max_events=1)
    assert again.status_code == 200


async def test_a_stream_token_opens_nothing_but_the_stream(client, tenant):
    token = (await new_token(client, tenant, Role.admin))["token"]
    for path in ("/v1/events", "/v1/workspace", "/v1/members"):
        assert_problem(await client.get(path, params={"stream_token": token}), 401)
    as_key = await client.get("/v1/events", headers={"Authorization": f"Bearer {token}"})
    assert_problem(as_key, 401)
    made_with_token = await client.post("/v1/events/stream-tokens", params={"stream_token": token})
    assert_problem(made_with_token, 401)


async def test_an_unknown_or_expired_token_is_401_and_says_to_ask_again(client, tenant, runtime):
    unknown = await open_stream(client, "/v1/events/stream", stream_token="cst_" + "x" * 43)
    assert "POST /v1/events/stream-tokens" in assert_problem(unknown, 401, "unauthorized")["detail"]
    assert_problem(await open_stream(client, "/v1/events/stream", stream_token="cok_abc"), 401)

    token = (await new_token(client, tenant))["token"]
    key = stream_tokens.redis_key(runtime.settings.redis_prefix, token)
    await runtime.redis.pexpire(key, 0)  # its lifetime over, as 60 s later: Redis drops it
    assert not await runtime.redis.exists(key)
    assert_problem(await open_stream(client, "/v1/events/stream", stream_token=token), 401)


async def test_the_tokens_of_a_revoked_key_open_nothing(client, tenant):
    created = await client.post(
        "/v1/api-keys", json={"name": "Wall screen", "role": "viewer"}, headers=tenant.auth()
    )
    assert created.status_code == 201, created.text
    wall = created.json()
    headers = {"Authorization": f"Bearer {wall['key']}"}
    token = await client.post("/v1/events/stream-tokens", headers=headers)
    assert token.status_code == 201, token.text
    revoked = await client.post(f"/v1/api-keys/{wall['id']}/revoke", headers=tenant.auth())
    assert revoked.status_code == 200, revoked.text

    refused = await open_stream(client, token.json()["stream_url"], timeout=1)
    assert "expired or revoked" in assert_problem(refused, 401)["detail"]


@committed
async def test_a_token_streams_its_own_workspace_only(client, tenant, other_tenant, runtime):
    await add_event(runtime, other_tenant, kinds.ISSUE_CREATED)
    await add_event(runtime, tenant, kinds.TASK_OVERDUE)
    token = await new_token(client, tenant)
    response = await open_stream(client, token["stream_url"], after="0-0", timeout=1)
    assert [m["event"] for m in sse_messages(response.text)] == ["task.overdue"]


@committed
async def test_a_token_can_fix_the_filters_and_the_url_cannot_widen_them(client, tenant, runtime):
    campaign_id = uuid.UUID(await new_campaign(client, tenant))
    await add_event(runtime, tenant, kinds.ALERT_FIRED, campaign_id=campaign_id)
    await add_event(runtime, tenant, kinds.ALERT_FIRED)
    await add_event(runtime, tenant, kinds.TASK_OVERDUE, campaign_id=campaign_id)
    token = await new_token(
        client, tenant, kind=["alert.fired"], campaign_id=str(campaign_id), expires_in_seconds=30
    )
    response = await open_stream(client, token["stream_url"], after="0-0", timeout=1)
    events = [json_of(m) for m in sse_messages(response.text)]
    assert [(e["kind"], e["campaign_id"]) for e in events] == [("alert.fired", str(campaign_id))]

    widened = await open_stream(
        client, token["stream_url"], after="0-0", kind="task.overdue", subject_type="task"
    )
    assert fields_of(assert_problem(widened, 422)) == {"query.kind", "query.subject_type"}
    # Time bounds still narrow it.
    later = await open_stream(
        client, token["stream_url"], after="0-0", timeout=1, since="2199-01-01T00:00:00Z"
    )
    assert sse_messages(later.text) == []


def json_of(message: dict[str, str]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(message["data"])
    return result


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": ["alert.exploded"]}, "body.kind.0"),
        ({"kind": []}, "body.kind"),
        ({"expires_in_seconds": 5}, "body.expires_in_seconds"),
        ({"expires_in_seconds": 3600}, "body.expires_in_seconds"),
        ({"expires_in_seconds": "60"}, "body.expires_in_seconds"),
        ({"subject_type": "budget"}, "body.subject_type"),
        ({"campaign": "x"}, "body.campaign"),
    ],
)
async def test_bad_token_requests_are_422_naming_the_field(client, tenant, body, field):
    response = await client.post(
        "/v1/events/stream-tokens", json=body, headers=tenant.auth(Role.viewer)
    )
    assert fields_of(assert_problem(response, 422)) == {field}


async def test_a_token_is_not_replayed_by_idempotency_key(client, tenant):
    response = await client.post(
        "/v1/events/stream-tokens",
        headers=tenant.auth(Role.viewer) | {"Idempotency-Key": "stream-1"},
    )
    assert_problem(response, 422, "idempotency_not_supported")


@committed
async def test_the_token_is_never_logged(client, tenant, runtime, monkeypatch):
    with captured_logs(monkeypatch) as logs:
        token = await new_token(client, tenant)
        opened = await open_stream(client, token["stream_url"], after="0-0", timeout=0.2)
        assert opened.status_code == 200
        refused = await client.get("/v1/events", params={"stream_token": token["token"]})
        assert refused.status_code == 401
    requests = [entry for entry in logs if entry.get("event") == "request"]
    assert {entry["path"] for entry in requests} >= {"/v1/events/stream", "/v1/events"}
    assert token["token"] not in repr(logs)
    assert token["token"][4:20] not in repr(logs)


async def test_stream_tokens_are_documented(client):
    spec = (await client.get("/openapi.json")).json()
    scheme = spec["components"]["securitySchemes"]["StreamToken"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "query", "stream_token")
    stream = spec["paths"]["/v1/events/stream"]["get"]
    assert stream["security"] == [{"HTTPBearer": []}, {"StreamToken": []}]
    made = spec["paths"]["/v1/events/stream-tokens"]["post"]
    assert made["security"] == [{"HTTPBearer": []}]
    assert made["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/StreamTokenOut"
    }
