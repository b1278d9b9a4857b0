"""Notifications end to end: events -> outbox -> a real worker -> a real HTTP receiver."""

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import httpx
import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from shared.actor import Role
from shared.alerts.models import Alert
from shared.db import unit_of_work
from shared.events.service import record_event
from shared.notifications import client as callback_client
from shared.notifications import sender, service, urls
from shared.notifications.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    NotificationEndpoint,
)
from shared.timeutil import utcnow
from tests.helpers import Tenant, serving
from tests.worker.test_alerts import campaign_with_owner, enter, listed, today

pytestmark = pytest.mark.committed
LOCAL = urls.parse_networks("127.0.0.0/8")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: datetime = field(default_factory=utcnow)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 answering `script` statuses in turn, then `status`."""

    url: str = ""
    status: int = 200
    delay: float = 0.0  # seconds before answering
    script: list[int] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.requests.append(Received(scope["path"], headers, body))
        status = self.script.pop(0) if self.script else self.status
        await asyncio.sleep(self.delay)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"text/plain")],
            }
        )
        await send({"type": "http.response.body", "body": f"answered {status}".encode()})


@contextlib.asynccontextmanager
async def receiving(**options: Any) -> AsyncIterator[Receiver]:
    receiver = Receiver(**options)
    async with serving(receiver) as url:
        receiver.url = url
        yield receiver


async def add_endpoint(
    client: httpx.AsyncClient, tenant: Tenant, url: str, **fields: Any
) -> dict[str, Any]:
    created = await client.post(
        "/v1/notification-endpoints",
        json={"name": "Ops", "url": url, **fields},
        headers=tenant.auth(),
    )
    assert created.status_code == 201, created.text
    answer: dict[str, Any] = created.json()
    return answer


async def owe(runtime: Any, endpoint_id: str, **payload: Any) -> Delivery:
    """A delivery through the service the escalation policies call."""
    async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as session:
        endpoint = await session.get(NotificationEndpoint, uuid.UUID(endpoint_id))
        assert endpoint is not None
        return await service.enqueue_delivery(
            session,
            endpoint=endpoint,
            event_kind="alert.fired",
            payload={"severity": "warning", "message": "CTR below target", **payload},
            now=utcnow(),
        )


async def send(runtime: Any, clock: Callable[[], datetime] = utcnow) -> sender.RunStats:
    clients = callback_client.CallbackClients(LOCAL)
    try:
        return await sender.send_due(runtime.sessionmaker, clients, clock=clock)
    finally:
        await clients.aclose()


async def delivery_of(session: Any, delivery_id: uuid.UUID) -> Delivery:
    session.expire_all()
    delivery = await session.get(Delivery, delivery_id)
    assert isinstance(delivery, Delivery)
    return delivery


def later(**delta: float) -> Callable[[], datetime]:
    """A clock running `delta` ahead: time moves on without sleeping."""
    return lambda: utcnow() + timedelta(**delta)


async def fire_negative_comments(client: httpx.AsyncClient, tenant: Tenant, session: Any) -> str:
    """A real critical alert: the brief's 51 negative comments in a day (worker not run)."""
    ctx = await campaign_with_owner(client, tenant, session)
    cid: str = ctx["campaign"]["id"]
    enabled = await client.post(
        "/v1/rules/templates/enable",
        json={"keys": ["negative_comments"]},
        headers=tenant.auth(Role.editor),
    )
    assert enabled.status_code == 200, enabled.text
    point = {"channel": "social_feed", "metric": "negative_comments", "date": today().isoformat()}
    await enter(client, tenant, cid, [point | {"value": 51}])
    return cid


async def test_a_firing_alert_reaches_webhook_slack_and_pagerduty_signed(
    client, tenant: Tenant, session, run_worker
):
    async with receiving() as receiver:
        hook = await add_endpoint(client, tenant, receiver.url + "/hook")
        await add_endpoint(client, tenant, receiver.url + "/slack", format="slack")
        await add_endpoint(
            client,
            tenant,
            receiver.url + "/pd",
            format="pagerduty",
            routing_key="R0UTINGKEY",
            event_kinds=["alert.fired", "alert.acknowledged", "alert.resolved"],
        )
        await fire_negative_comments(client, tenant, session)
        await run_worker()  # evaluates the rule; the alert's commit queues the sending
        [alert] = await listed(client, tenant, status="firing")
        fingerprint = await session.scalar(
            select(Alert.fingerprint).where(Alert.id == uuid.UUID(alert["id"]))
        )

        def fired(r: Received) -> bool:  # the rule also opens an issue: issue.created too
            body = r.json()
            return (
                body.get("type") == "alert.fired"
                or "Alert firing" in body.get("text", "")
                or body.get("event_action") == "trigger"
            )

        by_path = {r.path: r for r in receiver.requests if fired(r)}
        assert set(by_path) == {"/hook", "/slack", "/pd"}

        webhook = by_path["/hook"]
        # What a receiver does: verify with the secret it was shown once (Standard Webhooks).
        verified = Webhook(hook["secret"]).verify(webhook.body, webhook.headers)
        assert verified["type"] == "alert.fired"
        assert verified["version"] == 1
        data = verified["data"]
        assert data["subject_id"] == alert["id"]
        assert data["severity"] == "critical"
        assert data["fingerprint"] == fingerprint
        assert webhook.headers["webhook-id"].startswith("msg_")

        slack = by_path["/slack"].json()
        assert "Alert firing" in slack["text"]
        assert "[critical]" in slack["text"]
        assert slack["blocks"][0]["type"] == "section"
        assert any("Open in campaignops" in json.dumps(b) for b in slack["blocks"])

        trigger = by_path["/pd"].json()
        assert trigger["routing_key"] == "R0UTINGKEY"
        assert trigger["event_action"] == "trigger"
        assert trigger["dedup_key"] == fingerprint
        assert trigger["payload"]["severity"] == "critical"
        assert trigger["payload"]["source"] == "campaignops"

        acknowledged = await client.post(
            f"/v1/alerts/{alert['id']}/acknowledge", headers=tenant.auth()
        )
        assert acknowledged.status_code == 200, acknowledged.text
        await run_worker()
        pd = [r.json() for r in receiver.requests if r.path == "/pd"]
        assert [p["event_action"] for p in pd] == ["trigger", "acknowledge"]
        assert pd[1]["dedup_key"] == fingerprint

    deliveries = await client.get(
        f"/v1/notification-endpoints/{hook['id']}/deliveries", headers=tenant.auth()
    )
    assert deliveries.status_code == 200
    first = next(d for d in deliveries.json()["items"] if d["event_kind"] == "alert.fired")
    assert first["status"] == "delivered"
    assert first["webhook_id"] == webhook.headers["webhook-id"]
    assert [(a["status_code"], a["response_excerpt"]) for a in first["attempt_log"]] == [
        (200, "answered 200")
    ]


async def test_three_failures_then_success_keep_the_webhook_id(
    client, tenant: Tenant, session, runtime
):
    async with receiving(script=[500, 503, 502]) as receiver:
        endpoint = await add_endpoint(client, tenant, receiver.url)
        delivery = await owe(runtime, endpoint["id"])
        start = utcnow()

        stats = await send(runtime)
        assert (stats.delivered, stats.failed) == (0, 1)
        first = await delivery_of(session, delivery.id)
        assert first.status == DeliveryStatus.pending
        assert first.next_attempt_at is not None
        wait = first.next_attempt_at - start
        assert timedelta(seconds=3.9) <= wait <= timedelta(seconds=6.5)  # 5 s +-20%

        assert await send(runtime) == sender.RunStats()  # not due yet: nothing sent
        for hours in (1, 2, 3):  # time moves on (past 5 s, then 5 min, then 30 min)
            await send(runtime, clock=later(hours=hours))

    assert len(receiver.requests) == 4
    assert {r.headers["webhook-id"] for r in receiver.requests} == {delivery.webhook_id}
    assert len({r.body for r in receiver.requests}) == 1  # the same message every time
    done = await delivery_of(session, delivery.id)
    assert (done.status, done.attempts, done.last_status_code) == (DeliveryStatus.delivered, 4, 200)
    codes = (
        await session.scalars(
            select(DeliveryAttempt.status_code)
            .where(DeliveryAttempt.delivery_id == delivery.id)
            .order_by(DeliveryAttempt.at)
        )
    ).all()
    assert codes == [500, 503, 502, 200]


async def test_a_retry_goes_out_when_it_falls_due_not_at_the_next_sweep(
    client, tenant: Tenant, session, runtime, run_worker
):
    async with receiving(script=[500]) as receiver:
        endpoint = await add_endpoint(client, tenant, receiver.url)
        delivery = await owe(runtime, endpoint["id"])  # its commit queues a sending job
        await run_worker()  # no crons here: the retry needs a run of its own, 5 s later
    first, retry = receiver.requests
    assert retry.headers["webhook-id"] == first.headers["webhook-id"]
    # 5 s +-20% after the first attempt; never early, and well before a 10 s sweep.
    assert timedelta(seconds=3.9) <= retry.at - first.at <= timedelta(seconds=8.5)
    done = await delivery_of(session, delivery.id)
    assert (done.status, done.attempts) == (DeliveryStatus.delivered, 2)


async def test_a_receiver_down_past_the_schedule_leaves_a_dead_delivery_to_redeliver(
    client, tenant: Tenant, session, runtime, run_worker
):
    async with receiving(status=503) as receiver:
        endpoint = await add_endpoint(client, tenant, receiver.url)
        delivery = await owe(runtime, endpoint["id"])
        for day in range(sender.MAX_ATTEMPTS + 2):  # 13 h apart: past every wait of the schedule
            await send(runtime, clock=later(hours=13 * day))
        assert len(receiver.requests) == sender.MAX_ATTEMPTS == 8
        dead = await delivery_of(session, delivery.id)
        assert (dead.status, dead.next_attempt_at) == (DeliveryStatus.dead, None)

        url = f"/v1/deliveries/{delivery.id}"
        shown = (await client.get(url, headers=tenant.auth())).json()
        assert shown["status"] == "dead"
        assert len(shown["attempt_log"]) == 8

        receiver.status = 200  # the receiver is back
        again = await client.post(url + "/redeliver", headers=tenant.auth())
        assert again.status_code == 202, again.text
        assert again.json()["status"] == "pending"
        await run_worker()

    assert len(receiver.requests) == 9
    assert receiver.requests[-1].headers["webhook-id"] == delivery.webhook_id
    shown = (await client.get(url, headers=tenant.auth())).json()
    assert shown["status"] == "delivered"
    assert [a["status_code"] for a in shown["attempt_log"]] == [503] * 8 + [200]
    pending_again = await client.post(url + "/redeliver", headers=tenant.auth())
    assert pending_again.status_code == 202  # delivered ones may be sent again too


async def test_410_gone_disables_the_endpoint(client, tenant: Tenant, session, runtime):
    async with receiving(status=410) as receiver:
        endpoint = await add_endpoint(client, tenant, receiver.url)
        delivery = await owe(runtime, endpoint["id"])
        later = await owe(runtime, endpoint["id"], message="another")
        await send(runtime)
    shown = (
        await client.get(f"/v1/notification-endpoints/{endpoint['id']}", headers=tenant.auth())
    ).json()
    assert shown["enabled"] is False
    assert "410" in shown["disabled_reason"]
    gone = await delivery_of(session, delivery.id)
    assert gone.status == DeliveryStatus.dead
    assert (await delivery_of(session, later.id)).status == DeliveryStatus.dead
    assert len(receiver.requests) == 2  # both were in flight in the same batch; no retries
    refused = await client.post(f"/v1/deliveries/{delivery.id}/redeliver", headers=tenant.auth())
    assert refused.status_code == 409  # enable the endpoint first


class WorkerDied(Exception):
    pass


async def test_a_worker_killed_between_claiming_and_sending_loses_nothing(
    client, tenant: Tenant, session, runtime
):
    async with receiving() as receiver:
        endpoint = await add_endpoint(client, tenant, receiver.url)
        delivery = await owe(runtime, endpoint["id"])

        async def claim_and_die() -> None:
            async with runtime.sessionmaker() as work, work.begin():
                claimed, _ = await sender.claim(work, now=utcnow())
                assert [c.id for c in claimed] == [delivery.id]
            raise WorkerDied  # claimed and committed, killed before the request went out

        with pytest.raises(WorkerDied):
            await claim_and_die()
        leased = await delivery_of(session, delivery.id)
        assert (leased.status, leased.attempts) == (DeliveryStatus.pending, 0)
        assert receiver.requests == []

        assert await send(runtime) == sender.RunStats()  # another worker: still leased
        await send(runtime, clock=later(seconds=sender.LEASE.total_seconds() + 1))

        async def claim_and_roll_back() -> None:  # dying inside the claim's transaction
            async with runtime.sessionmaker() as work, work.begin():
                await sender.claim(work, now=utcnow() + timedelta(days=1))
                raise WorkerDied

        second = await owe(runtime, endpoint["id"], message="second")
        with pytest.raises(WorkerDied):
            await claim_and_roll_back()
        await send(runtime)  # immediately due again: the claim never happened

    assert [r.headers["webhook-id"] for r in receiver.requests] == [
        delivery.webhook_id,
        second.webhook_id,
    ]
    assert (await delivery_of(session, delivery.id)).status == DeliveryStatus.delivered
    assert (await delivery_of(session, second.id)).attempts == 1


async def test_a_slow_receiver_holds_few_slots_and_its_waiting_deliveries_are_kept(
    client, tenant: Tenant, session, runtime, monkeypatch
):
    monkeypatch.setattr(sender, "GATE_WAIT_SECONDS", 0.2)
    async with receiving(delay=0.5) as slow, receiving() as fast:
        slow_endpoint = await add_endpoint(client, tenant, slow.url)
        fast_endpoint = await add_endpoint(client, tenant, fast.url)
        waiting = [await owe(runtime, slow_endpoint["id"], message=str(i)) for i in range(3)]
        other = await owe(runtime, fast_endpoint["id"])
        clients = callback_client.CallbackClients(LOCAL, per_origin=1)
        try:
            first = await sender.send_due(runtime.sessionmaker, clients, max_batches=1)
            # One request at a time to the slow receiver; the rest are handed back unsent
            # (no attempt counted) instead of waiting out their lease. The fast receiver
            # is served meanwhile.
            assert (first.delivered, first.deferred) == (2, 2)
            assert len(fast.requests) == 1
            while (await sender.send_due(runtime.sessionmaker, clients)).deferred:
                pass
        finally:
            await clients.aclose()
    assert sorted(r.json()["data"]["message"] for r in slow.requests) == ["0", "1", "2"]
    for delivery in [*waiting, other]:
        done = await delivery_of(session, delivery.id)
        assert (done.status, done.attempts) == (DeliveryStatus.delivered, 1)


async def test_the_address_is_checked_again_when_sending(client, tenant: Tenant, session, runtime):
    async with receiving() as receiver:
        endpoint = await add_endpoint(client, tenant, receiver.url)
        delivery = await owe(runtime, endpoint["id"])
        # The operator removed the allowlist after the endpoint was registered: no call.
        strict = callback_client.CallbackClients(())
        stats = await sender.send_due(runtime.sessionmaker, strict)
        await strict.aclose()
        async with callback_client.guarded_session(()) as session_without:
            # The connector itself checks the address it connects to (https skips the
            # sender's own scheme check): refused before any byte is sent.
            with pytest.raises(aiohttp.ClientConnectorError, match="not a public address"):
                await session_without.post(receiver.url.replace("http:", "https:"))
            with pytest.raises(aiohttp.ClientConnectorError, match="not a public address"):
                await session_without.post("https://localhost:9/")
    assert stats.failed == 1
    assert receiver.requests == []
    failed = await delivery_of(session, delivery.id)
    assert failed.status == DeliveryStatus.pending
    assert "not a public address" in (failed.last_error or "")


async def test_events_reach_only_endpoints_whose_filter_takes_them(
    client, tenant: Tenant, session, runtime
):
    async with receiving() as receiver:
        everything = await add_endpoint(client, tenant, receiver.url + "/all")
        critical = await add_endpoint(
            client, tenant, receiver.url + "/critical", min_severity="critical"
        )
        issues = await add_endpoint(
            client, tenant, receiver.url + "/issues", event_kinds=["issue.created"]
        )
        tagged = await add_endpoint(client, tenant, receiver.url + "/tagged", campaign_tags=["618"])
        disabled = await add_endpoint(client, tenant, receiver.url + "/off", enabled=False)

        async def event(kind: str, **data: Any) -> None:
            async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
                await record_event(
                    work,
                    workspace_id=tenant.workspace_id,
                    kind=kind,
                    subject_type=kind.split(".")[0],
                    subject_id=uuid.uuid4(),
                    data=data,
                )

        await event("alert.fired", severity="warning", message="w")
        await event("alert.fired", severity="critical", message="c")
        await event("alert.fired", severity="critical", message="silenced", silenced=True)
        await event("issue.created", severity="info", title="i")
        await send(runtime)

    seen: dict[str, list[str]] = {}
    for r in receiver.requests:
        data = r.json()["data"]
        seen.setdefault(r.path, []).append(data.get("message") or data.get("title"))
    assert {path: sorted(v) for path, v in seen.items()} == {
        "/all": ["c", "i", "w"],
        "/critical": ["c"],
        "/issues": ["i"],
    }
    assert all(e["id"] for e in (everything, critical, issues, tagged, disabled))


async def test_enqueue_with_a_dedup_key_owes_once(client, tenant: Tenant, session, runtime):
    endpoint = await add_endpoint(client, tenant, "http://127.0.0.1:9/")
    for _ in range(2):
        async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as work:
            target = await work.get(NotificationEndpoint, uuid.UUID(endpoint["id"]))
            assert target is not None
            first = await service.enqueue_delivery(
                work,
                endpoint=target,
                event_kind="issue.sla_breached",
                payload={},
                dedup_key="level-1",
                now=utcnow(),
            )
            again = await service.enqueue_delivery(
                work,
                endpoint=target,
                event_kind="issue.sla_breached",
                payload={},
                dedup_key="level-1",
                now=utcnow(),
            )
            assert first.id == again.id
    count = (
        await session.scalars(select(Delivery.id).where(Delivery.dedup_key == "level-1"))
    ).all()
    assert len(count) == 1
