"""The events feed: what happened to alerts, issues, tasks and campaigns, polled or streamed."""

import dataclasses
import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, status
from fastapi.responses import StreamingResponse
from redis.exceptions import RedisError

from services.api.deps import (
    AppRuntime,
    DbSession,
    NotIdempotent,
    StreamCaller,
    Viewer,
    stream_tokens_unavailable,
)
from services.api.problems import problem_responses
from shared.errors import FieldError, Invalid
from shared.events import service, stream, stream_tokens
from shared.events.kinds import ALL_KINDS, EventKind, SubjectType
from shared.events.positions import START
from shared.events.schemas import (
    EXAMPLE_EVENT,
    EventFeed,
    EventOut,
    StreamTokenCreate,
    StreamTokenOut,
)
from shared.events.service import EventFilters
from shared.schemas import DocumentedAs, Instant
from shared.timeutil import utcnow

router = APIRouter(tags=["events"])

MAX_FEED_LIMIT = 500
POSITION = "An event's `position` (or a page's `next`); `0-0` is before the first event."


async def event_filters(
    kind: Annotated[
        list[str] | None,
        Query(
            description="Only these kinds: repeat the parameter (a comma list is read too). "
            f"Kinds: {', '.join(ALL_KINDS)}.",
            examples=[["alert.fired", "alert.resolved"]],
        ),
        DocumentedAs(list[EventKind] | None),
    ] = None,
    campaign_id: uuid.UUID | None = None,
    subject_type: SubjectType | None = None,
    subject_id: uuid.UUID | None = None,
    since: Annotated[
        Instant | None, Query(description="Occurred at or after (with an offset)")
    ] = None,
    until: Annotated[Instant | None, Query(description="Occurred before (with an offset)")] = None,
) -> EventFilters:
    if since is not None and until is not None and until <= since:
        raise Invalid(
            "until must be later than since.",
            [FieldError("until", "must be later than since", location="query")],
        )
    return EventFilters(
        kinds=service.parse_kinds(kind or []),
        campaign_id=campaign_id,
        subject_type=subject_type.value if subject_type else None,
        subject_id=subject_id,
        since=since,
        until=until,
    )


Filters = Annotated[EventFilters, Depends(event_filters)]
After = Annotated[str | None, Query(max_length=64, description=POSITION)]


@router.get(
    "/v1/events",
    summary="The events feed, oldest first: poll it, passing `next` back as `after`",
    description="Alert, issue, task and campaign changes, each written in the transaction "
    "of the change. An event shows once every transaction older than it has finished, "
    "so polling with `after` never skips one that committed late.",
    response_model=EventFeed,
    responses=problem_responses(422),
)
async def list_events(
    session: DbSession,
    caller: Viewer,
    filters: Filters,
    after: After = None,
    limit: Annotated[int, Query(ge=1, le=MAX_FEED_LIMIT, description="Events per page")] = 50,
) -> EventFeed:
    page = await service.list_events(
        session,
        workspace_id=caller.workspace_id,
        filters=filters,
        after=service.parse_position(after, field="after", location="query") if after else None,
        limit=limit,
    )
    return EventFeed(
        items=[EventOut.model_validate(event) for event in page.items],
        next=str(page.next) if page.next else None,
        has_more=page.has_more,
    )


class EventStreamResponse(StreamingResponse):
    media_type = "text/event-stream"


_STREAM_EXAMPLE = (
    "retry: 2000\n\n"
    f"id: {EXAMPLE_EVENT['position']}\nevent: {EXAMPLE_EVENT['kind']}\n"
    'data: {"id": "01a2010c-c015-761b-9bc5-6ac427b850e1", "position": "48213-1077", ...}\n\n'
    ": heartbeat\n\n"
)
_STREAM_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Server-sent events: `id` is the event's position, `event` its kind, "
        "`data` the event as JSON; a `: heartbeat` comment every 15 s of silence.",
        "content": {
            "text/event-stream": {"schema": {"type": "string"}, "example": _STREAM_EXAMPLE}
        },
    }
}


@router.get(
    "/v1/events/stream",
    summary="The events feed live, as server-sent events (resumable with Last-Event-ID)",
    description="Without a position the stream starts after the newest event. A "
    "reconnecting EventSource sends Last-Event-ID, which wins over `after`. The filters "
    "are those of `GET /v1/events`. `max_events` and `timeout` end the stream early "
    "(scripts, tests); clients otherwise keep it open and reconnect when it drops. "
    "A browser's EventSource, which cannot send an API key, passes a stream token "
    "(`POST /v1/events/stream-tokens`) as `stream_token` instead; a token that fixes "
    "filters refuses others in the URL (422).",
    response_class=EventStreamResponse,
    responses=_STREAM_RESPONSE | problem_responses(422),
)
async def stream_events(
    session: DbSession,
    runtime: AppRuntime,
    access: StreamCaller,
    filters: Filters,
    after: After = None,
    last_event_id: Annotated[
        str | None,
        Header(alias="Last-Event-ID", max_length=64, description="The last `id` received"),
    ] = None,
    max_events: Annotated[
        int | None, Query(ge=1, le=10_000, description="End the stream after this many events")
    ] = None,
    end_after: Annotated[
        float | None,
        Query(alias="timeout", gt=0, le=86_400, description="End the stream after these seconds"),
    ] = None,
) -> EventStreamResponse:
    caller = access.caller
    if access.filters is not None:
        filters = _token_filters(access.filters, filters)
    if last_event_id:
        start = service.parse_position(last_event_id, field="Last-Event-ID", location="header")
    elif after:
        start = service.parse_position(after, field="after", location="query")
    else:
        start = await service.head(session, workspace_id=caller.workspace_id) or START
    # The request's transaction ends when the response starts (TransactionMiddleware):
    # the stream reads with short transactions of its own.
    messages = stream.stream_events(
        runtime.sessionmaker,
        workspace_id=caller.workspace_id,
        filters=filters,
        after=start,
        max_events=max_events,
        end_after_seconds=end_after,
    )
    return EventStreamResponse(
        messages, headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )


def _token_filters(fixed: EventFilters, asked: EventFilters) -> EventFilters:
    """A stream token's own filters; the URL may still bound the time, not widen the rest."""
    clashing = [
        name
        for name, value in (
            ("kind", asked.kinds),
            ("campaign_id", asked.campaign_id),
            ("subject_type", asked.subject_type),
            ("subject_id", asked.subject_id),
        )
        if value
    ]
    if clashing:
        raise Invalid(
            "This stream token fixes the stream's filters; leave them out of the URL.",
            [FieldError(name, "fixed by the stream token", location="query") for name in clashing],
        )
    return dataclasses.replace(fixed, since=asked.since, until=asked.until)


@router.post(
    "/v1/events/stream-tokens",
    summary="A stream token, to open the live feed from a browser's EventSource",
    description="EventSource cannot send an Authorization header: ask for a token with the "
    "API key, then open `stream_url` (`GET /v1/events/stream?stream_token=...`) within "
    "`expires_in_seconds` (60 s by default). The token opens only the events stream of "
    "this workspace, on behalf of this API key (revoke the key and its tokens open "
    "nothing), optionally fixed to filters. Only its hash is kept; it is never logged.",
    status_code=status.HTTP_201_CREATED,
    response_model=StreamTokenOut,
    dependencies=[NotIdempotent],
    responses=problem_responses(415, 422),
)
async def create_stream_token(
    caller: Viewer, runtime: AppRuntime, body: StreamTokenCreate | None = None
) -> StreamTokenOut:
    wanted = body or StreamTokenCreate()
    try:
        token, expires_at = await stream_tokens.issue(
            runtime.redis,
            prefix=runtime.settings.redis_prefix,
            workspace_id=caller.workspace_id,
            api_key_id=caller.api_key_id,
            filters=wanted.filters(),
            lifetime=timedelta(seconds=wanted.expires_in_seconds),
            now=utcnow(),
        )
    except RedisError as exc:
        raise stream_tokens_unavailable() from exc
    return StreamTokenOut(
        token=token,
        expires_at=expires_at,
        stream_url=f"/v1/events/stream?stream_token={token}",
    )
