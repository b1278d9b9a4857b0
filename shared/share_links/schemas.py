"""Share links as they are asked for and shown."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field, JsonValue, StringConstraints

from shared.schemas import RequestModel, ResponseModel
from shared.share_links.models import ShareLink
from shared.share_links.service import DEFAULT_LIFETIME, MAX_LIFETIME, MIN_LIFETIME

HOUR = 3600
MIN_HOURS = int(MIN_LIFETIME.total_seconds()) // HOUR
MAX_HOURS = int(MAX_LIFETIME.total_seconds()) // HOUR
DEFAULT_HOURS = int(DEFAULT_LIFETIME.total_seconds()) // HOUR

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

_LINK_ID = "01a2010c-7e11-7a3b-9c4d-5e6f7a8b9c0d"
_CAMPAIGN = "01a2010c-aaaa-7bbb-8ccc-dddddddddddd"
_MEMBER = "01a2010c-5c6a-726e-a76a-f95b25ae53ba"
_KEY = "01a2010c-1111-7222-8333-444455556666"
_SAMPLE = "cos_5f1c2e9a0b_Hq3v0fS2mB8xkRzT1pWc9YdLnA4eJ7uG6iQoK5rVb0s"
_BASE = "http://localhost:8000/pages/s/" + _SAMPLE

_LINK_EXAMPLE: dict[str, JsonValue] = {
    "id": _LINK_ID,
    "campaign_id": _CAMPAIGN,
    "prefix": "5f1c2e9a0b",
    "label": "Weekly review with management",
    "created_at": "2024-06-10T09:00:00Z",
    "expires_at": "2024-06-17T09:00:00Z",
    "created_by_api_key_id": _KEY,
    "created_by_member_id": _MEMBER,
    "revoked_at": None,
    "last_used_at": "2024-06-10T09:12:00Z",
    "active": True,
    "version": 1,
}


class ShareLinkCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"label": "Weekly review with management", "expires_in_hours": 168}]
        }
    )

    label: Label | None = Field(
        default=None,
        description="Whom or what the link is for, to recognise it in the list (1-200 characters)",
        examples=["Weekly review with management"],
    )
    expires_in_hours: int = Field(
        default=DEFAULT_HOURS,
        ge=MIN_HOURS,
        le=MAX_HOURS,
        strict=True,
        description=f"How long the link opens the pages: {MIN_HOURS} hour to {MAX_HOURS // 24} "
        f"days ({MAX_HOURS} hours); default {DEFAULT_HOURS // 24} days",
        examples=[168],
    )


class ShareLinkOut(ResponseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_LINK_EXAMPLE]})

    id: uuid.UUID
    campaign_id: uuid.UUID
    prefix: str = Field(description="The token's first characters, to recognise it")
    label: str | None
    created_at: datetime
    expires_at: datetime
    created_by_api_key_id: uuid.UUID | None = Field(
        description="Null for a link a weekly report carries"
    )
    created_by_member_id: uuid.UUID | None
    revoked_at: datetime | None
    last_used_at: datetime | None = Field(description="When a page was last opened with it")
    active: bool = Field(description="Neither revoked nor expired")
    version: int

    @classmethod
    def of(cls, link: ShareLink, now: datetime) -> "ShareLinkOut":
        return cls.model_validate(
            {
                **{c: getattr(link, c) for c in cls.model_fields if c != "active"},
                "active": link.is_active(now),
            }
        )


class ShareLinkCreated(ShareLinkOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _LINK_EXAMPLE
                | {
                    "token": _SAMPLE,
                    "urls": {
                        page: f"{_BASE}/{page}"
                        for page in (
                            "report",
                            "evaluation",
                            "proposal",
                            "settlement",
                            "retrospective",
                        )
                    },
                }
            ]
        }
    )

    token: str = Field(description="The secret token. Shown once: only its hash is stored.")
    urls: dict[str, str] = Field(
        description="Each page under PUBLIC_BASE_URL; no API key needed while the link is active"
    )
