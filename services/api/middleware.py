"""Pure ASGI middleware: request context and guards, then the per-request transaction."""

import re
import time
from dataclasses import dataclass

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api import errors
from services.api.context import (
    REQUEST_ID,
    UNIT_OF_WORK,
    accept_request_id,
    loggable_path,
    pending_idempotency,
)
from services.api.metrics import RequestMetrics
from services.api.problems import ProblemResponse, internal_error, problem_body
from shared.config import Settings
from shared.db import UnitOfWork
from shared.idempotency import service as idempotency
from shared.ids import new_id

access_log = structlog.get_logger("campaignops.access")
error_log = structlog.get_logger(__name__)

_BODY_METHODS = {"POST", "PUT", "PATCH"}
# Headers worth replaying with a stored idempotent response.
_REPLAYED_HEADERS = {"content-type", "location", "etag"}


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


@dataclass(frozen=True)
class BodyRule:
    """A route that takes another body than JSON, with its own size limit.

    The guards run before routing, so the rule names the route by its path template.
    """

    path: re.Pattern[str]
    media_types: frozenset[str]
    max_bytes: int

    @classmethod
    def for_route(cls, template: str, media_types: set[str], max_bytes: int) -> "BodyRule":
        pattern, _, _ = compile_path(template)
        return cls(pattern, frozenset(media_types), max_bytes)

    def accepts(self, content_type: str) -> bool:
        return content_type.split(";", 1)[0].strip().lower() in self.media_types


class RequestContextMiddleware:
    """Request id, access log and metrics for every request; refuses bodies we will not read.

    The body limit is ours, not FastAPI's `max_body_size`: Starlette's limiter answers
    413 in text/plain, replacing any problem response we would send.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: RequestMetrics,
        max_body_bytes: int,
        larger_bodies: dict[str, int] | None = None,
        body_rules: tuple[BodyRule, ...] = (),
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.larger_bodies = larger_bodies or {}  # path prefix -> limit
        self.body_rules = body_rules  # routes taking non-JSON bodies (they take no JSON)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = accept_request_id(headers.get("x-request-id")) or new_id().hex
        scope[REQUEST_ID] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        responded = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = message["status"], True
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            refusal = self._refusal(scope, headers)
            if refusal is not None:
                await refusal(scope, receive, send_with_id)
            else:
                await self.app(scope, self._limited(receive, self._limit(scope)), send_with_id)
        except Exception as exc:
            # The database lost after the handlers (at the transaction's commit or rollback):
            # their 503, not a 500.
            outage = None if responded else errors.outage_problem(scope, exc)
            if outage is not None:
                await outage(scope, receive, send_with_id)
                return
            # Logged once, here, where the request id is bound; not raised on to the server,
            # which would log the same traceback again without it.
            error_log.exception("unhandled error", path=loggable_path(scope["path"]))
            if not responded:
                problem = internal_error(instance=scope["path"], request_id=request_id)
                await problem(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.observe(scope["method"], template, status, seconds)
            access_log.info(
                "request",
                method=scope["method"],
                path=loggable_path(scope["path"]),
                route=template,
                status=status,
                duration_ms=round(seconds * 1000, 2),
            )
            structlog.contextvars.clear_contextvars()

    def _refusal(self, scope: Scope, headers: Headers) -> ProblemResponse | None:
        if scope["method"] not in _BODY_METHODS:
            return None
        length = headers.get("content-length")
        limit = self._limit(scope)
        if length is not None and length.isdigit() and int(length) > limit:
            return self._problem(
                scope,
                413,
                "payload_too_large",
                "Request body too large",
                f"The body may be at most {limit} bytes.",
            )
        has_body = (length is not None and length != "0") or "transfer-encoding" in headers
        content_type = headers.get("content-type", "")
        rule = self._rule(scope)
        accepted = rule.accepts(content_type) if rule else _is_json(content_type)
        if has_body and not accepted:
            wanted = " or ".join(sorted(rule.media_types)) if rule else "application/json"
            return self._problem(
                scope,
                415,
                "unsupported_media_type",
                "Unsupported media type",
                f"Send the body as {wanted}.",
            )
        return None

    def _rule(self, scope: Scope) -> BodyRule | None:
        path: str = scope["path"]
        return next((rule for rule in self.body_rules if rule.path.match(path)), None)

    def _limit(self, scope: Scope) -> int:
        rule = self._rule(scope)
        if rule is not None:
            return rule.max_bytes
        path: str = scope["path"]
        return next(
            (size for prefix, size in self.larger_bodies.items() if path.startswith(prefix)),
            self.max_body_bytes,
        )

    def _limited(self, receive: Receive, limit: int) -> Receive:
        """Count streamed body bytes too: a chunked body has no Content-Length to check."""
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, f"The body may be at most {limit} bytes.")
            return message

        return limited

    @staticmethod
    def _problem(scope: Scope, status: int, code: str, title: str, detail: str) -> ProblemResponse:
        body = problem_body(
            status=status,
            code=code,
            title=title,
            detail=detail,
            instance=scope["path"],
            request_id=scope.get(REQUEST_ID),
        )
        return ProblemResponse(body, status_code=status)


def _is_event_stream(start: Message) -> bool:
    content_type = Headers(raw=start["headers"]).get("content-type", "")
    return content_type.split(";", 1)[0].strip().lower() == "text/event-stream"


class TransactionMiddleware:
    """One transaction per request, committed BEFORE the response leaves.

    The response is held back until the commit: a client never reads a 201 for a change
    that then failed to commit. Responses under 400 commit (with the Idempotency-Key's
    stored response, in the same transaction); anything else rolls back.

    A server-sent event stream cannot be held back (it may never end), nor keep its
    transaction and connection for hours: it commits what it read to start (the API key's
    last use) as its response starts, then passes through; it reads on with
    transactions of its own.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        runtime = scope["app"].state.runtime
        uow = UnitOfWork(runtime.sessionmaker, runtime.job_queue)
        scope[UNIT_OF_WORK] = uow
        start: Message | None = None
        chunks: list[bytes] = []
        streaming = False

        async def hold(message: Message) -> None:
            nonlocal start, streaming
            if streaming:
                await send(message)
            elif message["type"] == "http.response.start":
                if message["status"] < 400 and _is_event_stream(message):
                    await uow.commit()
                    await uow.close()
                    streaming = True
                    await send(message)
                else:
                    start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, receive, hold)
            if streaming:
                return
            assert start is not None, "the app sent no response"
            body = b"".join(chunks)
            if start["status"] < 400:
                await self._store_idempotent(scope, uow, start, body, runtime.settings)
                await uow.commit()
            else:
                await uow.rollback()
        except BaseException:
            await uow.rollback()
            raise
        finally:
            await uow.close()
        await send(start)
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    async def _store_idempotent(
        scope: Scope, uow: UnitOfWork, start: Message, body: bytes, settings: Settings
    ) -> None:
        pending = pending_idempotency(scope)
        if pending is None or not 200 <= start["status"] < 300:
            return
        headers = {
            k.decode().lower(): v.decode()
            for k, v in start["headers"]
            if k.decode().lower() in _REPLAYED_HEADERS
        }
        await idempotency.store(
            uow.session,
            pending,
            status_code=start["status"],
            headers=headers,
            body=body,
            ttl=settings.idempotency_ttl,
        )
