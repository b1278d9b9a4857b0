"""Starting and stopping escalations, and sending the levels that are due.

Time comes in as `now` everywhere: the worker passes the clock, tests pass whatever
moment they need (4 hours later, 24 hours later) without sleeping.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.alerts.models import Alert, AlertStatus
from shared.campaigns.models import Campaign
from shared.escalations import levels as lv
from shared.escalations import targets
from shared.escalations.models import (
    Escalation,
    EscalationPolicy,
    EscalationStatus,
    EscalationStep,
)
from shared.events import kinds
from shared.ids import new_id
from shared.issues.models import Issue
from shared.notifications.models import NotificationEndpoint
from shared.notifications.service import enqueue_delivery
from shared.rules.models import Rule, Severity
from shared.tenancy import in_workspace


async def start_for_alert(
    session: AsyncSession, *, alert: Alert, rule: Rule, now: datetime
) -> Escalation | None:
    """Start the rule's policy (or the workspace default) on a firing alert; silenced
    alerts are muted, and an alert escalates once."""
    if alert.silenced:
        return None
    if rule.escalation_policy_id is not None:
        policy = await session.get(EscalationPolicy, rule.escalation_policy_id)
    else:
        policy = await session.scalar(
            in_workspace(EscalationPolicy, alert.workspace_id).where(EscalationPolicy.is_default)
        )
    if policy is None or policy.workspace_id != alert.workspace_id:
        return None
    first = lv.parse_levels(policy.levels)[0]
    # Alerts of a campaign firing close together go out together: a new one joins the
    # send time of a first level still waiting within the policy's grouping window.
    waiting = await session.scalar(
        select(func.min(Escalation.next_due_at)).where(
            Escalation.campaign_id == alert.campaign_id,
            Escalation.policy_id == policy.id,
            Escalation.status == EscalationStatus.active,
            Escalation.level == 0,
            Escalation.round == 0,
            Escalation.next_due_at > now,
            Escalation.started_at >= now - timedelta(seconds=policy.group_seconds),
        )
    )
    due = waiting or now + timedelta(minutes=first.after_minutes, seconds=policy.group_seconds)
    escalation_id = await session.scalar(
        insert(Escalation)
        .values(
            id=new_id(),
            workspace_id=alert.workspace_id,
            policy_id=policy.id,
            alert_id=alert.id,
            campaign_id=alert.campaign_id,
            status=EscalationStatus.active,
            level=0,
            round=0,
            next_due_at=due,
            started_at=now,
            version=1,
        )
        .on_conflict_do_nothing(index_elements=["alert_id"])
        .returning(Escalation.id)
    )
    return None if escalation_id is None else await session.get(Escalation, escalation_id)


async def stop_for_alert(
    session: AsyncSession, *, alert_id: uuid.UUID, reason: str, now: datetime
) -> None:
    escalation = await session.scalar(
        select(Escalation)
        .where(Escalation.alert_id == alert_id, Escalation.status == EscalationStatus.active)
        .with_for_update()
    )
    if escalation is not None:
        escalation.status, escalation.next_due_at = EscalationStatus.stopped, None
        escalation.ended_at, escalation.end_reason = now, reason


async def timeline(session: AsyncSession, *, alert_id: uuid.UUID) -> list[EscalationStep]:
    rows = await session.scalars(
        select(EscalationStep)
        .where(EscalationStep.alert_id == alert_id)
        .order_by(EscalationStep.at, EscalationStep.created_at)
    )
    return list(rows)


async def upcoming(session: AsyncSession, *, alert_id: uuid.UUID) -> list[lv.Upcoming]:
    """The levels the alert's active escalation has still to send, with their due times."""
    escalation = await session.scalar(
        select(Escalation).where(
            Escalation.alert_id == alert_id, Escalation.status == EscalationStatus.active
        )
    )
    if escalation is None or escalation.next_due_at is None:
        return []
    policy = await session.get(EscalationPolicy, escalation.policy_id)
    campaign = await session.get(Campaign, escalation.campaign_id)
    alert = await session.get(Alert, alert_id)
    if policy is None or campaign is None or alert is None:
        return []
    levels = lv.parse_levels(policy.levels)
    if escalation.level >= len(levels):
        return []
    return lv.upcoming(
        levels,
        level=escalation.level,
        round_=escalation.round,
        due_at=escalation.next_due_at,
        repeat=policy.repeat,
        repeat_after_minutes=policy.repeat_after_minutes,
        zone=ZoneInfo(campaign.timezone),
        critical=alert.severity == Severity.critical,
    )


async def process_due(session: AsyncSession, *, now: datetime, limit: int = 100) -> int:
    """Send every level that is due. Claimed with SKIP LOCKED: a second worker takes
    other escalations, never the same level; the deliveries are written in this
    transaction, so a worker killed before the commit leaves the level due again."""
    due = (
        await session.scalars(
            select(Escalation)
            .where(Escalation.status == EscalationStatus.active, Escalation.next_due_at <= now)
            .order_by(Escalation.next_due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    owed: list[_Owed] = []
    for escalation in due:
        owed += await _advance(session, escalation, now)
    # One notification per receiver for the alerts of a campaign that came due together
    # (they were aligned on the first one's send time when they started).
    groups: dict[tuple[uuid.UUID, uuid.UUID, int, int], list[_Owed]] = {}
    for item in owed:
        key = (item.endpoint.id, item.campaign.id, item.level, item.round)
        groups.setdefault(key, []).append(item)
    for items in groups.values():
        first = min(items, key=lambda i: i.escalation.id)
        delivery = await enqueue_delivery(
            session,
            endpoint=first.endpoint,
            event_kind=kinds.ALERT_ESCALATED,
            payload=_group_payload(items),
            dedup_key=f"escalation:{first.escalation.id}:{first.round}:{first.level}",
            now=now,
        )
        for item in items:
            _step(session, item.escalation, item.level, item.round, now, "notified", item.label,
                  endpoint_id=item.endpoint.id, delivery_id=delivery.id)  # fmt: skip
    await session.flush()
    return len(due)


@dataclass(frozen=True)
class _Owed:
    """A notification a level owes, before it is grouped with its campaign's others."""

    escalation: Escalation
    alert: Alert
    campaign: Campaign
    level: int
    round: int
    label: str
    endpoint: NotificationEndpoint


def _step(
    session: AsyncSession,
    escalation: Escalation,
    level: int,
    round_: int,
    now: datetime,
    action: str,
    target: str,
    **more: Any,
) -> None:
    session.add(
        EscalationStep(
            workspace_id=escalation.workspace_id,
            escalation_id=escalation.id,
            alert_id=escalation.alert_id,
            level=level,
            round=round_,
            at=now,
            action=action,
            target=target,
            **more,
        )
    )


async def _advance(session: AsyncSession, escalation: Escalation, now: datetime) -> list[_Owed]:
    alert = await session.get(Alert, escalation.alert_id)
    policy = await session.get(EscalationPolicy, escalation.policy_id)
    campaign = await session.get(Campaign, escalation.campaign_id)
    if alert is None or policy is None or campaign is None or alert.status == AlertStatus.resolved:
        escalation.status, escalation.next_due_at = EscalationStatus.stopped, None
        escalation.ended_at, escalation.end_reason = now, "the alert resolved"
        return []
    levels = lv.parse_levels(policy.levels)
    if escalation.level >= len(levels):  # the policy lost levels while this one ran
        escalation.status, escalation.next_due_at = EscalationStatus.finished, None
        escalation.ended_at, escalation.end_reason = now, "the policy has no further level"
        return []
    level, at_level, at_round = levels[escalation.level], escalation.level, escalation.round

    def step(action: str, target: str, **more: Any) -> None:
        _step(session, escalation, at_level, at_round, now, action, target, **more)

    skip = await _skip_reason(session, level, alert)
    if skip is None and level.working_hours is not None:
        overridden = level.critical_overrides and alert.severity == Severity.critical
        zone = lv.hours_zone(level, ZoneInfo(campaign.timezone))
        opens = lv.next_window(level.working_hours, zone, now)
        if opens > now and not overridden:
            escalation.next_due_at = opens
            step(
                "waiting", "working hours", note=f"outside working hours until {opens.isoformat()}"
            )
            return []
    owed = []
    if skip is not None:
        step("skipped", "level", note=skip)
    else:
        subject = targets.Subject(campaign, alert=alert)
        for label, endpoint in await targets.reach(session, level.targets, subject):
            if endpoint is None:
                step("unreachable", label, note="no enabled personal endpoint")
            else:
                owed.append(_Owed(escalation, alert, campaign, at_level, at_round, label, endpoint))
    _next(escalation, levels, policy, now)
    return owed


async def _skip_reason(session: AsyncSession, level: lv.Level, alert: Alert) -> str | None:
    if level.unless == "acknowledged":
        if alert.status == AlertStatus.acknowledged:
            return "acknowledged"
        return None
    issue = await session.scalar(select(Issue).where(Issue.alert_id == alert.id))
    if issue is None:
        return "no issue to plan for"
    return "the issue has an action plan" if issue.action_plan else None


def _next(
    escalation: Escalation, levels: list[lv.Level], policy: EscalationPolicy, now: datetime
) -> None:
    if escalation.level + 1 < len(levels):
        escalation.level += 1
        gap = levels[escalation.level].after_minutes
    elif escalation.round + 1 < policy.repeat:
        escalation.level, escalation.round = 0, escalation.round + 1
        gap = policy.repeat_after_minutes
    else:
        escalation.status, escalation.next_due_at = EscalationStatus.finished, None
        escalation.ended_at, escalation.end_reason = now, "every level went out"
        return
    escalation.next_due_at = now + timedelta(minutes=gap)


SEVERITY_ORDER = [Severity.info, Severity.warning, Severity.critical]


def _group_payload(items: list[_Owed]) -> dict[str, Any]:
    first = items[0]
    if len(items) == 1:
        return _payload(first.alert, first.campaign, first.level, first.round)
    alerts = [_payload(i.alert, i.campaign, i.level, i.round) for i in items]
    worst = max((i.alert.severity for i in items), key=SEVERITY_ORDER.index)
    return {
        "subject_type": "campaign",
        "subject_id": str(first.campaign.id),
        "campaign_id": str(first.campaign.id),
        "campaign_name": first.campaign.name,
        "severity": worst.value,
        "message": f"{len(items)} alerts: " + "; ".join(i.alert.message for i in items),
        "escalation_level": first.level + 1,
        "escalation_round": first.round + 1,
        "alerts": alerts,
    }


def _payload(alert: Alert, campaign: Campaign, level: int, round_: int) -> dict[str, Any]:
    return {
        "subject_type": "alert",
        "subject_id": str(alert.id),
        "fingerprint": alert.fingerprint,
        "campaign_id": str(campaign.id),
        "campaign_name": campaign.name,
        "severity": alert.severity.value,
        "status": alert.status.value,
        "channel": alert.channel,
        "message": alert.message,
        "value": None if alert.value is None else str(alert.value),
        "threshold": None if alert.threshold is None else str(alert.threshold),
        "escalation_level": level + 1,
        "escalation_round": round_ + 1,
    }
