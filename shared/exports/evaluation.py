"""The evaluation as the manuals' table: a row per goal (target, actual, achievement rate,
data source, the cause, its analysis and the improvement proposal), then the figures of
the other three dimensions (ROI, user value, brand impact). The evaluation the API shows
(`GET .../evaluation`): the latest finalised version, else the draft computed now."""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import Campaign, TargetKind
from shared.evaluations import service as evaluations
from shared.evaluations.schemas import (
    EvaluationGoalOut,
    MappedMetricOut,
    RoiOut,
)
from shared.exports.table import Column, Kind, Table, Value
from shared.metrics import service as metrics
from shared.reports import render
from shared.reports.schedule import Language as ReportLanguage
from shared.workspaces import labels
from shared.workspaces.models import Language


async def evaluation_table(
    session: AsyncSession, *, campaign: Campaign, language: Language, now: datetime
) -> Table:
    evaluation = await evaluations.get_evaluation(session, campaign=campaign, draft=False, now=now)
    dictionary = await metrics.dictionary(session, workspace_id=campaign.workspace_id)
    names = render.Dictionary(
        names={k: m.name for k, m in dictionary.items()},
        units={k: m.unit.value for k, m in dictionary.items()},
    )
    words = ReportLanguage.zh if language == Language.zh_cn else ReportLanguage.en

    def h(key: str) -> str:
        return labels.header(key, language)

    def dimension(key: str) -> str:
        return labels.value("evaluation_dimension", key, language)

    def figure(key: str) -> str:
        return labels.value("evaluation_figure", key, language)

    def metric(key: str) -> str:
        return names.label(key, words)

    columns = [
        Column(h("evaluation_dimension"), width=14),
        Column(h("goal_type")),
        Column(h("metric"), width=24),
        Column(h("target"), Kind.number, width=14),
        Column(h("actual"), Kind.number, width=14),
        Column(h("achievement_rate"), Kind.percent),
        Column(h("outcome")),
        Column(h("data_source"), width=30),
        Column(h("cause_category")),
        Column(h("analysis"), width=40),
        Column(h("improvement_proposal"), width=40),
    ]

    def goal_row(goal: EvaluationGoalOut) -> list[Value]:
        lift = goal.target_kind == TargetKind.relative_lift
        source = goal.data_source
        found = "; ".join(
            part
            for part in (
                _listed(
                    labels.value("word", "inputs", language),
                    [metric(k) for k in source.inputs],
                    language,
                ),
                _listed(labels.value("word", "channels", language), source.channels, language),
            )
            if part
        )
        return [
            dimension("goal_achievement"),
            labels.value("goal_type", goal.goal_type, language),
            metric(goal.metric_key) + (" (+%)" if lift else ""),
            goal.target_value,
            goal.lift_percent if lift else goal.actual,
            goal.achievement_rate,
            labels.value("outcome", goal.outcome, language),
            found or None,
            labels.value("cause_category", goal.analysis.cause_category, language)
            if goal.analysis.cause_category
            else None,
            goal.analysis.analysis,
            goal.analysis.improvement_proposal,
        ]

    def row(
        dimension_key: str,
        name: str,
        actual: Decimal | None,
        *,
        target: Decimal | None = None,
        rate: Decimal | None = None,
        source: str | None = None,
    ) -> list[Value]:
        empty: list[Value] = [None, None, None]  # no cause, analysis or proposal
        return [dimension(dimension_key), None, name, target, actual, rate, None, source, *empty]

    def spent(on: RoiOut) -> str | None:
        if on.spend is None:
            return None
        return f"{labels.value('spend_source', on.spend_source, language)} {on.spend:,.2f}"

    def mapped(dimension_key: str, items: Sequence[MappedMetricOut]) -> list[list[Value]]:
        return [row(dimension_key, metric(m.metric_key), m.value) for m in items]

    dims = evaluation.dimensions
    roi, users, brand = dims.roi, dims.user_value, dims.brand_impact
    users_source = labels.value("spend_source", users.spend_source, language)
    lift = brand.search_volume_lift
    rows: list[list[Value]] = [
        *[goal_row(goal) for goal in evaluation.goals],
        row("roi", figure("roi_on_expenses"), roi.on_expenses.roi, source=spent(roi.on_expenses)),
        row(
            "roi",
            figure("roi_on_pushed_spend"),
            roi.on_pushed_spend.roi,
            source=spent(roi.on_pushed_spend),
        ),
        row("roi", figure("revenue"), roi.revenue),
        row("roi", figure("gmv"), roi.gmv),
        *mapped("roi", roi.mapped),
        row("user_value", figure("new_users"), users.new_users),
        row("user_value", figure("orders"), users.orders),
        row(
            "user_value", figure("cost_per_new_user"), users.cost_per_new_user, source=users_source
        ),
        row("user_value", figure("cost_per_order"), users.cost_per_order, source=users_source),
        row("user_value", figure("average_order_value"), users.average_order_value),
        *mapped("user_value", users.mapped),
        row("brand_impact", figure("search_volume"), brand.search_volume),
        row(
            "brand_impact",
            figure("search_volume_lift"),
            lift.lift_percent if lift else None,
            target=lift.target_lift_percent if lift else None,
            rate=lift.achievement_rate if lift else None,
        ),
        row("brand_impact", figure("negative_comments"), brand.negative_comments),
        *mapped("brand_impact", brand.mapped),
    ]
    return Table(labels.title("evaluation", language), columns, rows)


def _listed(word: str, items: list[str], language: Language) -> str | None:
    if not items:
        return None
    return f"{word}: {labels.joined(items, language)}"
