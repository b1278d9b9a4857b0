import re
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import MISSING, AfterValidator, EmailStr, Field, StringConstraints

from shared.schemas import Name, RequestModel, ResponseModel, ShortText
from shared.timeutil import is_timezone
from shared.workspaces.models import Role


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


class WorkspaceOut(ResponseModel):
    id: uuid.UUID
    name: str
    slug: str
    default_timezone: str
    default_currency: str
    created_at: datetime
    updated_at: datetime
    version: int


class WorkspaceUpdate(RequestModel):
    """Send only the fields to change."""

    name: Name | MISSING = MISSING
    default_timezone: TimeZoneName | MISSING = Field(
        default=MISSING, description="IANA zone used by new campaigns", examples=["Asia/Shanghai"]
    )
    default_currency: CurrencyCode | MISSING = Field(default=MISSING, examples=["CNY"])


class MemberCreate(RequestModel):
    name: Name = Field(examples=["Li Na"])
    email: Email = Field(examples=["li.na@example.com"])
    department: ShortText | None = Field(default=None, examples=["Marketing"])
    title: ShortText | None = Field(default=None, examples=["Department head"])


class MemberUpdate(RequestModel):
    """Send only the fields to change; `null` clears department or title."""

    name: Name | MISSING = MISSING
    email: Email | MISSING = MISSING
    department: ShortText | MISSING | None = MISSING
    title: ShortText | MISSING | None = MISSING


class MemberOut(ResponseModel):
    id: uuid.UUID
    name: str
    email: str
    department: str | None
    title: str | None
    created_at: datetime
    updated_at: datetime
    version: int


class ApiKeyCreate(RequestModel):
    name: Name = Field(examples=["Planning frontend"])
    role: Role = Field(examples=["editor"])
    member_id: uuid.UUID | None = Field(
        default=None, description="Bind the key to a member: approvals are recorded against them."
    )
    expires_at: datetime | None = Field(default=None, description="Timezone-aware; in the future.")


class ApiKeyOut(ResponseModel):
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
    key: str = Field(description="The secret key. Shown once: only its hash is stored.")
