"""The metric dictionary: standard metrics for every workspace, extended by its admins."""

import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import graphs
from shared.errors import Conflict, FieldError, Invalid, NotFound
from shared.ids import new_id
from shared.metrics import formula as formulas
from shared.metrics.models import Metric
from shared.metrics.standard import STANDARD_METRICS
from shared.pagination import PageRequest, Results, SortKey, paginate
from shared.tenancy import in_workspace
from shared.versioning import apply_changes, check_version

BY_KEY = SortKey("key", Metric.key, "str")


async def seed_standard(session: AsyncSession, *, workspace_id: uuid.UUID) -> None:
    await session.execute(
        insert(Metric),
        [
            {
                "id": new_id(),
                "workspace_id": workspace_id,
                "version": 1,
                "description": None,
                "formula": None,
            }
            | m
            for m in STANDARD_METRICS
        ],
    )


async def dictionary(session: AsyncSession, *, workspace_id: uuid.UUID) -> dict[str, Metric]:
    rows = await session.scalars(in_workspace(Metric, workspace_id))
    return {m.key: m for m in rows}


async def known_keys(session: AsyncSession, *, workspace_id: uuid.UUID) -> set[str]:
    keys = await session.scalars(select(Metric.key).where(Metric.workspace_id == workspace_id))
    return set(keys)


async def get_metric(session: AsyncSession, *, workspace_id: uuid.UUID, key: str) -> Metric:
    metric = await session.scalar(in_workspace(Metric, workspace_id).where(Metric.key == key))
    if metric is None:
        raise NotFound(f"No metric '{key}' in the dictionary.")
    return metric


async def list_metrics(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    page: PageRequest,
    derived: bool | None = None,
) -> Results[Metric]:
    query = in_workspace(Metric, workspace_id)
    if derived is True:
        query = query.where(Metric.formula.is_not(None))
    elif derived is False:
        query = query.where(Metric.formula.is_(None))
    return await paginate(session, query, Metric, page, BY_KEY)


def _check_formula(key: str, text: str, known: dict[str, Metric]) -> None:
    """Syntax, unknown keys and cycles, each a 422 naming the position in the formula."""
    try:
        expression = formulas.parse(text)
    except formulas.FormulaError as exc:
        raise Invalid(
            f"The formula is not valid: {exc}.",
            [FieldError("formula", str(exc), code="formula_syntax")],
            position=exc.position,
        ) from exc
    refs = formulas.references(expression)
    unknown = [r for r in refs if r.key not in known and r.key != key]
    if unknown:
        first = unknown[0]
        raise Invalid(
            f"Unknown metric '{first.key}' at position {first.position}.",
            [
                FieldError(
                    "formula",
                    f"unknown metric '{r.key}' at position {r.position}",
                    code="unknown_metric",
                )
                for r in unknown
            ],
            position=first.position,
        )
    edges = [
        (m.key, r.key)
        for m in known.values()
        if m.formula and m.key != key
        for r in formulas.references(formulas.parse(m.formula))
    ] + [(key, r.key) for r in refs]
    cycle = graphs.find_cycle(edges)
    if cycle:
        path = " -> ".join(cycle)
        raise Invalid(
            f"The formula makes a cycle: {path}.",
            [FieldError("formula", f"cycle: {path}", code="formula_cycle")],
            cycle=cycle,
        )


async def create_metric(
    session: AsyncSession, *, workspace_id: uuid.UUID, data: dict[str, Any]
) -> Metric:
    known = await dictionary(session, workspace_id=workspace_id)
    if data["key"] in known:
        raise Conflict(f"The dictionary already has '{data['key']}'.", field="key")
    if data.get("formula"):
        _check_formula(data["key"], data["formula"], known)
    metric = Metric(workspace_id=workspace_id, **data)
    session.add(metric)
    await session.flush()
    return metric


async def update_metric(
    session: AsyncSession,
    *,
    metric: Metric,
    changes: dict[str, Any],
    expected_versions: Collection[int] | None,
) -> Metric:
    check_version(metric, expected_versions)
    if changes.get("formula"):
        known = await dictionary(session, workspace_id=metric.workspace_id)
        _check_formula(metric.key, changes["formula"], known)
    if "formula" in changes and changes["formula"] is None and metric.formula is None:
        changes.pop("formula")
    if apply_changes(metric, changes, None):
        await session.flush()
    return metric


async def delete_metric(
    session: AsyncSession,
    *,
    metric: Metric,
    expected_versions: Collection[int] | None,
    measured_by_goals: bool,
) -> None:
    """Remove a metric nothing uses: no derived metric's formula, no goal (the caller asks
    the campaigns, which sit above the dictionary)."""
    check_version(metric, expected_versions)
    known = await dictionary(session, workspace_id=metric.workspace_id)
    users = sorted(
        m.key
        for m in known.values()
        if m.formula
        and any(r.key == metric.key for r in formulas.references(formulas.parse(m.formula)))
    )
    if users:
        raise Conflict(f"Derived metrics use '{metric.key}': {', '.join(users)}.", users=users)
    if measured_by_goals:
        raise Conflict(f"Goals measure '{metric.key}'; it cannot be removed.")
    await session.delete(metric)
    await session.flush()
