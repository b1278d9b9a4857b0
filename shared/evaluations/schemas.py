"""The evaluation as it is shown and stored: the document models are also the frozen JSON
of a finalised version (`evaluation_versions.document`), so a version reads back exactly as
it was finalised."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import MISSING, ConfigDict, Field, StringConstraints

from shared.allocations.summary import SpendSource
from shared.campaigns.models import CampaignStatus, Direction, GoalType, TargetKind
from shared.evaluations.models import CauseCategory, Dimension, EvaluationGoalAnalysis
from shared.evaluations.rules import MIN_CLICKS, MIN_CONVERSIONS, Outcome
from shared.schemas import RequestModel, ResponseModel

AnalysisText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]
MetricKey = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]

_CAMPAIGN = "01a2010c-aaaa-7bbb-8ccc-dddddddddddd"
_GOAL = "01a2010c-c017-7a40-9e1d-3c5b7d9f1a20"
_MEMBER = "01a2010c-5c6a-726e-a76a-f95b25ae53ba"
_KEY = "01a2010c-1111-7222-8333-444444444444"

POINTS_COUNTED = (
    "`hourly_points` counts rows of the hourly figures (`metric_points`: one per metric, "
    "channel and UTC hour, however many pushes went into it) of the metric's inputs (a "
    "derived metric such as ROI: revenue and spend); `channel_days` counts their daily "
    "rollups (one per metric, channel and local day)."
)
RANKING = (
    "Channels with a sufficient sample first, then those flagged `insufficient_sample`; in "
    "each group by ROI, highest first (no ROI last), then revenue, then key. A channel's "
    f"sample is insufficient with fewer than {MIN_CONVERSIONS} conversions, or, when it "
    f"reports clicks, fewer than {MIN_CLICKS} clicks."
)


# --- asking ---------------------------------------------------------------------------------


class GoalAnalysisIn(RequestModel):
    """Send only the fields to change; `null` clears one."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "cause_category": "execution",
                    "analysis": "Feed-ad creative was weak for the first week (CTR 1.2% "
                    "against 1.5%); the new key visual came late.",
                    "improvement_proposal": "Test two key visuals before the burst phase.",
                },
                {"cause_category": "external", "analysis": "618 大促期间竞品同步降价。"},
            ]
        }
    )

    cause_category: CauseCategory | MISSING | None = Field(
        default=MISSING, description="`strategy`, `execution` or `external`"
    )
    analysis: AnalysisText | MISSING | None = Field(
        default=MISSING, description="The analysis of the deviation, up to 10,000 characters"
    )
    improvement_proposal: AnalysisText | MISSING | None = Field(
        default=MISSING, description="What to do differently next time, up to 10,000 characters"
    )


class DimensionMetricIn(RequestModel):
    metric_key: MetricKey = Field(description="A key of the metric dictionary")
    dimension: Dimension = Field(description="`roi`, `user_value` or `brand_impact`")


class DimensionMappingIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "metrics": [
                        {"metric_key": "visitors", "dimension": "brand_impact"},
                        {"metric_key": "aov", "dimension": "user_value"},
                    ]
                }
            ]
        }
    )

    metrics: list[DimensionMetricIn] = Field(
        max_length=100,
        description="The whole mapping (it replaces the previous one); each metric once",
    )


# --- the document ---------------------------------------------------------------------------


class GoalAnalysisOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "goal_id": _GOAL,
                    "cause_category": "execution",
                    "analysis": "Feed-ad creative was weak for the first week.",
                    "improvement_proposal": "Test two key visuals before the burst phase.",
                    "version": 2,
                    "edited_at": "2024-07-20T10:00:00Z",
                    "edited_by_member_id": _MEMBER,
                }
            ]
        }
    )

    goal_id: uuid.UUID
    cause_category: CauseCategory | None
    analysis: str | None
    improvement_proposal: str | None
    version: int = Field(
        description="The analysis's version (its ETag); 0 while nothing was written"
    )
    edited_at: datetime | None
    edited_by_member_id: uuid.UUID | None

    @classmethod
    def of(cls, goal_id: uuid.UUID, row: EvaluationGoalAnalysis | None) -> "GoalAnalysisOut":
        if row is None:
            return cls(
                goal_id=goal_id,
                cause_category=None,
                analysis=None,
                improvement_proposal=None,
                version=0,
                edited_at=None,
                edited_by_member_id=None,
            )
        return cls(
            goal_id=goal_id,
            cause_category=row.cause_category,
            analysis=row.analysis,
            improvement_proposal=row.improvement_proposal,
            version=row.version,
            edited_at=row.edited_at,
            edited_by_member_id=row.edited_by_member_id,
        )


class DataSourceOut(ResponseModel):
    metric_key: str
    inputs: list[str] = Field(description="The pushed metrics it is computed from")
    channels: list[str] = Field(description="Channels that sent figures for the inputs")
    hourly_points: int = Field(description=POINTS_COUNTED)
    channel_days: int = Field(description="Daily rollups behind the figure (see hourly_points)")
    last_period_at: datetime | None = Field(
        description="Start of the latest hour (UTC) with a figure"
    )
    last_received_at: datetime | None = Field(
        description="When the latest figure was written; null once its hourly points are "
        "past their retention (HOURLY_POINTS_RETENTION_DAYS)"
    )
    late_data_open: bool = Field(
        description="Figures may still arrive: the campaign is not completed, or completed "
        "less than the late-data window (30 days) ago"
    )


class EvaluationGoalOut(ResponseModel):
    goal_id: uuid.UUID
    goal_type: GoalType
    metric_key: str
    metric_name: str
    strategy: str | None
    target_kind: TargetKind
    direction: Direction
    baseline_value: Decimal | None = Field(description="Relative-lift goals: the value lifted")
    approved_target_value: Decimal | None = Field(
        description="The target in the approved plan (plan version 1); null for a goal a "
        "change request added"
    )
    target_value: Decimal | None = Field(
        description="The target in the current plan, after approved change requests"
    )
    actual: Decimal | None = Field(description="The campaign's figure, all channels")
    lift_percent: Decimal | None = Field(
        description="Relative-lift goals: the actual's lift over the baseline, in %"
    )
    achievement_rate: Decimal | None = Field(
        description="% of the current target reached: actual / target x 100; on the lift "
        "for relative-lift goals (+45% on +30% is 150); target / actual for lower-is-better"
    )
    approved_achievement_rate: Decimal | None = Field(
        description="The same against the approved plan's target"
    )
    outcome: Outcome = Field(description="`met` (rate >= 100), `missed`, or `unmeasured` (no rate)")
    data_source: DataSourceOut
    analysis: GoalAnalysisOut


class GoalTypeOut(ResponseModel):
    goal_type: GoalType
    goal_ids: list[uuid.UUID]
    met: int
    missed: int
    unmeasured: int


class MappedMetricOut(ResponseModel):
    metric_key: str
    name: str
    unit: str
    value: Decimal | None = Field(description="The campaign's figure, all channels")


class RoiOut(ResponseModel):
    spend_source: Literal["expenses", "pushed"] = Field(
        description="`expenses`: the money recorded (finance's figures); `pushed`: the "
        "`spend` the channels' integrations pushed"
    )
    spend: Decimal | None
    roi: Decimal | None = Field(
        description="revenue / spend (the dictionary's `roi`); null when spend is 0 or missing"
    )
    roi_display: str | None = Field(description='The manuals\' "1:X"', examples=["1:5.2"])


class RoiDimensionOut(ResponseModel):
    revenue: Decimal | None = Field(description="Pushed revenue, all channels")
    gmv: Decimal | None = Field(description="Pushed GMV, all channels")
    on_expenses: RoiOut
    on_pushed_spend: RoiOut
    mapped: list[MappedMetricOut]


class UserValueOut(ResponseModel):
    spend_source: SpendSource = Field(
        description="The spend the costs divide: `expenses` when any are recorded, else "
        "`pushed`; `none` when there is neither"
    )
    spend: Decimal | None
    new_users: Decimal | None
    orders: Decimal | None
    cost_per_new_user: Decimal | None = Field(description="spend / new users")
    cost_per_order: Decimal | None = Field(description="spend / orders")
    average_order_value: Decimal | None = Field(description="The dictionary's `aov`")
    mapped: list[MappedMetricOut]


class SearchLiftOut(ResponseModel):
    goal_id: uuid.UUID
    baseline_value: Decimal | None
    actual: Decimal | None
    lift_percent: Decimal | None
    target_lift_percent: Decimal | None
    achievement_rate: Decimal | None


class BrandImpactOut(ResponseModel):
    search_volume: Decimal | None = Field(description="Brand keyword searches, all channels")
    search_volume_lift: SearchLiftOut | None = Field(
        description="Against the baseline of the campaign's relative-lift goal on "
        "`search_volume`, if it has one"
    )
    negative_comments: Decimal | None
    mapped: list[MappedMetricOut]


class DimensionsOut(ResponseModel):
    goal_achievement: list[GoalTypeOut] = Field(description="The goals by goal type")
    roi: RoiDimensionOut
    user_value: UserValueOut
    brand_impact: BrandImpactOut


class GoalShareOut(ResponseModel):
    goal_id: uuid.UUID
    metric_key: str
    value: Decimal | None
    share_percent: Decimal | None = Field(
        description="The channel's part of the campaign total, in %; null for metrics that "
        "do not add up across channels (ratios, maxima) or a zero total"
    )


class ChannelContributionOut(ResponseModel):
    rank: int
    channel: str
    name: str
    spend: Decimal = Field(description="Expenses recorded against it, else its pushed spend")
    spend_source: SpendSource
    expenses: Decimal | None
    pushed_spend: Decimal | None
    revenue: Decimal | None
    roi: Decimal | None
    roi_display: str | None
    cpa: Decimal | None = Field(description="spend / conversions")
    conversion_rate: Decimal | None = Field(description="conversions / clicks")
    clicks: Decimal | None
    conversions: Decimal | None
    hourly_points: int = Field(description="Hourly figures the channel sent, all metrics")
    insufficient_sample: bool
    sample_shortfalls: list[str]
    goal_shares: list[GoalShareOut]


class ChannelsOut(ResponseModel):
    ranking: str = Field(description="How channels are ranked")
    minimum_clicks: int
    minimum_conversions: int
    items: list[ChannelContributionOut]


class LateDataOut(ResponseModel):
    open: bool
    closes_at: datetime | None = Field(description="completed_at + 30 days; null until completed")


class EvaluationDocument(ResponseModel):
    """What is computed, and what a finalised version freezes."""

    campaign_id: uuid.UUID
    campaign_name: str
    registration_number: str | None
    campaign_status: CampaignStatus = Field(description="When computed")
    currency: str
    provisional: bool = Field(
        description="The campaign is still running: every figure may still move"
    )
    plan_version: int | None = Field(description="The plan version the targets come from")
    computed_at: datetime
    late_data: LateDataOut
    goals: list[EvaluationGoalOut]
    dimensions: DimensionsOut
    channels: ChannelsOut


_EXAMPLE: dict[str, Any] = {
    "campaign_id": _CAMPAIGN,
    "campaign_name": "Summer skincare launch 2024",
    "registration_number": "CMP-2024-0007",
    "campaign_status": "completed",
    "currency": "CNY",
    "provisional": False,
    "plan_version": 1,
    "computed_at": "2024-07-20T10:00:00Z",
    "late_data": {"open": True, "closes_at": "2024-08-15T12:00:00Z"},
    "goals": [
        {
            "goal_id": _GOAL,
            "goal_type": "sales_conversion",
            "metric_key": "gmv",
            "metric_name": "GMV",
            "strategy": "e-commerce discounts + community referral",
            "target_kind": "absolute",
            "direction": "higher_is_better",
            "baseline_value": None,
            "approved_target_value": "5000000.0000",
            "target_value": "5000000.0000",
            "actual": "6200000.000000",
            "lift_percent": None,
            "achievement_rate": "124.00",
            "approved_achievement_rate": "124.00",
            "outcome": "met",
            "data_source": {
                "metric_key": "gmv",
                "inputs": ["gmv"],
                "channels": ["ecommerce", "social_feed"],
                "hourly_points": 96,
                "channel_days": 48,
                "last_period_at": "2024-07-14T15:00:00Z",
                "last_received_at": "2024-07-15T09:00:00Z",
                "late_data_open": True,
            },
            "analysis": {
                "goal_id": _GOAL,
                "cause_category": "strategy",
                "analysis": "Community referral outperformed the plan.",
                "improvement_proposal": "Start referral a week earlier.",
                "version": 1,
                "edited_at": "2024-07-20T09:00:00Z",
                "edited_by_member_id": _MEMBER,
            },
        }
    ],
    "dimensions": {
        "goal_achievement": [
            {
                "goal_type": "sales_conversion",
                "goal_ids": [_GOAL],
                "met": 1,
                "missed": 0,
                "unmeasured": 0,
            }
        ],
        "roi": {
            "revenue": "1300000.00",
            "gmv": "6200000.00",
            "on_expenses": {
                "spend_source": "expenses",
                "spend": "260000.00",
                "roi": "5.0000",
                "roi_display": "1:5",
            },
            "on_pushed_spend": {
                "spend_source": "pushed",
                "spend": "250000.00",
                "roi": "5.2000",
                "roi_display": "1:5.2",
            },
            "mapped": [],
        },
        "user_value": {
            "spend_source": "expenses",
            "spend": "260000.00",
            "new_users": "180000",
            "orders": "52000",
            "cost_per_new_user": "1.44",
            "cost_per_order": "5.00",
            "average_order_value": "119.23",
            "mapped": [],
        },
        "brand_impact": {
            "search_volume": "14500",
            "search_volume_lift": None,
            "negative_comments": "37",
            "mapped": [],
        },
    },
    "channels": {
        "ranking": RANKING,
        "minimum_clicks": MIN_CLICKS,
        "minimum_conversions": MIN_CONVERSIONS,
        "items": [],
    },
}


class EvaluationOut(EvaluationDocument):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _EXAMPLE
                | {
                    "state": "finalised",
                    "version": 1,
                    "latest_version": 1,
                    "has_unfinalised_changes": False,
                    "finalised_at": "2024-07-20T10:00:00Z",
                    "finalised_by_member_id": _MEMBER,
                    "finalised_by_api_key_id": _KEY,
                }
            ]
        }
    )

    state: Literal["draft", "finalised"] = Field(
        description="`draft`: computed now, with the analyses as they stand; `finalised`: a "
        "frozen version"
    )
    version: int | None = Field(description="The finalised version shown; null for the draft")
    latest_version: int | None = Field(description="The latest finalised version, if any")
    has_unfinalised_changes: bool = Field(
        description="Never finalised, or an analysis was edited since the latest version: "
        "the draft would become the next version"
    )
    finalised_at: datetime | None
    finalised_by_member_id: uuid.UUID | None
    finalised_by_api_key_id: uuid.UUID | None


class EvaluationVersionOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "number": 1,
                    "finalised_at": "2024-07-20T10:00:00Z",
                    "finalised_by_member_id": _MEMBER,
                    "finalised_by_api_key_id": _KEY,
                    "goals_met": 2,
                    "goals_missed": 1,
                    "goals_unmeasured": 0,
                    "created_at": "2024-07-20T10:00:00Z",
                }
            ]
        }
    )

    number: int
    finalised_at: datetime
    finalised_by_member_id: uuid.UUID | None
    finalised_by_api_key_id: uuid.UUID | None
    goals_met: int
    goals_missed: int
    goals_unmeasured: int
    created_at: datetime


class DimensionMetricOut(ResponseModel):
    metric_key: str
    dimension: Dimension
    metric_name: str | None = Field(description="null when the metric left the dictionary")


class DimensionMappingOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "metrics": [
                        {
                            "metric_key": "visitors",
                            "dimension": "brand_impact",
                            "metric_name": "Visitors",
                        }
                    ]
                }
            ]
        }
    )

    metrics: list[DimensionMetricOut]
