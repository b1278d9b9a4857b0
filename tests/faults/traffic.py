"""What an integration does: sign batches and post them, retrying a 503 with the same
webhook-id (a stored batch is then answered as a duplicate, never stored twice); and
what an ops team runs: a receiver of callbacks that can be down."""

import asyncio
import itertools
import json
import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import uvicorn

from shared.integrations.signing import sign
from tests.faults.seed import CHANNELS, Scenario, hours_ago

# No answer may take longer than this, outage or not: a client gives up long before.
ANSWER_BOUND_SECONDS = 10.0
METRICS = ("clicks", "impressions")


@dataclass
class Ingest:
    """Signed batches of increments, so that a batch lost or applied twice changes the
    totals: every point adds to one of a few figures, which all batches share."""

    base_url: str
    scenario: Scenario
    now: datetime
    sent: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    batches: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    slowest: float = 0.0
    _random: random.Random = field(default_factory=lambda: random.Random(17))

    def points(self) -> list[dict[str, Any]]:
        return [
            {
                "campaign": self.scenario.registration_number,
                "channel": channel,
                "metric": metric,
                "ts": hours_ago(self.now, 1 + hour),
                "value": self._random.randint(1, 100),
                "mode": "increment",
            }
            for channel, metric, hour in itertools.product(CHANNELS, METRICS, range(6))
        ]

    async def send_one(self, client: httpx.AsyncClient) -> None:
        """Post one batch until it is accepted; a 503 is retried with the same webhook-id."""
        points = self.points()
        body = json.dumps({"points": points}).encode()
        webhook_id = f"msg_{uuid.uuid4().hex}"
        url = f"{self.base_url}/v1/ingest/{self.scenario.integration_id}"
        while True:
            now = datetime.now(UTC)
            headers = {
                "content-type": "application/json",
                "webhook-id": webhook_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": sign(self.scenario.secret, webhook_id, now, body),
            }
            started = time.monotonic()
            try:
                response = await client.post(url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                self.unexpected.append(f"no answer: {type(exc).__name__}: {exc}")
                return
            self.slowest = max(self.slowest, time.monotonic() - started)
            self.statuses[response.status_code] += 1
            if response.status_code == 202:
                break
            if not clear_unavailable(response):
                self.unexpected.append(f"{response.status_code} {response.text[:300]}")
                return
            await asyncio.sleep(0.2)
        self.batches += 1
        for point in points:
            self.sent[point["metric"]] += point["value"]

    async def run(self, stop: asyncio.Event, *, in_flight: int = 1, pause: float = 0.1) -> None:
        """Send batches, `in_flight` at a time, until `stop` is set."""
        timeout = httpx.Timeout(ANSWER_BOUND_SECONDS + 5)
        async with httpx.AsyncClient(timeout=timeout) as client:

            async def lane() -> None:
                while not stop.is_set():
                    await self.send_one(client)
                    await asyncio.sleep(pause)

            await asyncio.gather(*(lane() for _ in range(in_flight)))


def clear_unavailable(response: httpx.Response) -> bool:
    """A 503 that says what it is: a problem with a stable code and when to retry."""
    if response.status_code != 503:
        return False
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return False
    body: dict[str, Any] = response.json()
    return bool(
        body.get("status") == 503
        and body.get("code") == "unavailable"
        and response.headers.get("retry-after", "").isdigit()
    )


class Receiver:
    """The ops team's endpoint. While `refusing`, it answers 503 (after listening again it
    may still be warming up): the webhook-ids of every request are kept per alert."""

    def __init__(self) -> None:
        self.requests: dict[str, list[str]] = defaultdict(list)  # alert id -> webhook-ids
        self.answered: Counter[int] = Counter()
        self.refusing = 0  # how many more requests to answer 503

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        alert_id = str(json.loads(body)["data"].get("subject_id"))
        webhook_id = dict(scope["headers"]).get(b"webhook-id", b"").decode()
        self.requests[alert_id].append(webhook_id)
        status = 204
        if self.refusing > 0:
            self.refusing -= 1
            status = 503
        self.answered[status] += 1
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})


class ReceiverServer:
    """`Receiver` on a fixed port, served from a thread; stopped, the port refuses."""

    def __init__(self, receiver: Receiver, port: int) -> None:
        self.receiver, self.port = receiver, port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/ops"

    async def start(self) -> None:
        config = uvicorn.Config(
            self.receiver, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive(), "the receiver did not start"
            assert time.monotonic() < deadline, "the receiver did not start in time"
            await asyncio.sleep(0.02)
        self._server, self._thread = server, thread

    async def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        deadline = time.monotonic() + 10
        while self._thread.is_alive():
            assert time.monotonic() < deadline, "the receiver did not stop"
            await asyncio.sleep(0.02)
        self._server = self._thread = None
