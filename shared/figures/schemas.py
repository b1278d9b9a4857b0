"""Channels, series and goal progress, as the API shows them (the daily report: shared/reports)."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from shared.schemas import Name, RequestModel, ResponseModel

ChannelKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


class ChannelCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"key": "social_feed", "name": "Social feed"}]}
    )

    key: ChannelKey
    name: Name
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None


class ChannelOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "01a2010c-c015-761b-9bc5-6ac427b850de",
                    "key": "social_feed",
                    "name": "Social feed",
                    "description": None,
                    "created_at": "2024-04-18T08:00:00Z",
                    "version": 1,
                }
            ]
        }
    )

    id: uuid.UUID
    key: str
    name: str
    description: str | None
    created_at: datetime
    version: int


class CampaignChannelsIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"channel_keys": ["social_feed", "offline_store"]}]}
    )

    channel_keys: list[ChannelKey] = Field(max_length=50)


class SeriesPointOut(ResponseModel):
    period: datetime = Field(description="Start of the hour (UTC) or of the local day/week/month")
    value: Decimal | None = Field(description="null when it cannot be computed (x / 0)")


class SeriesOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "metric": "ctr",
                    "granularity": "day",
                    "total": [{"period": "2024-06-09T16:00:00Z", "value": "0.021"}],
                    "channels": {
                        "social_feed": [{"period": "2024-06-09T16:00:00Z", "value": "0.021"}]
                    },
                }
            ]
        }
    )

    metric: str
    granularity: str
    total: list[SeriesPointOut]
    channels: dict[str, list[SeriesPointOut]]


class GoalProgressOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "goal_id": "01a2010c-c015-761b-9bc5-6ac427b850dc",
                    "metric_key": "new_users",
                    "target_kind": "absolute",
                    "target_value": "200000.0000",
                    "baseline_value": None,
                    "actual": "180000",
                    "lift_percent": None,
                    "achievement_rate": "90.00",
                    "expected_to_date": "200000.00",
                    "due_date": "2024-06-30",
                    "approved_target_value": "180000.0000",
                    "approved_due_date": "2024-06-30",
                }
            ]
        }
    )

    goal_id: uuid.UUID
    metric_key: str
    target_kind: str
    target_value: Decimal | None
    baseline_value: Decimal | None
    actual: Decimal | None
    lift_percent: Decimal | None
    achievement_rate: Decimal | None = Field(description="% of target; 100 = reached")
    expected_to_date: Decimal | None = Field(description="Cumulative goals: target x days gone")
    due_date: date | None = Field(default=None, description="The goal's due date now")
    approved_target_value: Decimal | None = Field(
        default=None,
        description="The target in the approved baseline (plan version 1), beside "
        "`target_value` as change requests left it; null for a goal added by a change "
        "request, or before approval",
    )
    approved_due_date: date | None = Field(
        default=None, description="The due date in the approved baseline (plan version 1)"
    )
