"""RFC 9457 problem details: the one body shape of every error this API returns."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from starlette.responses import JSONResponse

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://campaignops.dev/problems/"


class ProblemFieldError(BaseModel):
    detail: str = Field(examples=["String should have at most 200 characters"])
    location: str = Field(description="body, query, path or header", examples=["body"])
    field: str = Field(description="Dotted path of the field", examples=["items.0.name"])
    pointer: str | None = Field(
        default=None,
        description="JSON Pointer into the body (body fields only)",
        examples=["#/name"],
    )
    type: str = Field(description="Machine-readable reason", examples=["string_too_long"])


class ProblemBlocker(BaseModel):
    """One thing that stands in the way (readiness to submit, the close-out checklist)."""

    code: str = Field(description="Stable name of the check", examples=["goal_without_owner"])
    message: str = Field(examples=["Goal 'new registered users' has no owner"])
    ref: str | None = Field(
        default=None, description="The item it is about", examples=["goals/01a2010c-..."]
    )


class Problem(BaseModel):
    """An RFC 9457 problem. Besides the standard members, a problem may carry extension
    members saying what would be allowed instead; each is listed here with its type, and
    appears only on the problems that use it."""

    type: str = Field(examples=[PROBLEM_BASE + "not-found"])
    title: str = Field(examples=["Resource not found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["Member 0193... not found."])
    instance: str | None = Field(default=None, examples=["/v1/members/0193..."])
    code: str = Field(description="Stable machine-readable code", examples=["not_found"])
    request_id: str | None = Field(default=None, description="Quote it when reporting a problem")
    errors: list[ProblemFieldError] | None = Field(
        default=None, description="Each bad field (validation problems)"
    )
    # Extension members (services/api/problem_codes.py finds which problems carry them).
    field: str | None = Field(
        default=None, description="The parameter, header or field at fault", examples=["cursor"]
    )
    action: str | None = Field(default=None, description="The refused action", examples=["archive"])
    allowed_actions: list[str] | None = Field(
        default=None,
        description="What the current status allows instead",
        examples=[["complete", "cancel"]],
    )
    allowed_fields: list[str] | None = Field(
        default=None, description="The fields that may still change", examples=[["status"]]
    )
    allowed_statuses: list[str] | None = Field(
        default=None, description="The statuses it may move to", examples=[["in_progress"]]
    )
    review_actions: list[str] | None = Field(
        default=None, description="The sign-off steps the task's status allows"
    )
    blockers: list[ProblemBlocker] | list[str] | None = Field(
        default=None,
        description="What stands in the way: the failed checks (`not_ready`, "
        "`close_out_incomplete`), or the codes of the unfinished predecessor tasks "
        "(`predecessors_not_done`)",
    )
    campaign_status: str | None = Field(default=None, examples=["completed"])
    task_status: str | None = None
    issue_status: str | None = None
    settlement_status: str | None = None
    change_request_status: str | None = None
    current_version: int | None = Field(default=None, description="The resource's version now")
    latest_version: int | None = Field(default=None, description="The latest recorded version")
    plan_version: int | None = Field(default=None, description="The plan version given")
    current_plan_version: int | None = Field(default=None, description="The plan version now")
    current_step: str | None = Field(default=None, description="The approval step deciding now")
    cycle: list[str] | None = Field(
        default=None, description="The cycle found, in order (task codes or metric keys)"
    )
    position: int | None = Field(
        default=None, description="Where in the formula (0-based character offset)"
    )
    users: list[str] | None = Field(default=None, description="The derived metrics using it")
    adjustment: int | None = Field(default=None, description="The review adjustment at fault")
    max_rows: int | None = Field(default=None, description="The most rows one export holds")
    expenses_settled_at: datetime | None = None
    issue_id: uuid.UUID | None = Field(default=None, description="The issue already open")
    item_id: uuid.UUID | None = None
    review_id: uuid.UUID | None = None
    template_id: uuid.UUID | None = None

    model_config = {"extra": "allow"}


def problem_body(
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    instance: str | None = None,
    request_id: str | None = None,
    **extras: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code.replace("_", "-"),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance is not None:
        body["instance"] = instance
    if request_id is not None:
        body["request_id"] = request_id
    # Extension members never replace the standard ones.
    body.update({k: v for k, v in extras.items() if v is not None and k not in body})
    return body


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


class HttpProblem(Exception):
    """An error that only exists at the HTTP edge (401, 413, 415, 429...)."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str,
        headers: dict[str, str] | None = None,
        **extras: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.extras = extras


_DESCRIPTIONS = {
    400: "Unreadable request: malformed JSON, a bad cursor or header",
    401: "Missing, unknown, expired or revoked API key",
    403: "The API key's role does not allow this",
    404: "No such resource in this workspace",
    409: "Conflicts with the resource's current state (or the Idempotency-Key is in flight)",
    412: "If-Match does not match the current version",
    413: "Request body larger than the limit",
    415: "Content-Type is not JSON",
    422: "Validation failed; `errors` names each field",
    429: "Rate limit exceeded; see Retry-After",
    500: "Unexpected error; quote the request_id",
    503: "Unavailable: the database cannot be reached, or not ready yet; see Retry-After",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting problem bodies for these statuses."""
    return {
        status: {
            "model": Problem,
            "description": _DESCRIPTIONS[status],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def internal_error(*, instance: str, request_id: str | None) -> ProblemResponse:
    """A 500: nothing of the failure leaks, only the request id to quote (the log has it)."""
    body = problem_body(
        status=500,
        code="internal_error",
        title="Internal server error",
        detail="Something went wrong on our side. Quote the request_id when you report it.",
        instance=instance,
        request_id=request_id,
    )
    return ProblemResponse(body, status_code=500)
