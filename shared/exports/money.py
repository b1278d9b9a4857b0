"""Budget and settlement: per budget category, then per channel, what the approved
baseline and the current plan put there, what was spent, the variance and its
explanation, then the totals. The settlement as the API shows it (its frozen lines once
settled)."""

from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import Campaign
from shared.exports.table import Column, Kind, Table, Value
from shared.figures.channels import campaign_channels
from shared.settlements import service as settlements
from shared.settlements.schemas import SettlementLineOut
from shared.settlements.statement import NO_CHANNEL
from shared.workspaces import labels
from shared.workspaces.models import Language


async def settlement_table(
    session: AsyncSession, *, campaign: Campaign, language: Language
) -> Table:
    statement = (await settlements.view(session, campaign=campaign)).lines
    channel_names = {c.key: c.name for c in await campaign_channels(session, campaign)}

    def h(key: str) -> str:
        return labels.header(key, language)

    columns = [
        Column(h("dimension")),
        Column(h("item"), width=22),
        Column(h("currency"), width=8),
        Column(h("baseline_planned"), Kind.money),
        Column(h("planned"), Kind.money),
        Column(h("plan_change"), Kind.money),
        Column(h("actual_spent"), Kind.money),
        Column(h("variance"), Kind.money),
        Column(h("variance_percent"), Kind.percent),
        Column(h("needs_explanation"), width=10),
        Column(h("explanation"), width=40),
    ]

    def item(line: SettlementLineOut) -> str:
        if line.dimension == "category" and line.category is not None:
            return labels.value("budget_category", line.category, language)
        if line.key == NO_CHANNEL or line.channel_key is None:
            return labels.value("settlement_dimension", NO_CHANNEL, language)
        return channel_names.get(line.channel_key, line.channel_key)

    rows: list[list[Value]] = [
        [
            labels.value("settlement_dimension", line.dimension, language),
            item(line),
            statement.currency,
            line.baseline_planned,
            line.planned,
            line.plan_change,
            line.actual,
            line.variance,
            line.variance_percent,
            labels.yes_no(line.needs_explanation, language),
            line.explanation.text if line.explanation else None,
        ]
        for line in [*statement.categories, *statement.channels]
    ]
    totals = statement.totals
    rows.append(
        [
            labels.value("settlement_dimension", "total", language),
            None,
            statement.currency,
            totals.baseline_planned,
            totals.planned,
            None if totals.baseline_planned is None else totals.planned - totals.baseline_planned,
            totals.actual,
            totals.variance,
            totals.variance_percent,
            None,
            None,
        ]
    )
    return Table(labels.title("settlement", language), columns, rows)
