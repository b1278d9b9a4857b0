"""/v1/notification-endpoints: admin-only CRUD, secrets shown once, the SSRF guard, test sends."""

import dataclasses
import uuid
from datetime import timedelta

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from services.api.app import create_app
from shared.actor import Role
from shared.notifications import service
from shared.notifications.models import NotificationEndpoint
from shared.timeutil import utcnow
from tests.helpers import Tenant, assert_problem, fields_of
from tests.worker.test_notifications import receiving

URL = "/v1/notification-endpoints"


async def create(client: httpx.AsyncClient, tenant: Tenant, **body: object) -> httpx.Response:
    return await client.post(URL, json={"name": "Ops", **body}, headers=tenant.auth())


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fd00:ec2::254]/",
        "https://[::ffff:10.0.0.1]/",
        # IPv6 forms carrying an internal IPv4 address (127.0.0.0/8 is allowlisted here):
        "https://[64:ff9b::169.254.169.254]/",  # NAT64
        "https://[64:ff9b::127.0.0.1]/",
        "https://[2002:7f00:1::]/",  # 6to4
        "https://[2002:a9fe:a9fe::]/",
        "https://[::127.0.0.1]/",  # IPv4-compatible
        "https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",  # Teredo, client 127.0.0.1
        "https://[64:ff9b:1::127.0.0.1]/",  # NAT64 local-use
        "https://[fec0::1]/",  # site-local
        "https://192.168.1.20/",
        "https://100.64.0.1/",  # shared address space (carrier NAT)
        "https://224.0.0.1/",
        "https://no-such-host.invalid/",
        "ftp://example.com/",
        "https://user:pass@8.8.8.8/",
    ],
)
async def test_callback_urls_that_could_reach_inside_are_refused(client, tenant: Tenant, url):
    refused = await create(client, tenant, url=url)
    problem = assert_problem(refused, 422)
    assert fields_of(problem) == {"body.url"}


async def test_localhost_needs_an_allowlist(settings, runtime, tenant: Tenant):
    strict = settings.model_copy(update={"notify_allowed_networks": ""})
    app = create_app(strict, dataclasses.replace(runtime, settings=strict))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for url in ("http://localhost:8080/", "https://localhost/", "https://127.0.0.1/"):
            problem = assert_problem(await create(client, tenant, url=url), 422)
            assert fields_of(problem) == {"body.url"}, url
    # With 127.0.0.0/8 allowlisted (the test settings), plain http to it is accepted.


async def test_moving_an_endpoint_to_an_embedded_internal_address_is_refused(
    client, tenant: Tenant
):
    endpoint = (await create(client, tenant, url="http://127.0.0.1:9/")).json()
    moved = await client.patch(
        f"{URL}/{endpoint['id']}",
        json={"url": "https://[64:ff9b::127.0.0.1]/"},
        headers=tenant.auth(),
    )
    assert fields_of(assert_problem(moved, 422)) == {"body.url"}
    shown = await client.get(f"{URL}/{endpoint['id']}", headers=tenant.auth())
    assert shown.json()["url"] == "http://127.0.0.1:9/"


async def test_the_secret_is_shown_on_create_and_rotate_only(client, tenant: Tenant):
    created = await create(client, tenant, url="http://127.0.0.1:9/hook", format="webhook")
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_")
    location = created.headers["location"]
    shown = await client.get(location, headers=tenant.auth())
    assert "secret" not in shown.json()
    listed = await client.get(URL, headers=tenant.auth())
    assert [e["id"] for e in listed.json()["items"]] == [endpoint["id"]]
    assert "secret" not in listed.json()["items"][0]

    rotated = await client.post(
        location + "/rotate-secret", json={"overlap_minutes": 60}, headers=tenant.auth()
    )
    assert rotated.status_code == 200
    assert rotated.headers["cache-control"] == "no-store"
    assert rotated.json()["secret"] not in (None, endpoint["secret"])
    assert rotated.json()["previous_expires_at"] is not None


async def test_writes_need_admin_and_other_workspaces_see_nothing(
    client, tenant: Tenant, other_tenant: Tenant
):
    refused = await client.post(
        URL, json={"name": "x", "url": "http://127.0.0.1:9/"}, headers=tenant.auth(Role.editor)
    )
    assert_problem(refused, 403)
    endpoint = (await create(client, tenant, url="http://127.0.0.1:9/")).json()
    hidden = await client.get(f"{URL}/{endpoint['id']}", headers=other_tenant.auth())
    assert_problem(hidden, 404)


async def test_validation_names_the_fields(client, tenant: Tenant):
    pagerduty = await create(client, tenant, url="http://127.0.0.1:9/", format="pagerduty")
    assert fields_of(assert_problem(pagerduty, 422)) == {"body.routing_key"}
    kinds = await create(client, tenant, url="http://127.0.0.1:9/", event_kinds=["alert.exploded"])
    assert fields_of(assert_problem(kinds, 422)) == {"body.event_kinds"}
    unknown = await create(
        client,
        tenant,
        url="http://127.0.0.1:9/",
        campaign_ids=["01a2010c-3bd9-7716-be78-ba040ba1a6e8"],
        member_id="01a2010c-3bd9-7716-be78-ba040ba1a6e9",
    )
    assert fields_of(assert_problem(unknown, 422)) == {"body.campaign_ids.0", "body.member_id"}


async def test_patch_rechecks_the_url_and_disabling_records_why(client, tenant: Tenant):
    endpoint = (await create(client, tenant, url="http://127.0.0.1:9/")).json()
    location = f"{URL}/{endpoint['id']}"
    moved = await client.patch(location, json={"url": "https://10.1.2.3/"}, headers=tenant.auth())
    assert fields_of(assert_problem(moved, 422)) == {"body.url"}
    off = await client.patch(
        location, json={"enabled": False}, headers={**tenant.auth(), "If-Match": '"1"'}
    )
    assert off.status_code == 200, off.text
    assert off.json()["disabled_reason"]
    on = await client.patch(location, json={"enabled": True}, headers=tenant.auth())
    assert (on.json()["enabled"], on.json()["disabled_reason"]) == (True, None)
    stale = await client.patch(
        location, json={"name": "x"}, headers={**tenant.auth(), "If-Match": '"1"'}
    )
    assert_problem(stale, 412)
    deleted = await client.delete(location, headers=tenant.auth())
    assert deleted.status_code == 204
    assert_problem(await client.get(location, headers=tenant.auth()), 404)


async def test_a_test_send_is_signed_and_shows_the_answer(client, tenant: Tenant):
    async with receiving(script=[418]) as receiver:
        endpoint = (await create(client, tenant, url=receiver.url + "/hook")).json()
        location = f"{URL}/{endpoint['id']}"
        first = await client.post(location + "/test", headers=tenant.auth())
        rotated = await client.post(location + "/rotate-secret", headers=tenant.auth())
        second = await client.post(location + "/test", headers=tenant.auth())
    assert first.status_code == 200, first.text
    assert first.json()["delivered"] is False
    assert first.json()["status_code"] == 418
    assert first.json()["response_excerpt"] == "answered 418"
    assert second.json()["delivered"] is True
    assert second.json()["latency_ms"] >= 0
    [before, after] = receiver.requests
    body = Webhook(endpoint["secret"]).verify(before.body, before.headers)
    assert body["type"] == "test"
    # During the rotation's overlap both the new and the old secret verify.
    Webhook(rotated.json()["secret"]).verify(after.body, after.headers)
    Webhook(endpoint["secret"]).verify(after.body, after.headers)
    assert after.headers["webhook-id"] == second.json()["webhook_id"]


async def test_a_test_send_to_nobody_reports_the_error(client, tenant: Tenant):
    endpoint = (await create(client, tenant, url="http://127.0.0.1:9/")).json()
    answer = await client.post(f"{URL}/{endpoint['id']}/test", headers=tenant.auth())
    assert answer.status_code == 200
    assert answer.json()["delivered"] is False
    assert answer.json()["status_code"] is None
    assert answer.json()["error"]


async def test_deliveries_are_listed_newest_first_in_pages(client, tenant: Tenant, session):
    created = (await create(client, tenant, url="http://127.0.0.1:9/")).json()
    endpoint = await session.get(NotificationEndpoint, uuid.UUID(created["id"]))
    now = utcnow()
    for i in range(3):
        await service.enqueue_delivery(
            session,
            endpoint=endpoint,
            event_kind="alert.fired",
            payload={"n": i},
            now=now + timedelta(seconds=i),
        )
    await session.commit()
    url = f"{URL}/{created['id']}/deliveries"
    page = await client.get(url, params={"limit": 2}, headers=tenant.auth())
    assert [d["payload"]["n"] for d in page.json()["items"]] == [2, 1]
    rest = await client.get(
        url, params={"limit": 2, "cursor": page.json()["next_cursor"]}, headers=tenant.auth()
    )
    assert [d["payload"]["n"] for d in rest.json()["items"]] == [0]
    pending = rest.json()["items"][0]
    assert (pending["status"], pending["attempt_log"]) == ("pending", [])
    busy = await client.post(f"/v1/deliveries/{pending['id']}/redeliver", headers=tenant.auth())
    assert_problem(busy, 409, "delivery_pending")
