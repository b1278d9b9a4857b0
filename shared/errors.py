"""Domain errors. They know nothing of HTTP: `services/api/errors.py` maps them to problems."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One bad input field; `field` is a dotted path such as `items.0.name`."""

    field: str
    message: str
    code: str = "invalid"
    location: str = "body"  # body, query, path or header


class DomainError(Exception):
    """Base of every error a service raises on purpose; `code` is stable for clients."""

    code: str = "domain_error"
    title: str = "The request cannot be carried out"

    def __init__(self, detail: str, *, code: str | None = None, **extras: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extras = extras
        if code is not None:
            self.code = code


class BadRequest(DomainError):
    """The request itself cannot be read (a malformed cursor, a bad header value)."""

    code = "bad_request"
    title = "Bad request"


class NotFound(DomainError):
    code = "not_found"
    title = "Resource not found"


class Conflict(DomainError):
    """The resource's current state does not allow the change."""

    code = "conflict"
    title = "Conflict with the current state"


class Forbidden(DomainError):
    code = "forbidden"
    title = "Not allowed"


class PreconditionFailed(DomainError):
    """The client's copy is stale (its version no longer matches)."""

    code = "precondition_failed"
    title = "The resource has changed"


class Invalid(DomainError):
    """Well-formed input that breaks a business rule; names the fields at fault."""

    code = "invalid"
    title = "Invalid input"

    def __init__(
        self,
        detail: str,
        errors: list[FieldError] | None = None,
        *,
        code: str | None = None,
        **extras: Any,
    ) -> None:
        super().__init__(detail, code=code, **extras)
        self.errors = errors or []
