"""The budget at a glance: planned against spent, per category and in total, in exact decimals."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from shared.campaigns.models import BudgetCategory, BudgetLine, Campaign, Expense

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Figures:
    planned: Decimal
    spent: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.planned - self.spent

    @property
    def burn_percent(self) -> Decimal | None:
        return percent(self.spent, self.planned)


@dataclass(frozen=True)
class Summary:
    currency: str
    categories: dict[BudgetCategory, Figures]
    total: Figures
    contingency_share_percent: Decimal | None


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    if whole == 0:
        return None
    return (part / whole * 100).quantize(CENT)


def time_elapsed_percent(start: date, end: date, day: date) -> Decimal | None:
    """The share of the campaign's days gone by the end of `day` (0 before its start, 100
    after its end): what the money spent is set against."""
    days = (end - start).days + 1
    gone = min(max((day - start).days + 1, 0), days)
    return percent(Decimal(gone), Decimal(days))


async def _sums(
    session: AsyncSession,
    column: InstrumentedAttribute[Decimal],
    model: type[BudgetLine] | type[Expense],
    campaign: Campaign,
) -> dict[BudgetCategory, Decimal]:
    rows = await session.execute(
        select(model.category, func.sum(column))
        .where(model.workspace_id == campaign.workspace_id, model.campaign_id == campaign.id)
        .group_by(model.category)
    )
    return {category: Decimal(amount) for category, amount in rows.all()}


async def summarize(session: AsyncSession, campaign: Campaign) -> Summary:
    planned = await _sums(session, BudgetLine.planned_amount, BudgetLine, campaign)
    spent = await _sums(session, Expense.amount, Expense, campaign)
    categories = {
        category: Figures(planned.get(category, ZERO), spent.get(category, ZERO))
        for category in BudgetCategory
    }
    total = Figures(
        sum((f.planned for f in categories.values()), ZERO),
        sum((f.spent for f in categories.values()), ZERO),
    )
    return Summary(
        currency=campaign.currency,
        categories=categories,
        total=total,
        contingency_share_percent=percent(
            categories[BudgetCategory.contingency].planned, total.planned
        ),
    )
