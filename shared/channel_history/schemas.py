"""The channel history as the API shows it, alone and beside a campaign's budget lines."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import MISSING, ConfigDict, Field

from shared.allocations import schemas as allocations
from shared.allocations.summary import ChannelBudget
from shared.campaigns.models import CampaignKind
from shared.channel_history.rules import MAX_MONTHS, MIN_MONTHS, Spread
from shared.channel_history.service import ChannelHistory, History
from shared.evaluations.rules import MIN_CLICKS, MIN_CONVERSIONS, roi_display
from shared.evaluations.schemas import RANKING
from shared.schemas import ResponseModel


class SpreadOut(ResponseModel):
    campaigns: int = Field(description="Campaigns where the figure is defined")
    min: Decimal | None
    p25: Decimal | None = Field(description="25th percentile, interpolated")
    median: Decimal | None
    p75: Decimal | None = Field(description="75th percentile, interpolated")
    max: Decimal | None

    @classmethod
    def of(cls, spread: Spread) -> "SpreadOut":
        return cls(
            campaigns=spread.campaigns,
            min=spread.minimum,
            p25=spread.p25,
            median=spread.median,
            p75=spread.p75,
            max=spread.maximum,
        )


class SpreadsOut(ResponseModel):
    roi: SpreadOut = Field(description="Per-campaign ROI, 4 decimals")
    cpa: SpreadOut = Field(description="Per-campaign cost per conversion, to the cent")
    conversion_rate: SpreadOut = Field(description="Per-campaign conversion rate, 4 decimals")


class SpendSourcesOut(ResponseModel):
    expenses: int = Field(description="Campaigns whose spend is the expenses recorded")
    pushed: int = Field(description="Campaigns without expenses on it: their pushed spend")
    none: int = Field(description="Campaigns with neither (revenue or counts only)")


class ChannelHistoryItemOut(ResponseModel):
    kind: CampaignKind = Field(description="The campaigns' kind")
    channel: str = Field(description="The channel's key")
    name: str
    currency: str = Field(description="Campaigns in other currencies are other items")
    rank: int = Field(
        description="Its place among the kind's channels in this currency, whatever the "
        "channel filter (see `ranking`)"
    )
    campaigns: int = Field(description="Campaigns with expenses or figures on the channel")
    spend: Decimal = Field(
        description="Each campaign's spend added up: its expenses recorded against the "
        "channel when there are any, otherwise its pushed spend"
    )
    spend_sources: SpendSourcesOut = Field(description="Where each campaign's spend came from")
    expenses: Decimal | None = Field(description="Expenses recorded; null when none")
    pushed_spend: Decimal | None = Field(description="Pushed spend; null when none pushed")
    revenue: Decimal | None = Field(description="Pushed revenue; null when none pushed")
    roi: Decimal | None = Field(
        description="The dictionary's `roi` (revenue / spend) on the added-up revenue and "
        "spend of the campaigns where it is defined (`spread.roi.campaigns`), 4 decimals; "
        "null when none is"
    )
    roi_display: str | None = Field(description="The manuals' `1:X`")
    cpa: Decimal | None = Field(
        description="spend / conversions, added up over the campaigns with both"
    )
    conversion_rate: Decimal | None = Field(
        description="The dictionary's `conversion_rate` (conversions / clicks) on the added-up "
        "figures of the campaigns that have it, 4 decimals"
    )
    clicks: Decimal | None = Field(description="Sample size: clicks, all campaigns")
    conversions: Decimal | None = Field(description="Sample size: conversions, all campaigns")
    insufficient_sample: bool = Field(
        description="Thin evidence: the evaluation's rule on the added-up clicks and conversions"
    )
    sample_shortfalls: list[str]
    spread: SpreadsOut = Field(description="How the campaigns differ")

    @classmethod
    def of(cls, item: ChannelHistory) -> "ChannelHistoryItemOut":
        f = item.figures
        return cls(
            kind=item.kind,
            channel=item.channel,
            name=item.name,
            currency=item.currency,
            rank=item.rank,
            campaigns=f.campaigns,
            spend=f.spend,
            spend_sources=SpendSourcesOut(
                expenses=f.spend_sources["expenses"],
                pushed=f.spend_sources["pushed"],
                none=f.spend_sources["none"],
            ),
            expenses=f.expenses,
            pushed_spend=f.pushed_spend,
            revenue=f.revenue,
            roi=f.roi,
            roi_display=roi_display(f.roi),
            cpa=f.cpa,
            conversion_rate=f.conversion_rate,
            clicks=f.clicks,
            conversions=f.conversions,
            insufficient_sample=f.insufficient_sample,
            sample_shortfalls=f.sample_shortfalls,
            spread=SpreadsOut(
                roi=SpreadOut.of(f.roi_spread),
                cpa=SpreadOut.of(f.cpa_spread),
                conversion_rate=SpreadOut.of(f.conversion_rate_spread),
            ),
        )


class HistoryWindowOut(ResponseModel):
    months: int = Field(ge=MIN_MONTHS, le=MAX_MONTHS)
    since: datetime = Field(description="The same day and time `months` months before `until`")
    until: datetime = Field(description="When it was read")
    include_active: bool = Field(description="Running campaigns counted too")

    @classmethod
    def of(cls, history: History) -> "HistoryWindowOut":
        span = history.window
        return cls(
            months=span.months,
            since=span.since,
            until=span.until,
            include_active=span.include_active,
        )


_SPREAD: dict[str, Any] = {"campaigns": 2, "min": "4.0000", "p25": "4.3000", "median": "4.6000"}
_SOCIAL: dict[str, Any] = {
    "kind": "new_product_launch",
    "channel": "social_feed",
    "name": "Social feed",
    "currency": "CNY",
    "rank": 1,
    "campaigns": 2,
    "spend": "150000.00",
    "spend_sources": {"expenses": 1, "pushed": 1, "none": 0},
    "expenses": "100000.00",
    "pushed_spend": "50000.00",
    "revenue": "700000.00",
    "roi": "4.6667",
    "roi_display": "1:4.67",
    "cpa": "30.00",
    "conversion_rate": "0.0500",
    "clicks": "100000.000000",
    "conversions": "5000.000000",
    "insufficient_sample": False,
    "sample_shortfalls": [],
    "spread": {
        "roi": _SPREAD | {"p75": "4.9000", "max": "5.2000"},
        "cpa": {
            "campaigns": 2,
            "min": "25.00",
            "p25": "27.50",
            "median": "30.00",
            "p75": "32.50",
            "max": "35.00",
        },
        "conversion_rate": {
            "campaigns": 2,
            "min": "0.0400",
            "p25": "0.0450",
            "median": "0.0500",
            "p75": "0.0550",
            "max": "0.0600",
        },
    },
}
_WINDOW: dict[str, Any] = {
    "months": 12,
    "since": "2023-12-02T09:00:00Z",
    "until": "2024-12-02T09:00:00Z",
    "include_active": False,
}


class ChannelHistoryOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "window": _WINDOW,
                    "ranking": RANKING,
                    "minimum_clicks": MIN_CLICKS,
                    "minimum_conversions": MIN_CONVERSIONS,
                    "campaigns": 2,
                    "items": [_SOCIAL],
                }
            ]
        }
    )

    window: HistoryWindowOut
    ranking: str = Field(description="How channels are ranked within a kind")
    minimum_clicks: int
    minimum_conversions: int
    campaigns: int = Field(description="Campaigns behind the items shown")
    items: list[ChannelHistoryItemOut] = Field(
        description="Per kind (in the order of campaign kinds), currency, then rank"
    )

    @classmethod
    def of(cls, history: History) -> "ChannelHistoryOut":
        return cls(
            window=HistoryWindowOut.of(history),
            ranking=RANKING,
            minimum_clicks=MIN_CLICKS,
            minimum_conversions=MIN_CONVERSIONS,
            campaigns=history.campaigns,
            items=[ChannelHistoryItemOut.of(item) for item in history.items],
        )


# --- beside the budget by channel -----------------------------------------------------------
# The budget by channel's own models with the history added: named as they are, so that the
# published document keeps its schema names (`ChannelBudgetOut`, `ChannelBudgetRow`) and
# clients generated from it keep their types. The history appears only when asked for.


class ChannelBudgetRow(allocations.ChannelBudgetRow):
    history: ChannelHistoryItemOut | MISSING | None = Field(
        default=MISSING,
        description="Only with `with_history=true`: the channel's history for the campaign's "
        "kind and currency, from the workspace's other campaigns; null when it has none",
    )


_BUDGET_LINE: dict[str, Any] = {
    "channel": "social_feed",
    "name": "Social feed",
    "planned": "290000.00",
    "spent": "0.00",
    "remaining": "290000.00",
    "burn_percent": "0.00",
    "spend_source": "none",
    "expenses": None,
    "pushed_spend": None,
    "revenue": None,
    "gmv": None,
    "roi": None,
    "history": _SOCIAL,
}


class ChannelBudgetOut(allocations.ChannelBudgetOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "currency": "CNY",
                    "channels": [_BUDGET_LINE],
                    "unassigned": {
                        "planned": "330000.00",
                        "spent": "0.00",
                        "remaining": "330000.00",
                        "burn_percent": "0.00",
                    },
                    "history_window": _WINDOW,
                }
            ]
        }
    )

    channels: list[ChannelBudgetRow] = Field(  # type: ignore[assignment]
        description="The campaign's channels and any other that its money or figures name"
    )
    history_window: HistoryWindowOut | MISSING = Field(
        default=MISSING, description="Only with `with_history=true`: the campaigns read"
    )

    @classmethod
    def of_lines(cls, budget: ChannelBudget, history: History | None) -> "ChannelBudgetOut":
        """The budget by channel as before; with `history`, each line's beside it."""
        plain = allocations.ChannelBudgetOut.of(budget)
        if history is None:
            return cls.model_validate(plain.model_dump())
        by_channel = {item.channel: item for item in history.items}
        return cls(
            currency=plain.currency,
            channels=[
                ChannelBudgetRow(
                    **row.model_dump(),
                    history=(
                        ChannelHistoryItemOut.of(by_channel[row.channel])
                        if row.channel in by_channel
                        else None
                    ),
                )
                for row in plain.channels
            ],
            unassigned=plain.unassigned,
            history_window=HistoryWindowOut.of(history),
        )
