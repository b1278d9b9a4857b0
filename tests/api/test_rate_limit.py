import dataclasses

import httpx

from services.api.app import create_app
from shared.actor import Role
from tests.helpers import Tenant, assert_problem

LIMIT = 4
WINDOW_MS = 60_000


def limited_client(settings, runtime) -> httpx.AsyncClient:
    limited = settings.model_copy(
        update={"rate_limit_per_minute": LIMIT, "rate_limit_window_seconds": WINDOW_MS // 1000}
    )
    app = create_app(limited, dataclasses.replace(runtime, settings=limited))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def statuses(client: httpx.AsyncClient, tenant: Tenant, count: int) -> list[int]:
    return [
        (await client.get("/v1/workspace", headers=tenant.auth())).status_code for _ in range(count)
    ]


async def window_keys(runtime, settings) -> list[bytes]:
    pattern = f"{settings.redis_prefix}:ratelimit*"
    return [key async for key in runtime.redis.scan_iter(match=pattern)]


async def test_a_key_over_its_rate_limit_gets_429_with_retry_after(
    settings, runtime, tenant: Tenant
):
    async with limited_client(settings, runtime) as client:
        assert await statuses(client, tenant, LIMIT) == [200] * LIMIT
        over = await client.get("/v1/workspace", headers=tenant.auth())
        assert_problem(over, 429, "too_many_requests")
        assert 1 <= int(over.headers["retry-after"]) <= WINDOW_MS // 1000
        # Other keys have their own budget.
        other = await client.get("/v1/workspace", headers=tenant.auth(Role.viewer))
        assert other.status_code == 200


async def test_the_window_slides_so_a_boundary_never_lets_twice_the_limit_through(
    settings, runtime, tenant: Tenant
):
    """A per-clock-minute counter passed the whole budget again right after the minute
    turned. Time is moved by ageing the window's key in Redis, whose clock counts."""
    async with limited_client(settings, runtime) as client:
        assert await statuses(client, tenant, LIMIT) == [200] * LIMIT
        [current] = await window_keys(runtime, settings)
        # One window and a millisecond have passed since the first of those requests.
        await runtime.redis.pexpire(current, WINDOW_MS - 1)
        after_boundary = await statuses(client, tenant, LIMIT)
        assert after_boundary.count(200) <= 1, after_boundary
        assert 429 in after_boundary

        # Half a window later, the older requests weigh half: budget comes back gradually.
        for key in await window_keys(runtime, settings):
            if await runtime.redis.pttl(key) < WINDOW_MS:  # the previous window's count
                await runtime.redis.pexpire(key, WINDOW_MS // 2)
        later = await statuses(client, tenant, LIMIT)
        assert 1 <= later.count(200) < LIMIT, later
