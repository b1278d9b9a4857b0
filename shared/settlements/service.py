"""The settlement's workflow: explain the lines, verify, settle (expenses frozen, a numbered
record kept), sign off, and reopen for a correction.

    open -> verified -> settled -> signed_off
      ^        |          |           |
      +--------+----------+-----------+   reopen (settled or signed off: with a reason)

Finance (the policy's finance role, through a key bound to a member) verifies, settles and
reopens; management (the policy's management role) signs off. The caller locks the
campaign, so one settlement action follows another.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.activity import service as activity
from shared.actor import Actor
from shared.campaigns import plan
from shared.campaigns.models import BudgetCategory, Campaign, CampaignStatus, Expense
from shared.change_requests import plan_versions
from shared.errors import Conflict, FieldError, Invalid, NotFound
from shared.events import kinds
from shared.events.service import record_event
from shared.figures.channels import channel_keys
from shared.settlements import policy as policies
from shared.settlements.models import (
    Settlement,
    SettlementExplanation,
    SettlementRecord,
    SettlementStatus,
)
from shared.settlements.schemas import SettlementStatementOut
from shared.settlements.statement import Explanation, Money, Statement, build
from shared.tenancy import in_workspace

S = SettlementStatus
CLOSED = frozenset({S.settled, S.signed_off})


# --- reading ----------------------------------------------------------------------------------


def _plan_money(snapshot: plan_versions.Plan) -> list[Money]:
    return [
        Money(
            BudgetCategory(line["category"]),
            line.get("channel_key"),
            Decimal(line["planned_amount"]),
        )
        for line in snapshot["budget_lines"]
    ]


async def _expenses(session: AsyncSession, campaign: Campaign) -> list[Expense]:
    return await plan.all_items(session, plan.EXPENSES, campaign=campaign)


async def _actual(
    session: AsyncSession, campaign: Campaign, expenses: list[Expense]
) -> list[Money]:
    keys = await channel_keys(
        session,
        workspace_id=campaign.workspace_id,
        ids={e.channel_id for e in expenses if e.channel_id is not None},
    )
    return [
        Money(e.category, keys.get(e.channel_id) if e.channel_id else None, e.amount)
        for e in expenses
    ]


async def _explanations(session: AsyncSession, campaign: Campaign) -> dict[str, Explanation]:
    rows = await session.scalars(
        in_workspace(SettlementExplanation, campaign.workspace_id).where(
            SettlementExplanation.campaign_id == campaign.id
        )
    )
    return {
        row.line_key: Explanation(row.text, row.written_by_member_id, row.updated_at)
        for row in rows
    }


async def statement(session: AsyncSession, *, campaign: Campaign) -> Statement:
    """Planned (baseline and current plan) against the expenses, as they stand now."""
    found = await policies.get_policy(session, workspace_id=campaign.workspace_id)
    current = await plan_versions.live_plan(session, campaign)
    baseline = None
    if plan_versions.has_approved_plan(campaign):
        baseline = _plan_money((await plan_versions.plan_at(session, campaign, 1)).plan)
    expenses = await _expenses(session, campaign)
    return build(
        currency=campaign.currency,
        baseline=baseline,
        current=_plan_money(current),
        actual=await _actual(session, campaign, expenses),
        threshold_percent=found.threshold_percent,
        explanations=await _explanations(session, campaign),
    )


async def _settlement(
    session: AsyncSession, campaign: Campaign, *, create: bool = False
) -> Settlement | None:
    found = await session.scalar(
        in_workspace(Settlement, campaign.workspace_id).where(Settlement.campaign_id == campaign.id)
    )
    if found is None and create:
        found = Settlement(
            workspace_id=campaign.workspace_id, campaign_id=campaign.id, status=S.open
        )
        session.add(found)
        await session.flush()
    return found


async def _records(session: AsyncSession, campaign: Campaign) -> list[SettlementRecord]:
    rows = await session.scalars(
        in_workspace(SettlementRecord, campaign.workspace_id)
        .where(SettlementRecord.campaign_id == campaign.id)
        .order_by(SettlementRecord.number)
    )
    return list(rows)


@dataclass(frozen=True)
class View:
    """The settlement as shown: its lines (frozen ones once settled), state and history."""

    campaign: Campaign
    status: SettlementStatus
    lines: SettlementStatementOut
    missing_explanations: list[str]
    settlement: Settlement | None
    current: SettlementRecord | None
    records: list[SettlementRecord]

    @property
    def allowed_actions(self) -> list[str]:
        if self.campaign.status != CampaignStatus.completed:
            return []
        return {
            S.open: ["verify"],
            S.verified: ["verify", "settle"],
            S.settled: ["sign_off", "reopen"],
            S.signed_off: ["reopen"],
        }[self.status]

    @property
    def version(self) -> int:
        return self.settlement.version if self.settlement else 1


async def view(session: AsyncSession, *, campaign: Campaign) -> View:
    settlement = await _settlement(session, campaign)
    records = await _records(session, campaign)
    status = settlement.status if settlement else S.open
    current = None
    if settlement is not None and settlement.current_record_number is not None:
        current = next(r for r in records if r.number == settlement.current_record_number)
    if status in CLOSED and current is not None:
        lines = SettlementStatementOut.model_validate(current.statement)
        missing: list[str] = []
    else:
        live = await statement(session, campaign=campaign)
        lines = SettlementStatementOut.model_validate(live)
        missing = [line.key for line in live.missing_explanations]
    return View(campaign, status, lines, missing, settlement, current, records)


async def signed_off_at(session: AsyncSession, *, campaign: Campaign) -> datetime | None:
    """When management signed off the current settlement; None when it is not signed off,
    or was reopened since (for the close-out checklist)."""
    settlement = await _settlement(session, campaign)
    if settlement is None or settlement.status != S.signed_off:
        return None
    signed: datetime | None = await session.scalar(
        select(SettlementRecord.signed_off_at).where(
            SettlementRecord.workspace_id == campaign.workspace_id,
            SettlementRecord.campaign_id == campaign.id,
            SettlementRecord.number == settlement.current_record_number,
            SettlementRecord.reopened_at.is_(None),
        )
    )
    return signed


async def get_record(session: AsyncSession, *, campaign: Campaign, number: int) -> SettlementRecord:
    record = await session.scalar(
        in_workspace(SettlementRecord, campaign.workspace_id).where(
            SettlementRecord.campaign_id == campaign.id, SettlementRecord.number == number
        )
    )
    if record is None:
        raise NotFound(f"No settlement record {number} for this campaign.")
    return record


# --- explaining ---------------------------------------------------------------------------------


def _ensure_open(settlement: Settlement | None, what: str) -> None:
    if settlement is not None and settlement.status in CLOSED:
        raise Conflict(
            f"{what}: the settlement is {settlement.status.value}. Reopen it with a reason "
            "first (POST .../settlement/reopen).",
            code="settlement_closed",
            settlement_status=settlement.status.value,
        )


async def explain(
    session: AsyncSession, *, campaign: Campaign, actor: Actor, line_key: str, text: str
) -> SettlementExplanation:
    """Write (or rewrite) the explanation of one line of the statement."""
    _ensure_open(await _settlement(session, campaign), "Explanations cannot change")
    live = await statement(session, campaign=campaign)
    if line_key not in live.lines_by_key:
        raise NotFound(
            f"No line '{line_key}' in this campaign's settlement; lines are "
            f"{', '.join(live.lines_by_key) or 'none yet'}.",
            field="line_key",
        )
    row = await session.scalar(
        in_workspace(SettlementExplanation, campaign.workspace_id).where(
            SettlementExplanation.campaign_id == campaign.id,
            SettlementExplanation.line_key == line_key,
        )
    )
    if row is None:
        row = SettlementExplanation(
            workspace_id=campaign.workspace_id, campaign_id=campaign.id, line_key=line_key
        )
        session.add(row)
    row.text = text
    row.written_by_member_id = actor.member_id
    row.written_by_api_key_id = actor.api_key_id
    await session.flush()
    await session.refresh(row, ["updated_at"])
    return row


# --- the workflow -------------------------------------------------------------------------------


def _ensure_completed(campaign: Campaign, what: str) -> None:
    if campaign.status != CampaignStatus.completed:
        raise Conflict(
            f"{what} needs a completed campaign; this one is {campaign.status.value}.",
            code="campaign_not_completed",
            campaign_status=campaign.status.value,
        )


def _ensure_status(settlement: Settlement, allowed: frozenset[S], what: str, code: str) -> None:
    if settlement.status not in allowed:
        raise Conflict(
            f"{what} is not possible while the settlement is {settlement.status.value}.",
            code=code,
            settlement_status=settlement.status.value,
        )


def _fingerprint(expenses: list[Expense]) -> str:
    """What finance verified: each expense's id and version (any change moves it)."""
    seen = sorted(f"{e.id}:{e.version}" for e in expenses)
    return hashlib.sha256(",".join(seen).encode()).hexdigest()


async def verify(
    session: AsyncSession, *, campaign: Campaign, actor: Actor, now: datetime
) -> Settlement:
    """Finance checked the expenses against their invoices and contracts (again, if they
    changed since the last verification)."""
    found = await policies.get_policy(session, workspace_id=campaign.workspace_id)
    policies.ensure_role(actor, found.finance_role, "Verifying the expenses", who="finance")
    _ensure_completed(campaign, "Verifying the settlement")
    settlement = await _settlement(session, campaign, create=True)
    assert settlement is not None
    _ensure_status(settlement, frozenset({S.open, S.verified}), "Verifying", "settlement_closed")
    settlement.status = S.verified
    settlement.verified_at = now
    settlement.verified_by_member_id = actor.member_id
    settlement.verified_by_api_key_id = actor.api_key_id
    settlement.verified_expenses = _fingerprint(await _expenses(session, campaign))
    await session.flush()
    return settlement


def _missing_errors(live: Statement) -> list[FieldError]:
    return [
        FieldError(
            f"lines.{line.key}.explanation",
            "Needs an explanation: "
            + (
                f"variance {line.variance_percent}% is beyond the threshold of "
                f"{live.threshold_percent}%."
                if line.variance_percent is not None
                else f"{line.actual} spent where nothing was planned."
            ),
            code="explanation_missing",
        )
        for line in live.missing_explanations
    ]


async def settle(
    session: AsyncSession, *, campaign: Campaign, actor: Actor, now: datetime
) -> SettlementRecord:
    """The final account: every line that needs one explained (422 naming each), the
    verification still true of the expenses, then a numbered record with the lines frozen,
    and the campaign's expenses frozen with it."""
    found = await policies.get_policy(session, workspace_id=campaign.workspace_id)
    policies.ensure_role(actor, found.finance_role, "Settling the expenses", who="finance")
    _ensure_completed(campaign, "Settling")
    settlement = await _settlement(session, campaign, create=True)
    assert settlement is not None
    if settlement.status in CLOSED:
        _ensure_status(settlement, frozenset(), "Settling again", "settlement_closed")
    if settlement.status != S.verified:
        raise Conflict(
            "Finance verifies the expenses against their invoices and contracts first "
            "(POST .../settlement/verify).",
            code="not_verified",
            settlement_status=settlement.status.value,
        )
    expenses = await _expenses(session, campaign)
    if settlement.verified_expenses != _fingerprint(expenses):
        raise Conflict(
            "Expenses changed since they were verified; verify them again.",
            code="verification_stale",
        )
    live = await statement(session, campaign=campaign)
    errors = _missing_errors(live)
    if errors:
        raise Invalid(
            f"{len(errors)} line(s) need an explanation before settling: "
            + ", ".join(line.key for line in live.missing_explanations)
            + ".",
            errors,
            code="explanations_missing",
        )
    frozen = SettlementStatementOut.model_validate(live)
    previous = max((r.number for r in await _records(session, campaign)), default=0)
    record = SettlementRecord(
        workspace_id=campaign.workspace_id,
        campaign_id=campaign.id,
        number=previous + 1,
        statement=frozen.model_dump(mode="json"),
        settled_at=now,
        settled_by_member_id=actor.member_id,
        settled_by_api_key_id=actor.api_key_id,
    )
    session.add(record)
    settlement.status = S.settled
    settlement.current_record_number = record.number
    campaign.expenses_settled_at = now
    await session.flush()
    totals = frozen.totals.model_dump(mode="json")
    await record_event(
        session,
        workspace_id=campaign.workspace_id,
        kind=kinds.CAMPAIGN_SETTLED,
        subject_type="campaign",
        subject_id=campaign.id,
        campaign_id=campaign.id,
        actor=actor,
        data={"record_number": record.number, "currency": campaign.currency} | totals,
    )
    return record


async def _current_record(
    session: AsyncSession, campaign: Campaign, settlement: Settlement
) -> SettlementRecord:
    assert settlement.current_record_number is not None
    return await get_record(session, campaign=campaign, number=settlement.current_record_number)


async def sign_off(
    session: AsyncSession, *, campaign: Campaign, actor: Actor, comment: str, now: datetime
) -> SettlementRecord:
    """Management files the settled account (the current record)."""
    found = await policies.get_policy(session, workspace_id=campaign.workspace_id)
    policies.ensure_role(actor, found.management_role, "Signing off", who="management")
    settlement = await _settlement(session, campaign, create=True)
    assert settlement is not None
    _ensure_status(settlement, frozenset({S.settled}), "Signing off", "not_settled")
    record = await _current_record(session, campaign, settlement)
    record.signed_off_at = now
    record.signed_off_by_member_id = actor.member_id
    record.signed_off_by_api_key_id = actor.api_key_id
    record.sign_off_comment = comment
    settlement.status = S.signed_off
    await session.flush()
    return record


async def reopen(
    session: AsyncSession, *, campaign: Campaign, actor: Actor, reason: str, now: datetime
) -> SettlementRecord:
    """A correction after settlement: the record is closed with the reason (kept, with its
    sign-off, in the history), the expenses open again and verification starts over."""
    found = await policies.get_policy(session, workspace_id=campaign.workspace_id)
    policies.ensure_role(actor, found.finance_role, "Reopening the settlement", who="finance")
    _ensure_completed(campaign, "Reopening the settlement")
    settlement = await _settlement(session, campaign, create=True)
    assert settlement is not None
    _ensure_status(settlement, CLOSED, "Reopening", "not_settled")
    record = await _current_record(session, campaign, settlement)
    record.reopened_at = now
    record.reopened_by_member_id = actor.member_id
    record.reopened_by_api_key_id = actor.api_key_id
    record.reopen_reason = reason
    settlement.status = S.open
    settlement.current_record_number = None
    settlement.verified_at = None
    settlement.verified_by_member_id = None
    settlement.verified_by_api_key_id = None
    settlement.verified_expenses = None
    campaign.expenses_settled_at = None
    await session.flush()
    await activity.add_note(
        session,
        campaign=campaign,
        actor=actor,
        kind=activity.NoteKind.decision,
        note=f"Settlement {record.number} reopened for a correction: {reason}",
        related_task_ids=[],
    )
    return record
