"""The budget by channel and by work, as the API shows it."""

import uuid
from decimal import Decimal
from typing import Any

from pydantic import ConfigDict, Field

from shared.allocations.summary import ChannelBudget, SpendSource, WorkBudget
from shared.campaigns.budget import Figures
from shared.schemas import ResponseModel
from shared.tasks.models import TaskLevel


class BudgetFigures(ResponseModel):
    planned: Decimal
    spent: Decimal
    remaining: Decimal = Field(description="planned - spent; negative when overrun")
    burn_percent: Decimal | None = Field(
        description="spent / planned x 100; null if nothing planned"
    )

    @classmethod
    def of(cls, figures: Figures) -> "BudgetFigures":
        return cls(
            planned=figures.planned,
            spent=figures.spent,
            remaining=figures.remaining,
            burn_percent=figures.burn_percent,
        )


class ChannelBudgetRow(BudgetFigures):
    channel: str = Field(description="The channel's key")
    name: str
    spend_source: SpendSource = Field(
        description="Where `spent` comes from: `expenses` recorded against the channel "
        "(finance's money) when there are any, else the `pushed` spend figures, else `none`"
    )
    expenses: Decimal | None = Field(description="Expenses recorded for it; null when none")
    pushed_spend: Decimal | None = Field(description="Its pushed `spend`; null when none")
    revenue: Decimal | None = Field(description="Its pushed revenue; null when none")
    gmv: Decimal | None = Field(description="Its pushed GMV; null when none")
    roi: Decimal | None = Field(
        description="The dictionary's `roi` (revenue / spend) on `spent`, so on expenses "
        "when recorded (see spend_source); 4 decimals; null when it cannot be computed"
    )


_CHANNEL_EXAMPLE: dict[str, Any] = {
    "currency": "CNY",
    "channels": [
        {
            "channel": "offline_store",
            "name": "Offline store",
            "planned": "160000.00",
            "spent": "40000.00",
            "remaining": "120000.00",
            "burn_percent": "25.00",
            "spend_source": "pushed",
            "expenses": None,
            "pushed_spend": "40000.00",
            "revenue": "32000.00",
            "gmv": "32000.00",
            "roi": "0.8000",
        },
        {
            "channel": "social_feed",
            "name": "Social feed",
            "planned": "290000.00",
            "spent": "35000.00",
            "remaining": "255000.00",
            "burn_percent": "12.07",
            "spend_source": "expenses",
            "expenses": "35000.00",
            "pushed_spend": "34650.00",
            "revenue": "182000.00",
            "gmv": "182000.00",
            "roi": "5.2000",
        },
    ],
    "unassigned": {
        "planned": "450000.00",
        "spent": "0.00",
        "remaining": "450000.00",
        "burn_percent": "0.00",
    },
}


class ChannelBudgetOut(ResponseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_CHANNEL_EXAMPLE]})

    currency: str
    channels: list[ChannelBudgetRow] = Field(
        description="The campaign's channels and any other that its money or figures name"
    )
    unassigned: BudgetFigures = Field(description="Budget lines and expenses naming no channel")

    @classmethod
    def of(cls, budget: ChannelBudget) -> "ChannelBudgetOut":
        return cls(
            currency=budget.currency,
            channels=[
                ChannelBudgetRow(
                    channel=c.key,
                    name=c.name,
                    **BudgetFigures.of(c.figures).model_dump(),
                    spend_source=c.spend_source,
                    expenses=c.expenses,
                    pushed_spend=c.pushed_spend,
                    revenue=c.revenue,
                    gmv=c.gmv,
                    roi=c.roi,
                )
                for c in budget.channels
            ],
            unassigned=BudgetFigures.of(budget.unassigned),
        )


class WorkBudgetRow(BudgetFigures):
    task_id: uuid.UUID
    parent_id: uuid.UUID | None
    code: str
    name: str
    level: TaskLevel
    rollup: BudgetFigures = Field(description="This one and all the work under it")


_WORK_EXAMPLE: dict[str, Any] = {
    "currency": "CNY",
    "tasks": [
        {
            "task_id": "01a2010c-c015-761b-9bc5-6ac427b850dd",
            "parent_id": None,
            "code": "S-1",
            "name": "KOC seeding + feed ads",
            "level": "strategy",
            "planned": "0.00",
            "spent": "0.00",
            "remaining": "0.00",
            "burn_percent": None,
            "rollup": {
                "planned": "80000.00",
                "spent": "12000.00",
                "remaining": "68000.00",
                "burn_percent": "15.00",
            },
        },
        {
            "task_id": "01a2010c-c015-761b-9bc5-6ac427b850de",
            "parent_id": "01a2010c-c015-761b-9bc5-6ac427b850dd",
            "code": "M-003",
            "name": "Produce 10 posts + 5 short videos",
            "level": "task",
            "planned": "80000.00",
            "spent": "12000.00",
            "remaining": "68000.00",
            "burn_percent": "15.00",
            "rollup": {
                "planned": "80000.00",
                "spent": "12000.00",
                "remaining": "68000.00",
                "burn_percent": "15.00",
            },
        },
    ],
    "unassigned": {
        "planned": "920000.00",
        "spent": "35000.00",
        "remaining": "885000.00",
        "burn_percent": "3.80",
    },
}


class WorkBudgetOut(ResponseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_WORK_EXAMPLE]})

    currency: str
    tasks: list[WorkBudgetRow] = Field(
        description="Strategies, modules and tasks with money in or under them, each parent "
        "before its children, siblings by code"
    )
    unassigned: BudgetFigures = Field(description="Budget lines and expenses naming no work")

    @classmethod
    def of(cls, budget: WorkBudget) -> "WorkBudgetOut":
        return cls(
            currency=budget.currency,
            tasks=[
                WorkBudgetRow(
                    task_id=w.node.id,
                    parent_id=w.node.parent_id,
                    code=w.node.code,
                    name=w.node.name,
                    level=w.node.level,
                    **BudgetFigures.of(w.own).model_dump(),
                    rollup=BudgetFigures.of(w.rollup),
                )
                for w in budget.work
            ],
            unassigned=BudgetFigures.of(budget.unassigned),
        )
