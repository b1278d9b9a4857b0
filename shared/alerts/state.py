"""What findings do to alerts: pending, firing, resolved; events and issues on the way.

Evaluations of one rule on one campaign are serialised by a transaction-level advisory
lock, so two workers looking at once take turns: the second sees the first's alert and
counts its own breach on it. The partial unique index on open fingerprints is the
guarantee underneath: no code path can open a second alert for the same thing.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.actor import Actor
from shared.alerts import silences as silencing
from shared.alerts.models import OPEN, Alert, AlertStatus, AlertTransition, Silence
from shared.campaigns.models import Campaign
from shared.events import kinds
from shared.events.service import record_event
from shared.rules.evaluate import Finding
from shared.rules.models import Condition, Rule


def fingerprint(rule: Rule, campaign: Campaign, subject: str) -> str:
    return f"{rule.id}:{campaign.id}:{subject}"


async def lock(session: AsyncSession, rule: Rule, campaign: Campaign) -> None:
    await session.execute(
        select(
            func.pg_advisory_xact_lock(func.hashtext(str(rule.id)), func.hashtext(str(campaign.id)))
        )
    )


async def open_alerts(session: AsyncSession, rule: Rule, campaign: Campaign) -> dict[str, Alert]:
    rows = await session.scalars(
        select(Alert)
        .where(Alert.rule_id == rule.id, Alert.campaign_id == campaign.id, Alert.status.in_(OPEN))
        .execution_options(populate_existing=True)  # as it is now that we hold the lock
    )
    return {alert.subject: alert for alert in rows}


async def open_on_campaign(session: AsyncSession, campaign: Campaign) -> set[tuple[uuid.UUID, str]]:
    """(rule, subject) of every open alert of the campaign: read once per evaluation."""
    rows = await session.execute(
        select(Alert.rule_id, Alert.subject).where(
            Alert.campaign_id == campaign.id, Alert.status.in_(OPEN)
        )
    )
    return {(rule_id, subject) for rule_id, subject in rows}


def worth_recording(
    rule: Rule, findings: list[Finding], open_now: set[tuple[uuid.UUID, str]]
) -> bool:
    """Whether the findings can change anything. Most rules, most of the time, find
    nothing wrong and have nothing open: they are skipped without a lock or a write.
    Skipping on a slightly old view is safe: a clear finding with no open alert has
    nothing to do whatever another worker just did, and it does its own recording."""
    return any(
        f.state == "breached" or (f.state == "clear" and (rule.id, f.subject) in open_now)
        for f in findings
    )


async def inhibiting_channels(session: AsyncSession, campaign: Campaign) -> set[str]:
    """Channels with a firing no-data alert: other alerts computed from their missing
    figures would only repeat it (one cause, one alert)."""
    rows = await session.scalars(
        select(Alert.channel)
        .join(Rule, Rule.id == Alert.rule_id)
        .where(
            Alert.campaign_id == campaign.id,
            Alert.status.in_((AlertStatus.firing, AlertStatus.acknowledged)),
            Alert.channel.is_not(None),
            Rule.condition == Condition.no_data,
        )
    )
    return {channel for channel in rows if channel}


def inhibit(rule: Rule, findings: list[Finding], channels: set[str]) -> list[Finding]:
    if rule.condition == Condition.no_data or not channels:
        return findings
    return [
        Finding(f.subject, "inhibited", f.value, f.threshold, f"no data on {f.channel}", f.channel)
        if f.channel in channels and f.state == "breached"
        else f
        for f in findings
    ]


async def record(
    session: AsyncSession,
    *,
    rule: Rule,
    campaign: Campaign,
    findings: list[Finding],
    now: datetime,
    active_silences: Sequence[Silence],
) -> list[Alert]:
    """Apply one evaluation's findings (already `inhibit`ed); returns the alerts that
    changed state."""
    await lock(session, rule, campaign)
    alerts = await open_alerts(session, rule, campaign)
    changed = []
    for finding in findings:
        alert = alerts.get(finding.subject)
        if finding.state == "breached":
            if alert is None:
                alert = _new(rule, campaign, finding, now)
                session.add(alert)
                await _transition(session, alert, None, AlertStatus.pending, now)
                changed.append(alert)
            alert.last_seen_at, alert.value, alert.threshold = now, finding.value, finding.threshold
            alert.message = finding.message or alert.message
            alert.breaches += 1
            alert.consecutive += 1
            alert.clear_since = None
            held = now - alert.first_seen_at >= timedelta(minutes=rule.hold_minutes)
            if (
                alert.status == AlertStatus.pending
                and held
                and alert.consecutive >= rule.hold_evaluations
            ):
                silence = silencing.covering(active_silences, alert, now)
                alert.silenced = silence is not None
                alert.silence_id = silence.id if silence is not None else None
                await fire(session, alert, now)
                changed.append(alert)
        elif finding.state == "clear" and alert is not None:
            alert.consecutive = 0
            if alert.status == AlertStatus.pending:
                await resolve(session, alert, now, note="cleared before it fired", actor=None)
                changed.append(alert)
            elif rule.auto_resolve:
                alert.clear_since = alert.clear_since or now
                if now - alert.clear_since >= timedelta(minutes=rule.clear_minutes):
                    await resolve(session, alert, now, note="recovered", actor=None)
                    changed.append(alert)
    await session.flush()
    return list(dict.fromkeys(changed))  # an alert opened and fired at once is one change


def _new(rule: Rule, campaign: Campaign, finding: Finding, now: datetime) -> Alert:
    return Alert(
        workspace_id=campaign.workspace_id,
        rule_id=rule.id,
        campaign_id=campaign.id,
        subject=finding.subject,
        channel=finding.channel,
        task_id=finding.task_id,
        fingerprint=fingerprint(rule, campaign, finding.subject),
        status=AlertStatus.pending,
        severity=rule.severity,
        message=finding.message,
        labels=dict(rule.labels or {}),
        first_seen_at=now,
        last_seen_at=now,
        breaches=0,
        consecutive=0,
        silenced=False,
    )


async def _transition(
    session: AsyncSession,
    alert: Alert,
    before: AlertStatus | None,
    after: AlertStatus,
    now: datetime,
    *,
    actor: Actor | None = None,
    note: str | None = None,
) -> None:
    alert.status = after
    await session.flush()  # the alert's id and row exist before its history refers to them
    session.add(
        AlertTransition(
            workspace_id=alert.workspace_id,
            alert_id=alert.id,
            from_status=before,
            to_status=after,
            at=now,
            value=alert.value,
            threshold=alert.threshold,
            api_key_id=actor.api_key_id if actor else None,
            member_id=actor.member_id if actor else None,
            note=note,
        )
    )


async def _alert_event(
    session: AsyncSession,
    alert: Alert,
    kind: str,
    actor: Actor | None = None,
    **extra: str | None,
) -> None:
    data: dict[str, object] = {
        "rule_id": str(alert.rule_id),
        "severity": alert.severity.value,
        "status": alert.status.value,
        "subject": alert.subject,
        "channel": alert.channel,
        "value": None if alert.value is None else str(alert.value),
        "threshold": None if alert.threshold is None else str(alert.threshold),
        "message": alert.message,
        "silenced": alert.silenced,
    }
    await record_event(
        session,
        workspace_id=alert.workspace_id,
        kind=kind,
        subject_type="alert",
        subject_id=alert.id,
        campaign_id=alert.campaign_id,
        actor=actor,
        data=data | extra,
    )


async def fire(session: AsyncSession, alert: Alert, now: datetime) -> None:
    """Pending -> firing. What follows (escalation, issue) reacts to the event: see
    `shared/reactions/alerts.py`."""
    alert.fired_at = now
    await _transition(session, alert, AlertStatus.pending, AlertStatus.firing, now)
    await _alert_event(session, alert, kinds.ALERT_FIRED)


async def resolve(
    session: AsyncSession, alert: Alert, now: datetime, *, note: str | None, actor: Actor | None
) -> None:
    before = alert.status
    alert.resolved_at, alert.resolve_note, alert.clear_since = now, note, None
    await _transition(session, alert, before, AlertStatus.resolved, now, actor=actor, note=note)
    if before == AlertStatus.pending:
        return  # it never fired: nobody was told, nothing to tell, nothing escalates
    await _alert_event(session, alert, kinds.ALERT_RESOLVED, actor, note=note)


async def acknowledge(
    session: AsyncSession, alert: Alert, now: datetime, actor: Actor, comment: str | None
) -> None:
    alert.acknowledged_at = now
    await _transition(
        session, alert, AlertStatus.firing, AlertStatus.acknowledged, now, actor=actor, note=comment
    )
    await _alert_event(session, alert, kinds.ALERT_ACKNOWLEDGED, actor, comment=comment)
