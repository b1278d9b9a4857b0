import asyncio
import dataclasses
import time

import httpx

from services.api.app import create_app
from shared.actor import Role
from tests.helpers import Tenant, assert_problem


async def test_a_key_over_its_rate_limit_gets_429_with_retry_after(
    settings, runtime, tenant: Tenant
):
    limited = settings.model_copy(update={"rate_limit_per_minute": 3})
    app = create_app(limited, dataclasses.replace(runtime, settings=limited))
    if time.time() % 60 > 59:  # the budget is per clock minute: do not straddle two
        await asyncio.sleep(1.1)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        statuses = [
            (await client.get("/v1/workspace", headers=tenant.auth())).status_code for _ in range(3)
        ]
        assert statuses == [200, 200, 200]
        over = await client.get("/v1/workspace", headers=tenant.auth())
        assert_problem(over, 429, "too_many_requests")
        assert 1 <= int(over.headers["retry-after"]) <= 60
        # Other keys have their own budget.
        other = await client.get("/v1/workspace", headers=tenant.auth(Role.viewer))
        assert other.status_code == 200
