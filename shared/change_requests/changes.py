"""What a request's changes do to a plan, and who must approve them: pure rules.

The changes apply in order to a plan snapshot (see plan_versions.py), giving the plan
after them, or the errors that refuse the request as a whole (`changes.<i>.<field>`).
The same evaluation serves the request (is it valid, who approves) and its approval (the
snapshot it gives is what is written to the rows).
"""

import uuid
from collections.abc import Callable, Sequence
from copy import deepcopy
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from shared.campaigns.models import BudgetCategory, TargetKind
from shared.change_requests.models import ApprovalScope
from shared.change_requests.plan_versions import GOAL_FIELDS, ZERO, Plan, as_json, planned_total
from shared.change_requests.schemas import (
    AddBudgetLine,
    AddGoal,
    Change,
    ChangeBudgetLine,
    ChangeGoal,
    ExtendEndDate,
    MoveBudget,
)
from shared.errors import FieldError
from shared.ids import new_id

DEFAULT_MOVE_SHARE_PERCENT = Decimal("10.00")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Context:
    """What the rules need from outside the plan, read by the caller beforehand."""

    metric_keys: frozenset[str]
    member_ids: frozenset[uuid.UUID]  # the workspace's members among those the changes name
    task_ids: frozenset[uuid.UUID]  # the campaign's tasks among those the changes name
    channels: dict[str, uuid.UUID]  # the campaign's channels by key
    spent_by_category: dict[BudgetCategory, Decimal]
    spent_by_channel: dict[uuid.UUID, Decimal]  # expenses that name their channel


@dataclass(frozen=True)
class Outcome:
    plan: Plan  # the plan after every change
    errors: list[FieldError]

    @property
    def valid(self) -> bool:
        return not self.errors


class _Working:
    """The plan being changed, with the errors found so far."""

    def __init__(self, before: Plan, context: Context, make_id: Callable[[], uuid.UUID]):
        self.plan = deepcopy(before)
        self.context = context
        self.make_id = make_id
        self.errors: list[FieldError] = []
        self.lines = {line["id"]: line for line in self.plan["budget_lines"]}
        self.goals = {goal["id"]: goal for goal in self.plan["goals"]}
        # Which change last lowered each category and channel, to name it if one ends up
        # planned below what it has spent.
        self.lowered: dict[BudgetCategory | uuid.UUID, tuple[int, str]] = {}

    def error(self, index: int, field: str, message: str, code: str = "invalid") -> None:
        self.errors.append(FieldError(f"changes.{index}.{field}", message, code=code))

    def line(self, index: int, field: str, line_id: uuid.UUID) -> dict[str, Any] | None:
        line = self.lines.get(str(line_id))
        if line is None:
            self.error(index, field, f"No budget line {line_id} in this campaign.", "not_found")
        return line

    def set_amount(self, index: int, field: str, line: dict[str, Any], amount: Decimal) -> None:
        if amount < Decimal(line["planned_amount"]):
            self.lowered[BudgetCategory(line["category"])] = (index, field)
            if line["channel_id"] is not None:
                self.lowered[uuid.UUID(line["channel_id"])] = (index, field)
        line["planned_amount"] = as_json(amount.quantize(CENT))


def _move(work: _Working, i: int, change: MoveBudget) -> None:
    source = work.line(i, "from_budget_line_id", change.from_budget_line_id)
    target = work.line(i, "to_budget_line_id", change.to_budget_line_id)
    if source is None or target is None:
        return
    if source is target:
        work.error(i, "to_budget_line_id", "The same line as from_budget_line_id.")
        return
    available = Decimal(source["planned_amount"])
    if change.amount > available:
        work.error(i, "amount", f"The line plans only {available}; it cannot give {change.amount}.")
        return
    work.set_amount(i, "amount", source, available - change.amount)
    work.set_amount(i, "amount", target, Decimal(target["planned_amount"]) + change.amount)


def _change_line(work: _Working, i: int, change: ChangeBudgetLine) -> None:
    line = work.line(i, "budget_line_id", change.budget_line_id)
    if line is None:
        return
    if Decimal(line["planned_amount"]) == change.planned_amount:
        work.error(i, "planned_amount", f"The line plans {change.planned_amount} already.")
        return
    work.set_amount(i, "planned_amount", line, change.planned_amount)


def _add_line(work: _Working, i: int, change: AddBudgetLine) -> None:
    channel_id = None
    if change.channel_key is not None:
        channel_id = work.context.channels.get(change.channel_key)
        if channel_id is None:
            work.error(
                i,
                "channel_key",
                f"'{change.channel_key}' is not one of the campaign's channels.",
                "unknown_channel",
            )
    if change.task_id is not None and change.task_id not in work.context.task_ids:
        work.error(i, "task_id", f"No task {change.task_id} in this campaign.", "unknown_task")
    line = {
        "id": str(work.make_id()),
        "category": change.category.value,
        "channel_id": as_json(channel_id),
        "channel_key": change.channel_key,
        "task_id": as_json(change.task_id),
        "planned_amount": as_json(change.planned_amount),
        "note": change.note,
    }
    work.plan["budget_lines"].append(line)
    work.lines[line["id"]] = line


def _change_goal(work: _Working, i: int, change: ChangeGoal) -> None:
    goal = work.goals.get(str(change.goal_id))
    if goal is None:
        work.error(i, "goal_id", f"No goal {change.goal_id} in this campaign.", "not_found")
        return
    wanted = {
        name: as_json(value)
        for name, value in (("target_value", change.target_value), ("due_date", change.due_date))
        if value is not None
    }
    if not wanted:
        work.error(i, "target_value", "Give a new target_value, a new due_date, or both.")
        return
    if all(goal[name] == value for name, value in wanted.items()):
        work.error(i, next(iter(wanted)), "The goal has these terms already.")
        return
    goal.update(wanted)


def _add_goal(work: _Working, i: int, change: AddGoal) -> None:
    if change.metric_key not in work.context.metric_keys:
        work.error(
            i,
            "metric_key",
            f"'{change.metric_key}' is not in the metric dictionary (/v1/metrics).",
            "unknown_metric",
        )
    if change.owner_id not in work.context.member_ids:
        work.error(i, "owner_id", f"{change.owner_id} is not a member of the workspace.")
    if change.target_kind == TargetKind.relative_lift and not change.baseline_value:
        work.error(i, "baseline_value", "A relative-lift goal needs a baseline value.")
    goal = {"id": str(work.make_id())} | {
        name: as_json(getattr(change, name)) for name in GOAL_FIELDS
    }
    work.plan["goals"].append(goal)
    work.goals[goal["id"]] = goal


def _extend(work: _Working, i: int, change: ExtendEndDate) -> None:
    current = work.plan["end_date"]
    if current is not None and change.end_date <= date.fromisoformat(current):
        work.error(i, "end_date", f"Not later than the current end date, {current}.")
        return
    work.plan["end_date"] = as_json(change.end_date)


def _check_spending(work: _Working) -> None:
    """Money already spent in a category, or on a channel, cannot be taken away from it."""
    planned: dict[BudgetCategory | uuid.UUID, Decimal] = {}
    names: dict[BudgetCategory | uuid.UUID, str] = {}
    for line in work.plan["budget_lines"]:
        amount = Decimal(line["planned_amount"])
        category = BudgetCategory(line["category"])
        planned[category] = planned.get(category, ZERO) + amount
        names[category] = category.value
        if line["channel_id"] is not None:
            channel = uuid.UUID(line["channel_id"])
            planned[channel] = planned.get(channel, ZERO) + amount
            names[channel] = f"The channel {line['channel_key']}"
    spent: dict[BudgetCategory | uuid.UUID, Decimal] = {}
    for category, amount in work.context.spent_by_category.items():
        spent[category] = amount
    for channel, amount in work.context.spent_by_channel.items():
        spent[channel] = amount
    for where, (index, field) in work.lowered.items():
        if planned.get(where, ZERO) < spent.get(where, ZERO):
            work.error(
                index,
                field,
                f"{names[where]} would plan {planned.get(where, ZERO)}, less than the "
                f"{spent[where]} already spent.",
                "below_spent",
            )


_RULES: dict[type[Any], Callable[[_Working, int, Any], None]] = {
    MoveBudget: _move,
    ChangeBudgetLine: _change_line,
    AddBudgetLine: _add_line,
    ChangeGoal: _change_goal,
    AddGoal: _add_goal,
    ExtendEndDate: _extend,
}


def evaluate(
    before: Plan,
    changes: Sequence[Change],
    context: Context,
    make_id: Callable[[], uuid.UUID] = new_id,
) -> Outcome:
    """The plan after `changes`, applied in order; any error refuses them all."""
    work = _Working(before, context, make_id)
    for index, change in enumerate(changes):
        _RULES[type(change)](work, index, change)
    _check_spending(work)
    return Outcome(work.plan, work.errors)


def named_members(changes: Sequence[Change]) -> set[uuid.UUID]:
    return {c.owner_id for c in changes if isinstance(c, AddGoal)}


def named_tasks(changes: Sequence[Change]) -> set[uuid.UUID]:
    return {c.task_id for c in changes if isinstance(c, AddBudgetLine) and c.task_id}


def approval_scope(
    before: Plan, after: Plan, changes: Sequence[Change], move_share_percent: Decimal
) -> tuple[ApprovalScope, list[str]]:
    """The first step (the department head) alone for changes within the total; the full
    chain when the total rises or a single move exceeds the share of the total."""
    total, new_total = planned_total(before), planned_total(after)
    reasons = []
    if new_total > total:
        reasons.append(f"Raises the total planned from {total} to {new_total}.")
    limit = (total * move_share_percent / 100).quantize(CENT)
    for index, change in enumerate(changes):
        if isinstance(change, MoveBudget) and change.amount > limit:
            share = (change.amount / total * 100).quantize(CENT)
            reasons.append(
                f"Change {index} moves {change.amount}, {share}% of the total {total}: more "
                f"than the {move_share_percent}% the first step approves alone."
            )
    if reasons:
        return ApprovalScope.full_chain, reasons
    return ApprovalScope.first_step, [
        f"Within the total of {total} (now {new_total}), no move over "
        f"{move_share_percent}% of it: the first step decides alone."
    ]
