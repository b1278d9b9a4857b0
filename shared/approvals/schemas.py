import uuid
from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from shared.approvals.models import Decision, RoundStatus
from shared.schemas import DocumentedAs, LongText, RequestModel, ResponseModel

StepName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ApprovalStepIn(RequestModel):
    name: StepName = Field(examples=["Department head"])
    approver_title: Title | None = Field(
        default=None,
        description="Members with this title (case-insensitive) may decide this step",
        examples=["Department head"],
    )
    approver_member_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=50, description="These members may decide this step"
    )


class ApprovalChainIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "steps": [
                        {"name": "Department head", "approver_title": "Department head"},
                        {"name": "Management", "approver_title": "Management"},
                    ]
                }
            ]
        }
    )

    steps: list[ApprovalStepIn] = Field(min_length=1, max_length=10)


class ApprovalStepOut(ResponseModel):
    position: int
    name: str
    approver_title: str | None
    approver_member_ids: list[uuid.UUID]


class ApprovalChainOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "is_default": True,
                    "steps": [
                        {
                            "position": 0,
                            "name": "Department head",
                            "approver_title": "Department head",
                            "approver_member_ids": [],
                        },
                        {
                            "position": 1,
                            "name": "Management",
                            "approver_title": "Management",
                            "approver_member_ids": [],
                        },
                    ],
                }
            ]
        }
    )

    is_default: bool = Field(description="True until an admin sets the workspace's own chain")
    steps: list[ApprovalStepOut]


class DecisionIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"decision": "approve", "comment": "Budget split is sound."},
                {"decision": "reject", "comment": "Contingency too thin for a 618 push."},
            ]
        }
    )

    decision: Decision
    comment: LongText | None = Field(default=None, description="Required to reject")


class DecisionOut(ResponseModel):
    step_index: int
    step_name: str
    decision: Decision
    comment: str | None
    member_id: uuid.UUID
    api_key_id: uuid.UUID | None
    created_at: datetime


class RoundStepOut(ResponseModel):
    """A step of the chain as the round froze it when the campaign was submitted."""

    name: str
    approver_title: str | None = Field(description="Who decides: members with this title")
    approver_member_ids: list[uuid.UUID] = Field(description="Or these members")


class RoundOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "number": 1,
                    "status": "approved",
                    "steps": [
                        {
                            "name": "Department head",
                            "approver_title": "Department head",
                            "approver_member_ids": [],
                        }
                    ],
                    "current_step": 1,
                    "submitted_by_member_id": None,
                    "created_at": "2024-04-20T09:00:00Z",
                    "closed_at": "2024-04-22T15:30:00Z",
                    "decisions": [],
                }
            ]
        }
    )

    number: int
    status: RoundStatus
    steps: Annotated[list[dict[str, object]], DocumentedAs(list[RoundStepOut])]
    current_step: int
    submitted_by_member_id: uuid.UUID | None
    created_at: datetime
    closed_at: datetime | None
    decisions: list[DecisionOut]
