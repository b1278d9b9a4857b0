"""The 17:00 daily report for two campaigns in different timezones, as it is sent.

    .venv/bin/python -m bench.daily_reports

Starts its own embedded PostgreSQL and Redis, one API process, one worker and a local
receiver (two webhook endpoints subscribed to `report.daily`). Sets up two active
campaigns through the API, one in Asia/Shanghai (CNY: reported in Chinese) and one in
Europe/Berlin (EUR: in English), with the brief's daily channel figures imported as CSV
for a recent day D. Then a clock moves through D in 5-minute steps, running what the
worker's cron runs each minute (`due_reports`, then `send_report` per report, one
transaction each); the live worker delivers the outbox to the receiver, which checks the
Standard Webhooks signature and prints each report's title and text as received.

The campaigns end on D, so the live worker's own cron (on the real clock) owes them no
later report; weekly reports are switched off to keep the output to the two dailies.
"""

import asyncio
import time as clock
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import update
from standardwebhooks.webhooks import Webhook

from bench.receivers import read_body, serve_in_thread
from bench.servers import servers
from shared import jobs
from shared import startup as process_setup
from shared.campaigns.models import Campaign, CampaignStatus
from shared.db import create_engine, create_sessionmaker, unit_of_work
from shared.embedded import free_port
from shared.reports import service as reports
from tests.live import create_workspace, live_api, live_worker

CAMPAIGNS = (
    # name, timezone, currency, the day's CSV rows (the brief's Table 3)
    (
        "618 大促",
        "Asia/Shanghai",
        "CNY",
        [
            'social feed,"50,000",2.1%,3.5%,175,"35,000",',
            'offline store,"2,000",-,8.0%,160,"32,000",traffic 20% under expectation',
        ],
    ),
    (
        "Sommerfest",
        "Europe/Berlin",
        "EUR",
        [
            'social feed,"42,000",1.8%,4.0%,150,"28,500",',
            'offline store,"1,500",-,-,90,"21,000",rain kept visitors away',
        ],
    ),
)


class Receiver:
    """A bare ASGI app on 127.0.0.1 that keeps what it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[datetime, str, dict[str, str], bytes]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.received.append((datetime.now(UTC), scope["path"], headers, body))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def set_up(base: str, key: str, receiver_url: str, day: date) -> dict[str, Any]:
    """Channels, the two campaigns (20 days ending on `day`) with goals, their figures
    for `day`, and the endpoints. Returns campaign ids and endpoint secrets."""
    auth = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, headers=auth, timeout=30) as api:

        def call(method: str, path: str, **kwargs: Any) -> Any:
            answer = api.request(method, path, **kwargs)
            assert answer.status_code < 300, (path, answer.status_code, answer.text)
            return answer.json() if answer.content else None

        for key_, name in (("social_feed", "Social feed"), ("offline_store", "Offline store")):
            call("POST", "/v1/channels", json={"key": key_, "name": name})
        call("PUT", "/v1/report-schedule", json={"weekly_enabled": False})
        ids = {}
        for name, timezone, currency, _ in CAMPAIGNS:
            campaign = call(
                "POST",
                "/v1/campaigns",
                json={
                    "name": name,
                    "kind": "promotion",
                    "timezone": timezone,
                    "currency": currency,
                    "start_date": str(day - timedelta(days=19)),
                    "end_date": str(day),
                },
            )
            ids[name] = campaign["id"]
            call(
                "PUT",
                f"/v1/campaigns/{campaign['id']}/channels",
                json={"channel_keys": ["social_feed", "offline_store"]},
            )
            for goal_type, metric, target in (
                ("user_growth", "new_users", "4000"),
                ("sales_conversion", "gmv", "1000000"),
                ("sales_conversion", "ctr", "0.015"),
            ):
                call(
                    "POST",
                    f"/v1/campaigns/{campaign['id']}/goals",
                    json={"goal_type": goal_type, "metric_key": metric, "target_value": target},
                )
        secrets = {}
        for path in ("/ops", "/marketing"):
            endpoint = call(
                "POST",
                "/v1/notification-endpoints",
                json={
                    "name": f"Reports {path}",
                    "url": f"{receiver_url}{path}",
                    "event_kinds": ["report.daily"],
                },
            )
            secrets[path] = endpoint["secret"]
    return {"campaigns": ids, "secrets": secrets, "auth": auth}


def import_figures(base: str, auth: dict[str, str], ids: dict[str, str], day: date) -> None:
    header = "date,channel,impressions,CTR,conversion,new users,sales,note"
    for name, _, _, rows in CAMPAIGNS:
        body = "\n".join([header, *(f"{day},{row}" for row in rows)]) + "\n"
        answer = httpx.post(
            f"{base}/v1/campaigns/{ids[name]}/metric-points/import",
            content=body.encode(),
            headers=auth | {"content-type": "text/csv"},
            timeout=30,
        )
        assert answer.status_code == 201, answer.text


async def activate(database_url: str, ids: dict[str, str], at: datetime) -> None:
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        for number, campaign_id in enumerate(ids.values(), start=1):
            await connection.execute(
                update(Campaign)
                .where(Campaign.id == uuid.UUID(campaign_id))
                .values(
                    status=CampaignStatus.active,
                    activated_at=at,
                    registration_number=f"CMP-2026-{number:04d}",
                )
            )
    await engine.dispose()


async def run_the_day(
    database_url: str, redis_url: str, queue: str, start: datetime, end: datetime
) -> list[tuple[datetime, str, str]]:
    """The cron's work at each 5-minute step of the simulated clock; the send jobs the
    commits enqueue go to the live worker."""
    process_setup.install()
    engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(engine)
    redis = jobs.create_redis(redis_url, queue_name=queue)
    queue_ = jobs.ArqJobQueue(redis, queue)
    sent = []
    now = start
    try:
        while now <= end:
            async with unit_of_work(sessionmaker, queue_) as session:
                owed = await reports.due_reports(session, now=now)
            for item in owed:
                async with unit_of_work(sessionmaker, queue_) as session:
                    run = await reports.send_report(
                        session,
                        campaign_id=item.campaign_id,
                        kind=item.due.kind,
                        period_start=item.due.period_start,
                        now=now,
                    )
                    if run is not None:
                        sent.append((now, run.title, str(run.campaign_id)))
            now += timedelta(minutes=5)
    finally:
        await redis.aclose()
        await engine.dispose()
    return sent


def main() -> None:
    day = datetime.now(UTC).date() - timedelta(days=2)
    receiver = Receiver()
    port = free_port()
    server = serve_in_thread(receiver, port)
    with servers("daily-reports") as (database_url, redis_url):
        queue = f"bench-reports-{uuid.uuid4().hex[:6]}"
        env = {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "QUEUE_NAME": queue,
            "LOG_LEVEL": "WARNING",
            "NOTIFY_ALLOWED_NETWORKS": "127.0.0.0/8",
        }
        key = create_workspace(env, "618 festival team")
        with live_api(env) as base, live_worker(env):
            setup = set_up(base, key, f"http://127.0.0.1:{port}", day)
            ids = setup["campaigns"]
            start = datetime.combine(day - timedelta(days=1), time(22), tzinfo=UTC)
            asyncio.run(activate(database_url, ids, start))
            import_figures(base, setup["auth"], ids, day)
            print(f"Day D = {day}; the clock runs {start:%Y-%m-%d %H:%M}Z .. +26 h, 5-minute steps")
            for at, title, campaign_id in asyncio.run(
                run_the_day(database_url, redis_url, queue, start, start + timedelta(hours=26))
            ):
                zone = next(tz for name, tz, _, _ in CAMPAIGNS if ids[name] == campaign_id)
                local = at.astimezone(ZoneInfo(zone))
                print(f"  {at:%H:%M}Z = {local:%H:%M} {zone}: sent {title}")
            deadline = clock.monotonic() + 60
            while len(receiver.received) < 2 * len(CAMPAIGNS) and clock.monotonic() < deadline:
                clock.sleep(0.1)
    server.should_exit = True
    print(f"\nThe receiver got {len(receiver.received)} requests:")
    for at, path, headers, body in receiver.received:
        # Raises unless signed by this endpoint's secret within the last 5 minutes.
        message = Webhook(setup["secrets"][path]).verify(body, headers)
        data = message["data"]
        print(
            f"\n--- {at:%H:%M:%S}Z {message['type']} to {path} "
            f"(signature verified, webhook-id {headers['webhook-id']})"
        )
        print(f"title: {data['title']}")
        print(data["text"])


if __name__ == "__main__":
    main()
