import re
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import (
    MISSING,
    AfterValidator,
    ConfigDict,
    EmailStr,
    Field,
    JsonValue,
    StringConstraints,
)

from shared.actor import Role
from shared.schemas import Instant, Name, RequestModel, ResponseModel, ShortText
from shared.timeutil import is_timezone
from shared.workspaces.models import Language


def _timezone(value: str) -> str:
    if not is_timezone(value):
        raise ValueError("must be an IANA time zone such as Asia/Shanghai or Europe/Berlin")
    return value


def _currency(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise ValueError("must be an ISO 4217 code of three capital letters such as CNY")
    return value


TimeZoneName = Annotated[str, StringConstraints(max_length=64), AfterValidator(_timezone)]
CurrencyCode = Annotated[str, AfterValidator(_currency)]
Email = Annotated[EmailStr, StringConstraints(max_length=320)]


_WORKSPACE_ID = "01a2010c-3bd9-7716-be78-ba040ba1a6e8"
_MEMBER_ID = "01a2010c-5c6a-726e-a76a-f95b25ae53ba"
_KEY_ID = "01a2010c-c015-761b-9bc5-6ac427b850dc"
_NOW = "2026-05-01T09:30:00Z"


class WorkspaceOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": _WORKSPACE_ID,
                    "name": "Spring launch team",
                    "slug": "spring-launch-team-3fa2c1",
                    "default_timezone": "Asia/Shanghai",
                    "default_currency": "CNY",
                    "language": "zh-CN",
                    "created_at": _NOW,
                    "updated_at": _NOW,
                    "version": 1,
                }
            ]
        }
    )

    id: uuid.UUID
    name: str
    slug: str
    default_timezone: str
    default_currency: str
    language: Language = Field(
        description="What exports' headers and pages are written in: `zh-CN` (the default) or `en`"
    )
    created_at: datetime
    updated_at: datetime
    version: int


class WorkspaceCreate(RequestModel):
    """A new workspace (made from the shell: `campaignops workspace create`)."""

    name: Name
    default_timezone: TimeZoneName = "UTC"
    default_currency: CurrencyCode = "USD"


class WorkspaceUpdate(RequestModel):
    """Send only the fields to change."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "618 festival team", "default_currency": "CNY"}]}
    )

    name: Name | MISSING = MISSING
    default_timezone: TimeZoneName | MISSING = Field(
        default=MISSING, description="IANA zone used by new campaigns", examples=["Asia/Shanghai"]
    )
    default_currency: CurrencyCode | MISSING = Field(default=MISSING, examples=["CNY"])
    language: Language | MISSING = Field(
        default=MISSING,
        description="Headers of exports and labels of pages: `zh-CN` or `en`",
        examples=["en"],
    )


class MemberCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Li Na",
                    "email": "li.na@example.com",
                    "department": "Marketing",
                    "title": "Department head",
                }
            ]
        }
    )

    name: Name = Field(examples=["Li Na"])
    email: Email = Field(examples=["li.na@example.com"])
    department: ShortText | None = Field(default=None, examples=["Marketing"])
    title: ShortText | None = Field(default=None, examples=["Department head"])


class MemberUpdate(RequestModel):
    """Send only the fields to change; `null` clears department or title."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"title": "Director", "department": None}]}
    )

    name: Name | MISSING = MISSING
    email: Email | MISSING = MISSING
    department: ShortText | MISSING | None = MISSING
    title: ShortText | MISSING | None = MISSING


class MemberOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": _MEMBER_ID,
                    "name": "Li Na",
                    "email": "li.na@example.com",
                    "department": "Marketing",
                    "title": "Department head",
                    "created_at": _NOW,
                    "updated_at": _NOW,
                    "version": 1,
                }
            ]
        }
    )

    id: uuid.UUID
    name: str
    email: str
    department: str | None
    title: str | None
    created_at: datetime
    updated_at: datetime
    version: int


class ApiKeyCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "Planning frontend", "role": "editor"},
                {"name": "Li Na's approvals", "role": "approver", "member_id": _MEMBER_ID},
            ]
        }
    )

    name: Name = Field(examples=["Planning frontend"])
    role: Role = Field(examples=["editor"])
    member_id: uuid.UUID | None = Field(
        default=None, description="Bind the key to a member: approvals are recorded against them."
    )
    expires_at: Instant | None = Field(
        default=None, description="When the key stops working; with a UTC offset, in the future."
    )


_KEY_EXAMPLE: dict[str, JsonValue] = {
    "id": _KEY_ID,
    "name": "Planning frontend",
    "prefix": "43e9b4628d",
    "role": "editor",
    "member_id": None,
    "created_at": _NOW,
    "expires_at": None,
    "last_used_at": _NOW,
    "revoked_at": None,
    "version": 1,
}


class ApiKeyOut(ResponseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_KEY_EXAMPLE]})

    id: uuid.UUID
    name: str
    prefix: str = Field(description="First characters of the key, to recognise it in lists.")
    role: Role
    member_id: uuid.UUID | None
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    version: int


class ApiKeyCreated(ApiKeyOut):
    model_config = ConfigDict(
        json_schema_extra={"examples": [_KEY_EXAMPLE | {"key": "cok_43e9b4628d_XPQh7BI1..."}]}
    )

    key: str = Field(description="The secret key. Shown once: only its hash is stored.")
