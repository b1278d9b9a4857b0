"""The one place where errors become RFC 9457 problem responses."""

from collections.abc import Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import Scope

from services.api import routing
from services.api.context import loggable_path, request_id_of
from services.api.problems import HttpProblem, ProblemResponse, internal_error, problem_body
from shared import errors as domain

logger = structlog.get_logger(__name__)

DOMAIN_STATUS: dict[type[domain.DomainError], int] = {
    domain.BadRequest: 400,
    domain.Forbidden: 403,
    domain.NotFound: 404,
    domain.Conflict: 409,
    domain.PreconditionFailed: 412,
    domain.Invalid: 422,
}

HTTP_TITLES = {
    400: ("bad_request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not_found", "Resource not found"),
    405: ("method_not_allowed", "Method not allowed"),
    406: ("not_acceptable", "Not acceptable"),
    409: ("conflict", "Conflict with the current state"),
    413: ("payload_too_large", "Request body too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    429: ("too_many_requests", "Too many requests"),
    500: ("internal_error", "Internal server error"),
    503: ("unavailable", "Service unavailable"),
}


def problem(
    request: Request,
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extras: Any,
) -> ProblemResponse:
    body = problem_body(
        status=status,
        code=code,
        title=title,
        detail=detail,
        instance=request.url.path,
        request_id=request_id_of(request.scope),
        **extras,
    )
    return ProblemResponse(body, status_code=status, headers=headers)


def _field_error(error: dict[str, Any]) -> dict[str, Any]:
    location, *path = [str(part) for part in error["loc"]] or ["body"]
    entry = {
        "detail": error["msg"],
        "location": location,
        "field": ".".join(path),
        "type": error["type"],
    }
    if location == "body":
        entry["pointer"] = "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in path)
    return entry


def _field_errors_from_domain(errors: Sequence[domain.FieldError]) -> list[dict[str, Any]]:
    return [
        {
            "detail": e.message,
            "location": e.location,
            "field": e.field,
            "pointer": "#/" + e.field.replace(".", "/") if e.location == "body" else None,
            "type": e.code,
        }
        for e in errors
    ]


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e["type"] == "json_invalid" for e in errors):
        detail = next(e for e in errors if e["type"] == "json_invalid").get("ctx", {}).get("error")
        return problem(
            request,
            400,
            "malformed_json",
            "Malformed JSON",
            f"The body is not valid JSON: {detail}." if detail else "The body is not valid JSON.",
        )
    fields = [_field_error(e) for e in errors]
    names = ", ".join(sorted({f"{f['location']}.{f['field']}".rstrip(".") for f in fields}))
    return problem(
        request,
        422,
        "validation_error",
        "Validation failed",
        f"Invalid input: {names}.",
        errors=fields,
    )


async def _on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, domain.DomainError)
    status = next(s for cls, s in DOMAIN_STATUS.items() if isinstance(exc, cls))
    extras = dict(exc.extras)
    if isinstance(exc, domain.Invalid) and exc.errors:
        extras["errors"] = _field_errors_from_domain(exc.errors)
    return problem(request, status, exc.code, exc.title, exc.detail, **extras)


async def _on_http_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HttpProblem)
    return problem(
        request, exc.status, exc.code, exc.title, exc.detail, headers=exc.headers, **exc.extras
    )


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code, title = HTTP_TITLES.get(exc.status_code, ("http_error", "HTTP error"))
    detail = exc.detail if isinstance(exc.detail, str) else title
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No route {request.method} {request.url.path}."
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        detail = f"{request.method} is not allowed here; see the Allow header."
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return problem(request, exc.status_code, code, title, detail, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    # The router names only the first route that matched; the path's own may be several.
    routes = routing.served_routes(request.app)
    return sorted(routing.allowed_methods(routes, request.scope["path"]))


async def _on_integrity_error(request: Request, exc: Exception) -> Response:
    # Services check business rules first; this catches the races between two requests.
    logger.info("integrity error", error=str(getattr(exc, "orig", exc)))
    return problem(
        request,
        409,
        "conflict",
        "Conflict with the current state",
        "The change conflicts with data written at the same time; fetch again and retry.",
    )


async def _on_stale_data(request: Request, exc: Exception) -> Response:
    return problem(
        request,
        409,
        "concurrent_update",
        "Changed concurrently",
        "Another request changed this resource at the same time; fetch it again and retry.",
    )


# PostgreSQL's "this text cannot be stored" (e.g. a NUL character in a query parameter).
_UNSTORABLE_TEXT = {"22021", "22P05"}
# A server starting up, shutting down, recovering or out of connections answers at connect
# time with one of these: an outage to wait out, like a refused connection.
_SERVER_UNAVAILABLE = {"57P01", "57P02", "57P03", "53300"}


# What a database outage raises: SQLAlchemy's wrapped driver errors, and the OSError of a
# connection refused, which it passes on unwrapped.
DATABASE_ERRORS = (DBAPIError, ConnectionError)


def _sqlstate(exc: Exception) -> str | None:
    sqlstate: str | None = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return sqlstate


def _database_unreachable(exc: Exception, sqlstate: str | None) -> bool:
    if not isinstance(exc, DBAPIError) or exc.connection_invalidated:
        return True
    return sqlstate is not None and (sqlstate.startswith("08") or sqlstate in _SERVER_UNAVAILABLE)


def _unavailable(request: Request, exc: Exception) -> ProblemResponse:
    logger.warning("database unavailable", error=str(exc))
    return problem(
        request,
        503,
        "unavailable",
        "Service unavailable",
        "The database could not be reached; retry shortly.",
        headers={"Retry-After": "1", "X-Request-ID": request_id_of(request.scope) or ""},
    )


async def _on_database_unavailable(request: Request, exc: Exception) -> Response:
    sqlstate = _sqlstate(exc)
    if sqlstate in _UNSTORABLE_TEXT:
        return problem(
            request,
            422,
            "invalid_text",
            "Invalid text",
            "The request contains characters that cannot be stored or searched (such as NUL).",
        )
    if not _database_unreachable(exc, sqlstate):
        return await _on_unexpected(request, exc)
    return _unavailable(request, exc)


def outage_problem(scope: Scope, exc: Exception) -> ProblemResponse | None:
    """The 503 of a database outage met outside FastAPI's exception handlers (by the
    transaction middleware's commit, rollback or close), as the handlers answer it inside
    them; None for any other error."""
    if not isinstance(exc, DATABASE_ERRORS) or not _database_unreachable(exc, _sqlstate(exc)):
        return None
    return _unavailable(Request(scope), exc)


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    logger.error("unhandled error", exc_info=exc, path=loggable_path(request.url.path))
    request_id = request_id_of(request.scope)
    response = internal_error(instance=request.url.path, request_id=request_id)
    response.headers["X-Request-ID"] = request_id or ""
    return response


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(domain.DomainError, _on_domain_error)
    app.add_exception_handler(HttpProblem, _on_http_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(IntegrityError, _on_integrity_error)
    app.add_exception_handler(StaleDataError, _on_stale_data)
    for database_error in DATABASE_ERRORS:
        app.add_exception_handler(database_error, _on_database_unavailable)
    app.add_exception_handler(Exception, _on_unexpected)
