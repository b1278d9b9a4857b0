"""A verified API key is trusted briefly without a lookup: revocation still bites."""

import dataclasses

import httpx

from services.api.app import create_app
from shared.actor import Role
from shared.workspaces.verified_keys import VerifiedKeys
from tests.helpers import Tenant, assert_problem


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


async def test_a_key_revoked_through_another_process_stops_within_the_cache_time(
    settings, runtime, client, tenant: Tenant
):
    clock = Clock()
    other_process = create_app(
        settings, dataclasses.replace(runtime, verified_keys=VerifiedKeys(5.0, clock=clock))
    )
    transport = httpx.ASGITransport(app=other_process)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        editor = tenant.auth(Role.editor)
        assert (await other.get("/v1/workspace", headers=editor)).status_code == 200

        revoked = await client.post(
            f"/v1/api-keys/{tenant.key_ids[Role.editor]}/revoke", headers=tenant.auth()
        )
        assert revoked.status_code == 200
        # The process that revoked it refuses it at once...
        assert_problem(await client.get("/v1/workspace", headers=editor), 401)
        # ...another one trusts what it verified for at most the cache time.
        clock.now += 4.9
        assert (await other.get("/v1/workspace", headers=editor)).status_code == 200
        clock.now += 0.2
        assert_problem(await other.get("/v1/workspace", headers=editor), 401)
