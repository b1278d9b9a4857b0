"""Integrations and their Standard Webhooks secrets: shown once, rotated with an overlap."""

import base64
import uuid
from datetime import timedelta
from typing import Any

import pytest

from shared.actor import Role
from shared.integrations import service, signing
from shared.integrations.models import Integration
from shared.timeutil import utcnow
from tests.helpers import Tenant, assert_problem

BODY = b'{"points": [{"campaign": "CMP-2026-0001", "metric": "clicks", "value": 12}]}'


def signed_headers(
    secret: str, body: bytes = BODY, *, age: timedelta = timedelta(0)
) -> dict[str, str]:
    message_id, sent = f"msg_{uuid.uuid4().hex}", utcnow() - age
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(sent.timestamp())),
        "webhook-signature": signing.sign(secret, message_id, sent, body),
    }


async def register(client, tenant: Tenant) -> dict[str, Any]:
    response = await client.post(
        "/v1/integrations",
        headers=tenant.auth(),
        json={"name": "Feed ads platform", "kind": "ad_platform"},
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_secret_is_shown_once_in_the_standard_format(client, tenant: Tenant):
    created = await register(client, tenant)
    assert created["secret"].startswith("whsec_")
    assert 24 <= len(base64.b64decode(created["secret"][6:])) <= 64
    assert created["ingest_url"] == f"/v1/ingest/{created['id']}"
    fetched = await client.get(f"/v1/integrations/{created['id']}", headers=tenant.auth())
    assert "secret" not in fetched.json()
    listed = await client.get("/v1/integrations", headers=tenant.auth())
    assert all("secret" not in i for i in listed.json()["items"])


async def test_only_admins_manage_integrations(client, tenant: Tenant, other_tenant: Tenant):
    denied = await client.post(
        "/v1/integrations", headers=tenant.auth(Role.approver), json={"name": "x", "kind": "other"}
    )
    assert_problem(denied, 403)
    created = await register(client, tenant)
    assert_problem(
        await client.get(f"/v1/integrations/{created['id']}", headers=other_tenant.auth()), 404
    )


async def test_signatures_verify_only_when_right_and_recent(client, tenant: Tenant, session):
    created = await register(client, tenant)
    integration = await session.get(Integration, uuid.UUID(created["id"]))
    now = utcnow()
    good = signed_headers(created["secret"])
    assert service.verify_delivery(integration, BODY, good, now)
    assert not service.verify_delivery(integration, BODY + b" ", good, now)  # body changed
    assert not service.verify_delivery(integration, BODY, signed_headers(signing.new_secret()), now)
    stale = signed_headers(created["secret"], age=timedelta(minutes=6))
    assert not service.verify_delivery(integration, BODY, stale, now)
    for broken in ("garbage", "v1,not-base64!!", "v1", ""):
        assert not service.verify_delivery(
            integration, BODY, good | {"webhook-signature": broken}, now
        )
    assert not service.verify_delivery(integration, BODY, {}, now)


@pytest.mark.parametrize(("overlap", "old_still_valid"), [(60, True), (0, False)])
async def test_rotation_keeps_the_old_secret_for_the_overlap(
    client, tenant: Tenant, session, overlap, old_still_valid
):
    created = await register(client, tenant)
    rotated = await client.post(
        f"/v1/integrations/{created['id']}/rotate-secret",
        json={"overlap_minutes": overlap},
        headers=tenant.auth(),
    )
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret != created["secret"]
    integration = await session.get(Integration, uuid.UUID(created["id"]))
    now = utcnow()
    assert service.verify_delivery(integration, BODY, signed_headers(new_secret), now)
    old = signed_headers(created["secret"])
    assert service.verify_delivery(integration, BODY, old, now) is old_still_valid
    # After the overlap the old secret is refused.
    assert not service.verify_delivery(integration, BODY, old, now + timedelta(minutes=61))


async def test_a_disabled_integration_verifies_nothing(client, tenant: Tenant, session):
    created = await register(client, tenant)
    disabled = await client.patch(
        f"/v1/integrations/{created['id']}", json={"status": "disabled"}, headers=tenant.auth()
    )
    assert disabled.json()["status"] == "disabled"
    integration = await session.get(Integration, uuid.UUID(created["id"]))
    headers = signed_headers(created["secret"])
    assert not service.verify_delivery(integration, BODY, headers, utcnow())
