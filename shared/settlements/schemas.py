"""The settlement as it is asked for and shown; the statement models are also the stored
document of a settled record (`settlement_records.statement`), so a record reads back
exactly as it was settled."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, JsonValue, StringConstraints

from shared.actor import Role
from shared.campaigns.models import BudgetCategory
from shared.schemas import RequestModel, ResponseModel
from shared.settlements.models import SettlementStatus
from shared.settlements.statement import DEFAULT_THRESHOLD_PERCENT

Sentence = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]

_CAMPAIGN = "01a2010c-aaaa-7bbb-8ccc-dddddddddddd"
_MEMBER = "01a2010c-5c6a-726e-a76a-f95b25ae53ba"
_FINANCE = "01a2010c-5c6a-726e-a76a-f95b25ae53bc"
_NOW = "2024-07-20T10:00:00Z"


# --- the policy -----------------------------------------------------------------------------------


class SettlementPolicyIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"threshold_percent": "10", "finance_role": "approver", "management_role": "admin"}
            ]
        }
    )

    threshold_percent: Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)] = (
        Field(
            default=DEFAULT_THRESHOLD_PERCENT,
            description="A line whose |variance %| is above this needs an explanation (default 5)",
        )
    )
    finance_role: Role = Field(
        default=Role.approver,
        description="The role finance needs to verify, settle and reopen (default approver)",
    )
    management_role: Role = Field(
        default=Role.admin, description="The role management needs to sign off (default admin)"
    )


class SettlementPolicyOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "threshold_percent": "5.00",
                    "finance_role": "approver",
                    "management_role": "admin",
                    "is_default": True,
                }
            ]
        }
    )

    threshold_percent: Decimal
    finance_role: Role
    management_role: Role
    is_default: bool = Field(description="True while the workspace has not set its own")


# --- the statement --------------------------------------------------------------------------------


class ExplanationOut(ResponseModel):
    text: str
    written_by_member_id: uuid.UUID | None
    written_at: datetime


class SettlementLineOut(ResponseModel):
    key: str = Field(
        description="The line's key: a budget category (`promotion_media`), a channel "
        "(`channel:social_feed`) or `no_channel`; PUT its explanation at "
        ".../settlement/lines/{key}/explanation"
    )
    dimension: Literal["category", "channel"]
    category: BudgetCategory | None
    channel_key: str | None
    baseline_planned: Decimal | None = Field(
        description="Planned in the approved baseline (plan version 1); null before approval"
    )
    planned: Decimal = Field(description="Planned in the current plan")
    plan_change: Decimal | None = Field(
        description="planned - baseline_planned: what approved change requests moved"
    )
    actual: Decimal = Field(description="The expenses recorded")
    variance: Decimal = Field(description="actual - planned (current plan)")
    variance_percent: Decimal | None = Field(
        description="variance / planned x 100; null when nothing was planned (see variance_note)"
    )
    variance_note: str | None
    needs_explanation: bool = Field(
        description="|variance %| above the policy's threshold, or spending where nothing "
        "was planned"
    )
    explanation_missing: bool
    explanation: ExplanationOut | None


class SettlementTotalsOut(ResponseModel):
    baseline_planned: Decimal | None
    planned: Decimal
    actual: Decimal
    variance: Decimal
    variance_percent: Decimal | None


class SettlementStatementOut(ResponseModel):
    currency: str
    threshold_percent: Decimal
    categories: list[SettlementLineOut]
    channels: list[SettlementLineOut] = Field(
        description="Per channel, and `no_channel` for money naming none"
    )
    totals: SettlementTotalsOut


_LINE: dict[str, JsonValue] = {
    "key": "promotion_media",
    "dimension": "category",
    "category": "promotion_media",
    "channel_key": None,
    "baseline_planned": "550000.00",
    "planned": "550000.00",
    "plan_change": "0.00",
    "actual": "598000.00",
    "variance": "48000.00",
    "variance_percent": "8.73",
    "variance_note": None,
    "needs_explanation": True,
    "explanation_missing": False,
    "explanation": {
        "text": "加投信息流广告 (extra feed ads in the last week, agreed at the mid-term review)",
        "written_by_member_id": _MEMBER,
        "written_at": _NOW,
    },
}
_CHANNEL_LINE: dict[str, JsonValue] = {
    "key": "channel:social_feed",
    "dimension": "channel",
    "category": None,
    "channel_key": "social_feed",
    "baseline_planned": "250000.00",
    "planned": "300000.00",
    "plan_change": "50000.00",
    "actual": "301000.00",
    "variance": "1000.00",
    "variance_percent": "0.33",
    "variance_note": None,
    "needs_explanation": False,
    "explanation_missing": False,
    "explanation": None,
}
_TOTALS: dict[str, JsonValue] = {
    "baseline_planned": "1000000.00",
    "planned": "1000000.00",
    "actual": "1012000.00",
    "variance": "12000.00",
    "variance_percent": "1.20",
}


# --- records and the settlement -------------------------------------------------------------------


class SettlementRecordSummaryOut(ResponseModel):
    number: int = Field(description="1, 2... per campaign: each settle makes one")
    settled_at: datetime
    settled_by_member_id: uuid.UUID | None
    signed_off_at: datetime | None
    signed_off_by_member_id: uuid.UUID | None
    sign_off_comment: str | None
    reopened_at: datetime | None
    reopened_by_member_id: uuid.UUID | None
    reopen_reason: str | None


_RECORD: dict[str, JsonValue] = {
    "number": 1,
    "settled_at": _NOW,
    "settled_by_member_id": _FINANCE,
    "signed_off_at": None,
    "signed_off_by_member_id": None,
    "sign_off_comment": None,
    "reopened_at": None,
    "reopened_by_member_id": None,
    "reopen_reason": None,
}


class SettlementRecordOut(SettlementRecordSummaryOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _RECORD
                | {
                    "statement": {
                        "currency": "CNY",
                        "threshold_percent": "5.00",
                        "categories": [_LINE],
                        "channels": [_CHANNEL_LINE],
                        "totals": _TOTALS,
                    }
                }
            ]
        }
    )

    statement: SettlementStatementOut = Field(description="The lines as settled, frozen")


Action = Literal["verify", "settle", "sign_off", "reopen"]


class SettlementOut(SettlementStatementOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "campaign_id": _CAMPAIGN,
                    "status": "settled",
                    "currency": "CNY",
                    "threshold_percent": "5.00",
                    "categories": [_LINE],
                    "channels": [_CHANNEL_LINE],
                    "totals": _TOTALS,
                    "missing_explanations": [],
                    "verified_at": _NOW,
                    "verified_by_member_id": _FINANCE,
                    "record_number": 1,
                    "settled_at": _NOW,
                    "settled_by_member_id": _FINANCE,
                    "signed_off_at": None,
                    "signed_off_by_member_id": None,
                    "sign_off_comment": None,
                    "expenses_settled_at": _NOW,
                    "allowed_actions": ["sign_off", "reopen"],
                    "records": [_RECORD],
                    "version": 3,
                }
            ]
        }
    )

    campaign_id: uuid.UUID
    status: SettlementStatus = Field(description="open, verified, settled or signed_off")
    missing_explanations: list[str] = Field(
        description="Keys of the lines that need an explanation and have none"
    )
    verified_at: datetime | None
    verified_by_member_id: uuid.UUID | None
    record_number: int | None = Field(
        description="The current settlement record (null while open or verified)"
    )
    settled_at: datetime | None
    settled_by_member_id: uuid.UUID | None
    signed_off_at: datetime | None
    signed_off_by_member_id: uuid.UUID | None
    sign_off_comment: str | None
    expenses_settled_at: datetime | None = Field(
        description="Set while settled: the campaign's expenses are frozen (409 `expenses_settled`)"
    )
    allowed_actions: list[Action] = Field(description="What the workflow allows now")
    records: list[SettlementRecordSummaryOut] = Field(
        description="Every settlement made, oldest first (reopened ones included)"
    )
    version: int


class ExplanationIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"text": "加投信息流广告: extra feed ads agreed at the mid-term review"}]
        }
    )

    text: Sentence = Field(description="Why the line ran over or under its plan")


class SignOffIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"comment": "同意结算 (agreed, filed with the archive)"}]}
    )

    comment: Sentence


class ReopenIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "A late invoice for the pop-up store rent"}]}
    )

    reason: Sentence = Field(description="Why the settled account needs a correction")


# --- attachments ----------------------------------------------------------------------------------


class AttachmentOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "01a2010f-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
                    "campaign_id": _CAMPAIGN,
                    "expense_id": "01a2010c-c015-761b-9bc5-6ac427b850dc",
                    "filename": "发票-2024-0610.pdf",
                    "media_type": "application/pdf",
                    "size_bytes": 183211,
                    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    "uploaded_by_member_id": _FINANCE,
                    "created_at": _NOW,
                    "version": 1,
                }
            ]
        }
    )

    id: uuid.UUID
    campaign_id: uuid.UUID
    expense_id: uuid.UUID
    filename: str
    media_type: str
    size_bytes: int
    sha256: str = Field(description="SHA-256 of the bytes, hex; downloads are checked against it")
    uploaded_by_member_id: uuid.UUID | None
    created_at: datetime
    version: int


def as_document(statement: SettlementStatementOut) -> dict[str, Any]:
    return statement.model_dump(mode="json")
