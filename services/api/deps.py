"""Dependencies every router uses: the session, the caller, pages, If-Match, idempotency."""

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

import structlog
from fastapi import Depends, Header, Query, Request, Response
from fastapi.security import APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.context import CALLER, UNIT_OF_WORK, set_pending_idempotency
from services.api.problems import HttpProblem
from services.api.runtime import Runtime
from shared.activity import tracking
from shared.actor import Actor, Role
from shared.campaigns import service as campaigns
from shared.campaigns.models import Campaign
from shared.errors import FieldError, Forbidden, Invalid
from shared.events import stream_tokens
from shared.events.service import EventFilters
from shared.idempotency import service as idempotency
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, PageRequest
from shared.workspaces import api_keys
from shared.workspaces.verified_keys import VerifiedKey

logger = structlog.get_logger(__name__)


# Dependencies are `async def` even when they do not await: FastAPI runs plain `def`
# dependencies in a thread pool, a hop that costs more than the work itself.


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_session(request: Request) -> AsyncSession:
    """The request's session; its transaction is committed by TransactionMiddleware."""
    session: AsyncSession = request.scope[UNIT_OF_WORK].session
    return session


DbSession = Annotated[AsyncSession, Depends(get_session)]
AppRuntime = Annotated[Runtime, Depends(get_runtime)]


# Who is calling: the API key, its workspace and role, and the member it is bound to.
Caller = Actor


_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer cok_...`")


def _unauthorized(detail: str) -> HttpProblem:
    return HttpProblem(
        401,
        "unauthorized",
        "Authentication required",
        detail,
        headers={"WWW-Authenticate": 'Bearer realm="campaignops"'},
    )


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def authenticate(request: Request, credentials: Credentials) -> Caller:
    """Who calls. Takes the session and runtime from the request rather than as dependencies
    of its own: each dependency FastAPI solves costs time on every request."""
    caller: Caller | None = request.scope.get(CALLER)
    if caller is not None:
        return caller
    if credentials is None:
        raise _unauthorized("Send an API key as `Authorization: Bearer <key>`.")
    session = await get_session(request)
    runtime: Runtime = request.app.state.runtime
    api_key = await api_keys.authenticate(
        session, token=credentials.credentials, verified=runtime.verified_keys
    )
    if api_key is None:
        raise _unauthorized("The API key is unknown, expired or revoked.")
    caller = await _caller_of(session, runtime, api_key)
    request.scope[CALLER] = caller
    return caller


async def _caller_of(session: AsyncSession, runtime: Runtime, api_key: VerifiedKey) -> Caller:
    structlog.contextvars.bind_contextvars(
        workspace_id=str(api_key.workspace_id), api_key=api_key.prefix
    )
    await _enforce_rate_limit(runtime, api_key.id)
    caller = Caller(
        workspace_id=api_key.workspace_id,
        api_key_id=api_key.id,
        role=api_key.role,
        member_id=api_key.member_id,
    )
    tracking.set_actor(session, caller)  # the change log records who made each change
    return caller


async def _enforce_rate_limit(runtime: Runtime, api_key_id: uuid.UUID) -> None:
    limit = runtime.settings.rate_limit_per_minute
    if limit <= 0:
        return
    window = runtime.settings.rate_limit_window_seconds
    try:
        allowed = await runtime.rate_limiter.hit(api_key_id, limit=limit, window_seconds=window)
        if allowed:
            return
        retry_after = await runtime.rate_limiter.retry_after(
            api_key_id, limit=limit, window_seconds=window
        )
    except Exception:
        # Rate limiting protects us; an outage of Redis must not take the API down with it.
        logger.warning("rate limiter unavailable", exc_info=True)
        return
    raise HttpProblem(
        429,
        "too_many_requests",
        "Too many requests",
        f"At most {limit} requests per {window} s per API key; retry in {retry_after} s.",
        headers={"Retry-After": str(retry_after)},
    )


CurrentCaller = Annotated[Caller, Depends(authenticate)]


_stream_token = APIKeyQuery(
    name="stream_token",
    scheme_name="StreamToken",
    auto_error=False,
    description="For a browser's EventSource, which cannot send Authorization: a token from "
    "`POST /v1/events/stream-tokens`, valid 60 s, opening only the events stream.",
)


def stream_tokens_unavailable() -> HttpProblem:
    """Stream tokens live in Redis: without it, none is made or checked."""
    return HttpProblem(
        503,
        "unavailable",
        "Service unavailable",
        "Stream tokens cannot be made or checked right now; retry shortly.",
        headers={"Retry-After": "1"},
    )


@dataclass(frozen=True)
class StreamAccess:
    caller: Caller
    filters: EventFilters | None  # fixed by a stream token; None: the URL's filters apply


async def stream_access(
    session: DbSession,
    runtime: AppRuntime,
    request: Request,
    credentials: Credentials,
    stream_token: Annotated[str | None, Depends(_stream_token)],
) -> StreamAccess:
    """Who opens the events stream: an API key, or a stream token made with one."""
    if stream_token is None:
        return StreamAccess(await authenticate(request, credentials), None)
    try:
        grant = await stream_tokens.redeem(
            runtime.redis, prefix=runtime.settings.redis_prefix, token=stream_token
        )
    except RedisError as exc:
        raise stream_tokens_unavailable() from exc
    if grant is None:
        raise _unauthorized(
            "The stream token is unknown or expired (they open streams for 60 s): "
            "ask for a new one with POST /v1/events/stream-tokens."
        )
    api_key = await api_keys.authenticate_by_id(
        session, workspace_id=grant.workspace_id, api_key_id=grant.api_key_id
    )
    if api_key is None:
        raise _unauthorized("The API key this stream token was made with is expired or revoked.")
    return StreamAccess(await _caller_of(session, runtime, api_key), grant.filters)


StreamCaller = Annotated[StreamAccess, Depends(stream_access)]


def require(role: Role) -> Any:
    async def check(request: Request, credentials: Credentials) -> Caller:
        caller = await authenticate(request, credentials)
        if not caller.role.includes(role):
            raise Forbidden(
                f"This needs the {role.value} role; the API key has {caller.role.value}."
            )
        return caller

    return Depends(check)


Viewer = Annotated[Caller, require(Role.viewer)]
Editor = Annotated[Caller, require(Role.editor)]
Approver = Annotated[Caller, require(Role.approver)]
Admin = Annotated[Caller, require(Role.admin)]


# The campaign named in the path, in the caller's workspace (404 otherwise).
async def campaign_to_read(campaign_id: uuid.UUID, session: DbSession, caller: Viewer) -> Campaign:
    return await campaigns.get_campaign(
        session, workspace_id=caller.workspace_id, campaign_id=campaign_id
    )


async def campaign_to_change(
    campaign_id: uuid.UUID, session: DbSession, caller: Editor
) -> Campaign:
    """Locked until commit: writes to one campaign happen one after the other."""
    return await campaigns.get_campaign(
        session, workspace_id=caller.workspace_id, campaign_id=campaign_id, lock=True
    )


ReadableCampaign = Annotated[Campaign, Depends(campaign_to_read)]
ChangeableCampaign = Annotated[Campaign, Depends(campaign_to_change)]


async def page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=512, description="`next_cursor` of the previous page")
    ] = None,
) -> PageRequest:
    return PageRequest(limit=limit, cursor=cursor)


Pagination = Annotated[PageRequest, Depends(page_request)]


def etag(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


async def expected_versions(
    if_match: Annotated[
        str | None,
        Header(description='ETag of the version you edited (`"3"`); 412 if it moved on.'),
    ] = None,
) -> set[int] | None:
    """The versions If-Match accepts; None when any version will do (absent or `*`)."""
    if if_match is None or if_match.strip() == "*":
        return None
    versions = set()
    for tag in if_match.split(","):
        tag = tag.strip()
        if tag.startswith('"') and tag.endswith('"') and tag[1:-1].isdigit():
            versions.add(int(tag[1:-1]))
    return versions  # weak or foreign tags never match: strong comparison (RFC 9110)


IfMatch = Annotated[set[int] | None, Depends(expected_versions)]


async def idempotency_key(
    request: Request,
    credentials: Credentials,
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Retry-safe POST: the same key and body within 24 h replays the first "
            "response; another body is 422; a retry while the first is running is 409.",
        ),
    ] = None,
) -> None:
    """Takes the caller and session as `authenticate` does: no dependencies of its own."""
    if key is None:
        return
    caller = await authenticate(request, credentials)
    session = await get_session(request)
    pending = idempotency.PendingKey(
        workspace_id=caller.workspace_id,
        api_key_id=caller.api_key_id,
        key=idempotency.parse_key(key),
        fingerprint=idempotency.fingerprint(
            request.method, request.url.path, request.url.query, await request.body()
        ),
    )
    stored = await idempotency.begin(session, pending)
    if stored is not None:
        raise ReplayResponse(stored.status_code, stored.headers, stored.body)
    set_pending_idempotency(request.scope, pending)


class ReplayResponse(Exception):
    def __init__(self, status_code: int, headers: dict[str, str], body: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.body = body


Idempotent = Depends(idempotency_key)


async def refuse_idempotency_key(
    key: Annotated[str | None, Header(alias="Idempotency-Key", include_in_schema=False)] = None,
) -> None:
    """For creations whose response cannot be stored for a replay (a secret shown once):
    a client relying on the header must learn that a retry would create a second one."""
    if key is not None:
        raise Invalid(
            "Idempotency-Key is not supported here: replaying this response would mean "
            "keeping its secret. Send the request without it, and list before retrying.",
            [FieldError("Idempotency-Key", "not supported on this operation", location="header")],
            code="idempotency_not_supported",
        )


NotIdempotent = Depends(refuse_idempotency_key)
