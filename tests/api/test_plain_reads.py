"""The reads sent as plain SQL (the workspace, the campaign list) answer like the others:
a connection the server dropped is a 503 problem, not a 500, and the next request works."""

import asyncio
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import plain_sql
from shared.actor import Role
from tests.helpers import Tenant, assert_problem

pytestmark = pytest.mark.committed  # the app's own pooled connections are terminated


async def terminate_app_connections(engine: AsyncEngine) -> int:
    """End every other backend of the app (as a server restart does), wait until they are
    gone, and say how many there were."""
    others = (
        "FROM pg_stat_activity WHERE datname = current_database() "
        "AND application_name = 'campaignops' AND pid <> pg_backend_pid()"
    )
    async with engine.connect() as connection:
        terminate = text(f"SELECT pg_terminate_backend(pid) {others}")
        ended = len((await connection.execute(terminate)).all())
        deadline = time.monotonic() + 10
        while True:
            # Its own transaction each time: pg_stat_activity is a snapshot per transaction.
            await connection.commit()
            if not (await connection.execute(text(f"SELECT count(*) {others}"))).scalar_one():
                break
            assert time.monotonic() < deadline, "backends still there"
            await asyncio.sleep(0.02)
    return ended


@pytest.mark.parametrize("path", ["/v1/workspace", "/v1/campaigns?status=draft"])
async def test_a_dropped_connection_is_a_503_then_the_read_works_again(
    client: httpx.AsyncClient, tenant: Tenant, engine: AsyncEngine, path: str
) -> None:
    auth = tenant.auth(Role.viewer)
    # Several requests at once: the pool holds several connections to lose.
    warm = await asyncio.gather(*(client.get(path, headers=auth) for _ in range(4)))
    assert [response.status_code for response in warm] == [200] * 4
    lost = await terminate_app_connections(engine)

    failures = 0
    for _ in range(20):
        response = await client.get(path, headers=auth)
        if response.status_code == 200:
            break
        assert_problem(response, 503, "unavailable")
        assert response.headers["retry-after"] == "1"
        failures += 1
    else:
        pytest.fail("the read never worked again")
    # Each lost connection fails one request at most, and is then replaced.
    assert failures <= lost
    assert (await client.get(path, headers=auth)).status_code == 200
    await engine.dispose()  # the test's own fixtures share the pool: none of its dead left


async def test_the_campaign_list_filters_sorts_and_pages_by_plain_sql(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    auth = tenant.auth(Role.editor)
    for name, kind, start in [
        ("双十一 预热 50% off", "promotion", "2026-11-01"),
        ("Brand film", "brand_awareness", None),
        ("Spring_sale", "promotion", "2026-03-01"),
    ]:
        body = {"name": name, "kind": kind, "tags": ["q4"]}
        if start:
            body |= {"start_date": start, "end_date": start}
        assert (await client.post("/v1/campaigns", json=body, headers=auth)).status_code == 201

    async def names(**params: str) -> list[str]:
        response = await client.get("/v1/campaigns", params=params, headers=auth)
        assert response.status_code == 200, response.text
        return [item["name"] for item in response.json()["items"]]

    # LIKE's wildcards in the search are plain characters; Chinese text is matched as is.
    assert await names(q="50%") == ["双十一 预热 50% off"]
    assert await names(q="g_s") == ["Spring_sale"]
    assert await names(q="预热") == ["双十一 预热 50% off"]
    assert await names(kind="promotion", tag="q4", sort="start_date") == [
        "Spring_sale",
        "双十一 预热 50% off",
    ]
    # A campaign without dates sorts last ascending and first descending, across pages.
    seen, cursor = [], None
    for _ in range(5):
        params = {"sort": "-start_date", "limit": "1"} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/campaigns", params=params, headers=auth)).json()
        seen += [item["name"] for item in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    else:
        pytest.fail(f"pages never ended: {seen}")
    assert seen == ["Brand film", "双十一 预热 50% off", "Spring_sale"]


async def test_a_read_outside_a_transaction_takes_the_read_pool_and_decodes_json_alike(
    sessionmaker: Any, runtime: Any
) -> None:
    sql = """SELECT '{"名": "双十一", "n": 1}'::jsonb AS jsonb_value, '[1.5]'::json AS json_value"""
    async with sessionmaker() as session:
        pooled = await plain_sql.fetch_one(session, sql)
        assert not session.in_transaction()  # nothing checked out of SQLAlchemy's pool
        held = await plain_sql.fetch_one(session, sql, write=True)  # the session's own
        assert session.in_transaction()
        await session.rollback()
    assert runtime.read_pool.get_size() >= 1
    assert pooled == held == {"jsonb_value": {"名": "双十一", "n": 1}, "json_value": [1.5]}
