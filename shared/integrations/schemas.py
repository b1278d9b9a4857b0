import uuid
from datetime import datetime
from typing import Annotated

from pydantic import MISSING, ConfigDict, Field, JsonValue, computed_field

from shared.integrations.models import IntegrationKind, IntegrationStatus
from shared.schemas import Name, RequestModel, ResponseModel

_EXAMPLE: dict[str, JsonValue] = {
    "id": "01a2010c-c015-761b-9bc5-6ac427b850dc",
    "name": "Feed ads platform",
    "kind": "ad_platform",
    "status": "active",
    "secret_rotated_at": None,
    "previous_expires_at": None,
    "ingest_url": "/v1/ingest/01a2010c-c015-761b-9bc5-6ac427b850dc",
    "created_at": "2024-04-18T08:00:00Z",
    "updated_at": "2024-04-18T08:00:00Z",
    "version": 1,
}


class IntegrationCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "Feed ads platform", "kind": "ad_platform"}]}
    )

    name: Name
    kind: IntegrationKind


class IntegrationUpdate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "disabled"}]})

    name: Name | MISSING = MISSING
    status: IntegrationStatus | MISSING = MISSING


class IntegrationSecretRotation(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"overlap_minutes": 1440}]})

    overlap_minutes: Annotated[int, Field(ge=0, le=60 * 24 * 7, strict=True)] = Field(
        default=1440, description="How long the previous secret keeps verifying"
    )


class IntegrationOut(ResponseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    id: uuid.UUID
    name: str
    kind: IntegrationKind
    status: IntegrationStatus
    secret_rotated_at: datetime | None
    previous_expires_at: datetime | None = Field(
        description="Until when the previous secret still verifies"
    )
    created_at: datetime
    updated_at: datetime
    version: int

    @computed_field(description="Where it posts its signed batches")  # type: ignore[prop-decorator]
    @property
    def ingest_url(self) -> str:
        return f"/v1/ingest/{self.id}"


class IntegrationWithSecret(IntegrationOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [_EXAMPLE | {"secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}]
        }
    )

    secret: str = Field(description="Standard Webhooks signing secret. Shown only now.")
