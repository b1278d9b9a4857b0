"""The events feed: every change in the order it can be read without missing one, live too."""

import asyncio
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from shared.actor import Role
from shared.db import unit_of_work
from shared.events import kinds, stream
from shared.events.positions import START
from shared.events.service import EventFilters, record_event
from shared.timeutil import utcnow
from tests.api import test_campaign_lifecycle as lifecycle
from tests.api.test_campaign_lifecycle import Team, action, decide, sample_campaign
from tests.helpers import Tenant, assert_problem, fields_of

committed = pytest.mark.committed
team = lifecycle.team  # the brief's people, approvers bound to API keys


async def add_event(runtime, tenant: Tenant, kind: str = kinds.ALERT_FIRED, **fields: Any) -> None:
    """One event, committed in a transaction of its own (as the worker would)."""
    subject_type = kind.split(".", 1)[0]
    async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as session:
        await record_event(
            session,
            workspace_id=tenant.workspace_id,
            kind=kind,
            subject_type=fields.pop("subject_type", subject_type),
            subject_id=fields.pop("subject_id", uuid.uuid4()),
            **fields,
        )


async def feed(client, tenant: Tenant, **params: Any) -> dict[str, Any]:
    response = await client.get("/v1/events", params=params, headers=tenant.auth(Role.viewer))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def new_campaign(client, tenant: Tenant) -> str:
    created = await client.post(
        "/v1/campaigns",
        json={"name": "618 promotion", "kind": "promotion"},
        headers=tenant.auth(Role.editor),
    )
    assert created.status_code == 201, created.text
    campaign_id: str = created.json()["id"]
    return campaign_id


def sse_messages(body: str) -> list[dict[str, str]]:
    """The events of an SSE body (comments and the retry line left out)."""
    messages = []
    for block in body.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "id" in fields:
            messages.append(fields)
    return messages


@committed
async def test_the_campaign_workflow_writes_its_events_with_who_and_what(
    client, tenant: Tenant, team: Team
):
    campaign = await sample_campaign(client, tenant, team, flawed=False)
    cid = campaign["id"]
    assert (await action(client, tenant, cid, "submit")).status_code == 200
    rejected = await decide(client, cid, team.department_head, "reject", "Too little for media")
    assert rejected.status_code == 200, rejected.text
    assert (await action(client, tenant, cid, "submit")).status_code == 200
    assert (await decide(client, cid, team.department_head)).status_code == 200
    approved = await decide(client, cid, team.management)
    assert approved.status_code == 200, approved.text
    assert (await action(client, tenant, cid, "activate")).status_code == 200

    page = await feed(client, tenant, campaign_id=cid)
    assert [e["kind"] for e in page["items"]] == [
        "campaign.submitted",
        "campaign.rejected",
        "campaign.submitted",
        "campaign.approved",
        "campaign.activated",
    ]
    submitted, rejected_event, _, approved_event, activated = page["items"]
    assert {e["subject_type"] for e in page["items"]} == {"campaign"}
    assert {e["subject_id"] for e in page["items"]} == {cid}
    assert submitted["data"] == {"round": 1}
    assert submitted["actor_api_key_id"] == str(tenant.key_ids[Role.editor])
    assert rejected_event["data"] == {
        "round": 1,
        "step": "Department head",
        "comment": "Too little for media",
    }
    assert rejected_event["actor_member_id"] == team.department_head_id
    assert approved_event["data"] == {
        "round": 2,
        "registration_number": approved.json()["registration_number"],
    }
    assert approved_event["actor_member_id"] == team.management_id
    assert activated["actor_api_key_id"] == str(tenant.key_ids[Role.editor])
    assert page["has_more"] is False
    assert page["next"] == activated["position"]


@committed
async def test_a_refused_transition_writes_no_event(client, tenant: Tenant):
    cid = await new_campaign(client, tenant)
    refused = await action(client, tenant, cid, "submit")  # no goal, no budget: not ready
    assert_problem(refused, 422, "not_ready")
    assert (await feed(client, tenant))["items"] == []


@committed
async def test_the_feed_pages_oldest_first_and_resumes_after_next(client, tenant, runtime):
    for kind in (kinds.ALERT_FIRED, kinds.ISSUE_CREATED, kinds.TASK_OVERDUE):
        await add_event(runtime, tenant, kind)

    first = await feed(client, tenant, limit=2)
    assert [e["kind"] for e in first["items"]] == ["alert.fired", "issue.created"]
    assert first["has_more"] is True
    assert first["next"] == first["items"][-1]["position"]
    second = await feed(client, tenant, limit=2, after=first["next"])
    assert [e["kind"] for e in second["items"]] == ["task.overdue"]
    assert second["has_more"] is False
    quiet = await feed(client, tenant, after=second["next"])
    assert quiet == {"items": [], "next": second["next"], "has_more": False}

    await add_event(runtime, tenant, kinds.ALERT_RESOLVED)
    latest = await feed(client, tenant, after=second["next"])
    assert [e["kind"] for e in latest["items"]] == ["alert.resolved"]
    everything = await feed(client, tenant, after="0-0", limit=500)
    assert len(everything["items"]) == 4
    assert len({e["position"] for e in everything["items"]}) == 4


@committed
async def test_filters_narrow_the_feed_and_next_still_moves_on(client, tenant, runtime):
    campaign_id = await new_campaign(client, tenant)
    alert_id = uuid.uuid4()
    await add_event(runtime, tenant, kinds.ALERT_FIRED, subject_id=alert_id)
    await add_event(
        runtime, tenant, kinds.ISSUE_CREATED, campaign_id=uuid.UUID(campaign_id), data={"n": 1}
    )
    await add_event(runtime, tenant, kinds.ALERT_RESOLVED, subject_id=alert_id)
    await add_event(runtime, tenant, kinds.TASK_OVERDUE)

    def kinds_of(page: dict[str, Any]) -> list[str]:
        return [e["kind"] for e in page["items"]]

    repeated = await client.get(
        "/v1/events?kind=alert.fired&kind=task.overdue", headers=tenant.auth(Role.viewer)
    )
    assert kinds_of(repeated.json()) == ["alert.fired", "task.overdue"]
    comma = await feed(client, tenant, kind="alert.resolved, issue.created")
    assert kinds_of(comma) == ["issue.created", "alert.resolved"]
    assert kinds_of(await feed(client, tenant, subject_type="alert")) == [
        "alert.fired",
        "alert.resolved",
    ]
    assert kinds_of(await feed(client, tenant, subject_id=str(alert_id))) == [
        "alert.fired",
        "alert.resolved",
    ]
    by_campaign = await feed(client, tenant, campaign_id=campaign_id)
    assert kinds_of(by_campaign) == ["issue.created"]
    assert by_campaign["items"][0]["data"] == {"n": 1}
    # A poller that filters resumes after the events it left out, not before them.
    everything = await feed(client, tenant)
    assert by_campaign["next"] == everything["next"] == everything["items"][-1]["position"]

    now = utcnow()
    assert (
        len((await feed(client, tenant, since=(now - timedelta(minutes=5)).isoformat()))["items"])
        == 4
    )
    assert (await feed(client, tenant, since=(now + timedelta(minutes=5)).isoformat()))[
        "items"
    ] == []
    assert (await feed(client, tenant, until=(now - timedelta(minutes=5)).isoformat()))[
        "items"
    ] == []


@committed
async def test_a_late_commit_by_an_older_transaction_is_not_skipped(client, tenant, runtime):
    """T1 writes first and commits last: a reader must not move past T1's event meanwhile."""
    await add_event(runtime, tenant, kinds.TASK_OVERDUE)
    before = await feed(client, tenant)
    assert len(before["items"]) == 1

    first_written, second_committed = asyncio.Event(), asyncio.Event()
    seen_meanwhile: list[dict[str, Any]] = []

    async def older() -> None:
        async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as session:
            await record_event(
                session,
                workspace_id=tenant.workspace_id,
                kind=kinds.ALERT_FIRED,
                subject_type="alert",
                subject_id=uuid.uuid4(),
            )
            await session.flush()  # takes its transaction id and sequence number now
            first_written.set()
            await second_committed.wait()
            seen_meanwhile.append(await feed(client, tenant, after=before["next"]))

    async def newer() -> None:
        await first_written.wait()
        await add_event(runtime, tenant, kinds.ISSUE_CREATED)
        second_committed.set()

    await asyncio.gather(older(), newer())

    # While the older transaction was open the newer event, though committed, was held back.
    assert seen_meanwhile == [{"items": [], "next": before["next"], "has_more": False}]
    after = await feed(client, tenant, after=before["next"])
    assert [e["kind"] for e in after["items"]] == ["alert.fired", "issue.created"]
    everything = await feed(client, tenant)
    assert [e["kind"] for e in everything["items"]] == [
        "task.overdue",
        "alert.fired",
        "issue.created",
    ]


@committed
async def test_a_rolled_back_change_leaves_no_event(client, tenant, runtime):
    async def failing_change() -> None:
        async with unit_of_work(runtime.sessionmaker, runtime.job_queue) as session:
            await record_event(
                session,
                workspace_id=tenant.workspace_id,
                kind=kinds.ALERT_FIRED,
                subject_type="alert",
                subject_id=uuid.uuid4(),
            )
            await session.flush()
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        await failing_change()
    assert (await feed(client, tenant))["items"] == []


@committed
async def test_each_workspace_reads_only_its_own_events(client, tenant, other_tenant, runtime):
    await add_event(runtime, tenant, kinds.ALERT_FIRED)
    await add_event(runtime, other_tenant, kinds.ISSUE_CREATED)
    mine = await feed(client, tenant)
    theirs = await feed(client, other_tenant)
    assert [e["kind"] for e in mine["items"]] == ["alert.fired"]
    assert [e["kind"] for e in theirs["items"]] == ["issue.created"]
    body = await stream_body(client, other_tenant, after="0-0", max_events=1)
    assert [m["event"] for m in sse_messages(body)] == ["issue.created"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "alert.exploded"}, "query.kind"),
        ({"kind": "alert.fired,"}, "query.kind"),
        ({"after": "yesterday"}, "query.after"),
        ({"after": "12-"}, "query.after"),
        ({"limit": "501"}, "query.limit"),
        ({"limit": "0"}, "query.limit"),
        ({"subject_type": "budget"}, "query.subject_type"),
        ({"subject_id": "not-a-uuid"}, "query.subject_id"),
        ({"campaign_id": "42"}, "query.campaign_id"),
        ({"since": "2024-05-20T09:00:00"}, "query.since"),  # no offset: which 09:00?
        ({"since": "2024-05-21T00:00:00Z", "until": "2024-05-20T00:00:00Z"}, "query.until"),
    ],
)
async def test_bad_filters_are_422_naming_the_parameter(client, tenant, params, field):
    # The stream takes the same filters but no limit: it would ignore it and never end.
    paths = ["/v1/events"] if "limit" in params else ["/v1/events", "/v1/events/stream"]
    for path in paths:
        response = await client.get(path, params=params, headers=tenant.auth(Role.viewer))
        problem = assert_problem(response, 422)
        assert field in fields_of(problem), problem


async def test_a_bad_last_event_id_is_422_naming_the_header(client, tenant):
    response = await client.get(
        "/v1/events/stream",
        headers=tenant.auth(Role.viewer) | {"Last-Event-ID": "not-a-position"},
    )
    assert "header.Last-Event-ID" in fields_of(assert_problem(response, 422))


async def test_the_feed_needs_an_api_key(client):
    assert_problem(await client.get("/v1/events"), 401)
    assert_problem(await client.get("/v1/events/stream"), 401)


async def stream_body(client, tenant: Tenant, headers: dict[str, str] | None = None, **params):
    response = await client.get(
        "/v1/events/stream",
        params=params,
        headers=tenant.auth(Role.viewer) | (headers or {}),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-store"
    body: str = response.text
    return body


@committed
async def test_the_stream_sends_sse_messages_and_resumes_from_last_event_id(
    client, tenant, runtime
):
    for kind in (kinds.ALERT_FIRED, kinds.ISSUE_CREATED, kinds.TASK_OVERDUE):
        await add_event(runtime, tenant, kind, data={"kind": kind})
    positions = [e["position"] for e in (await feed(client, tenant))["items"]]

    body = await stream_body(client, tenant, after="0-0", max_events=2)
    assert body.startswith("retry: 2000\n\n")
    messages = sse_messages(body)
    assert [(m["id"], m["event"]) for m in messages] == [
        (positions[0], "alert.fired"),
        (positions[1], "issue.created"),
    ]
    data = json.loads(messages[0]["data"])
    assert (data["position"], data["kind"], data["data"]) == (
        positions[0],
        "alert.fired",
        {"kind": "alert.fired"},
    )

    # A reconnecting EventSource sends the last id it got; it wins over the URL's `after`.
    resumed = await stream_body(
        client, tenant, {"Last-Event-ID": positions[1]}, after="0-0", max_events=5, timeout=1
    )
    assert [m["id"] for m in sse_messages(resumed)] == [positions[2]]
    filtered = await stream_body(client, tenant, after="0-0", kind="task.overdue", timeout=1)
    assert [m["event"] for m in sse_messages(filtered)] == ["task.overdue"]


@committed
async def test_a_stream_without_a_position_sends_only_new_events(app, tenant, runtime):
    await add_event(runtime, tenant, kinds.ALERT_FIRED)
    connection = AsgiConnection(app, "/v1/events/stream", tenant.auth(Role.viewer))
    # Once the response has started, the stream has found the newest event to start after.
    assert (await connection.next_message())["type"] == "http.response.start"
    assert (await connection.next_message())["body"] == b"retry: 2000\n\n"
    await add_event(runtime, tenant, kinds.ALERT_RESOLVED)
    chunk = (await connection.next_message())["body"].decode()
    assert [m["event"] for m in sse_messages(chunk)] == ["alert.resolved"]
    connection.closed.set()
    await asyncio.wait_for(connection.task, 5)


@committed
async def test_a_quiet_stream_sends_heartbeats(runtime, tenant):
    messages = stream.stream_events(
        runtime.sessionmaker,
        workspace_id=tenant.workspace_id,
        filters=EventFilters(),
        after=START,
        poll_seconds=0.05,
        heartbeat_seconds=0.2,
    )
    try:
        assert await anext(messages) == "retry: 2000\n\n"
        assert await asyncio.wait_for(anext(messages), 2) == ": heartbeat\n\n"
        await add_event(runtime, tenant, kinds.TASK_OVERDUE)
        assert "event: task.overdue\n" in await asyncio.wait_for(anext(messages), 2)
    finally:
        await messages.aclose()


class AsgiConnection:
    """One request driven by hand, to watch a response arrive piece by piece."""

    def __init__(self, app: Any, path: str, headers: dict[str, str]) -> None:
        self.sent: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.closed = asyncio.Event()
        self.requested = False
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"testserver")]
            + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }
        self.task = asyncio.create_task(app(scope, self._receive, self.sent.put))

    async def _receive(self) -> dict[str, Any]:
        if not self.requested:
            self.requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.closed.wait()
        return {"type": "http.disconnect"}

    async def next_message(self) -> dict[str, Any]:
        return await asyncio.wait_for(self.sent.get(), 5)


@committed
async def test_the_stream_delivers_each_event_as_it_commits_and_stops_on_disconnect(
    app, tenant, runtime, engine
):
    connection = AsgiConnection(app, "/v1/events/stream", tenant.auth(Role.viewer))
    start = await connection.next_message()
    assert start["type"] == "http.response.start"
    assert start["status"] == 200
    assert (await connection.next_message())["body"] == b"retry: 2000\n\n"

    await add_event(runtime, tenant, kinds.ISSUE_SLA_BREACHED)
    chunk = (await connection.next_message())["body"].decode()
    assert chunk.startswith("id: ")
    assert "event: issue.sla_breached\n" in chunk

    # The open stream holds no transaction: it would hold back every reader of the feed.
    await asyncio.sleep(1.2)
    async with engine.connect() as db:
        long_transactions = await db.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND xact_start < now() - interval '1 second'"
            )
        )
    assert long_transactions == 0

    connection.closed.set()
    await asyncio.wait_for(connection.task, 5)


async def test_the_stream_is_documented_as_server_sent_events(client):
    spec = (await client.get("/openapi.json")).json()
    operation = spec["paths"]["/v1/events/stream"]["get"]
    assert list(operation["responses"]["200"]["content"]) == ["text/event-stream"]
    parameters = {p["name"] for p in operation["parameters"]}
    assert {"after", "Last-Event-ID", "max_events", "timeout", "kind"} <= parameters
