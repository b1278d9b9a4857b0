"""What findings do to alerts: pending, firing, resolved; events and issues on the way.

Evaluations of one rule on one campaign are serialised by a transaction-level advisory
lock, so two workers looking at once take turns: the second sees the first's alert and
counts its own breach on it. The partial unique index on open fingerprints is the
guarantee underneath: no code path can open a second alert for the same thing.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import DateTime, Integer, Text, Uuid, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from shared.actor import Actor
from shared.alerts import silences as silencing
from shared.alerts.models import OPEN, Alert, AlertStatus, AlertTransition, Silence
from shared.campaigns.models import Campaign
from shared.events import kinds
from shared.events.service import record_event
from shared.ids import new_id
from shared.rules.evaluate import Finding
from shared.rules.models import Condition, Rule


def fingerprint(rule: Rule, campaign: Campaign, subject: str) -> str:
    return f"{rule.id}:{campaign.id}:{subject}"


_LOCK = text(
    "SELECT count(pg_advisory_xact_lock(hashtext(rule_id), hashtext(campaign_id))) "
    "FROM unnest(CAST(:campaign_ids AS text[]), CAST(:rule_ids AS text[])) "
    "AS watched(campaign_id, rule_id)"  # taken in the arrays' order
)


async def lock(session: AsyncSession, pairs: Iterable[tuple[Campaign, Rule]]) -> None:
    """Take the (rule, campaign) locks in one statement, ordered by campaign then rule id:
    every evaluation takes them in that order, so two workers never wait on each other
    crosswise."""
    ordered = sorted({(str(campaign.id), str(rule.id)) for campaign, rule in pairs})
    await session.execute(
        _LOCK,
        {"campaign_ids": [c for c, _ in ordered], "rule_ids": [r for _, r in ordered]},
    )


async def open_alerts(
    session: AsyncSession, pairs: Iterable[tuple[Campaign, Rule]]
) -> dict[tuple[uuid.UUID, uuid.UUID, str], Alert]:
    """The open alerts of these rules on these campaigns, by (campaign, rule, subject)."""
    pairs = list(pairs)
    rows = await session.scalars(
        select(Alert)
        .where(
            Alert.campaign_id.in_({campaign.id for campaign, _ in pairs}),
            Alert.rule_id.in_({rule.id for _, rule in pairs}),
            Alert.status.in_(OPEN),
        )
        .execution_options(populate_existing=True)  # as it is now that we hold the locks
    )
    return {(a.campaign_id, a.rule_id, a.subject): a for a in rows}


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


@dataclass(frozen=True)
class Evaluated:
    """One campaign's evaluations worth recording: each rule with its findings."""

    campaign: Campaign
    evaluations: list[tuple[Rule, list[Finding]]]
    active_silences: Sequence[Silence]


async def record(
    session: AsyncSession, *, evaluated: Sequence[Evaluated], now: datetime
) -> list[Alert]:
    """Apply the findings (already `inhibit`ed) of these campaigns' evaluations under
    their locks; returns the alerts that changed state. The locks, the open alerts and
    the breaches counted again take one statement each for all the campaigns: the minute
    sweep records a chunk of campaigns at once."""
    pairs = [(e.campaign, rule) for e in evaluated for rule, _ in e.evaluations]
    if not pairs:
        return []
    await lock(session, pairs)
    alerts = await open_alerts(session, pairs)
    changed: list[Alert] = []
    seen_again: list[tuple[Alert, Finding]] = []
    for found in evaluated:
        campaign = found.campaign
        for rule, findings in found.evaluations:
            for finding in findings:
                alert = alerts.get((campaign.id, rule.id, finding.subject))
                if alert is not None and _breached_again(rule, finding, alert, now):
                    seen_again.append((alert, finding))
                    continue
                changed += await _apply(
                    session, rule, campaign, finding, alert, now, found.active_silences
                )
    await session.flush()
    await _count_seen_again(session, seen_again, now)
    return list(dict.fromkeys(changed))  # an alert opened and fired at once is one change


def _breached_again(rule: Rule, finding: Finding, alert: Alert, now: datetime) -> bool:
    """A breach of an open alert that does not fire it: counted, nothing else changes."""
    return finding.state == "breached" and not _fires(rule, alert, now, alert.consecutive + 1)


def _fires(rule: Rule, alert: Alert, now: datetime, consecutive: int) -> bool:
    """Whether a pending alert breached `consecutive` times in a row fires: held long
    enough and often enough."""
    return (
        alert.status == AlertStatus.pending
        and now - alert.first_seen_at >= timedelta(minutes=rule.hold_minutes)
        and consecutive >= rule.hold_evaluations
    )


_SEEN_AGAIN = text(
    """
    UPDATE alerts SET
        last_seen_at = :now, value = seen.value, threshold = seen.threshold,
        message = coalesce(nullif(seen.message, ''), alerts.message),
        breaches = alerts.breaches + 1, consecutive = alerts.consecutive + 1,
        clear_since = NULL, version = alerts.version + 1, updated_at = now()
    FROM unnest(
        CAST(:ids AS uuid[]), CAST(:versions AS integer[]),
        CAST(:values AS numeric[]), CAST(:thresholds AS numeric[]), CAST(:messages AS text[])
    ) AS seen(id, version, value, threshold, message)
    WHERE alerts.id = seen.id AND alerts.version = seen.version
    RETURNING alerts.id, alerts.message, alerts.breaches, alerts.consecutive, alerts.version,
        alerts.updated_at
    """
).columns(
    id=Uuid,
    message=Text,
    breaches=Integer,
    consecutive=Integer,
    version=Integer,
    updated_at=DateTime(timezone=True),
)


async def _count_seen_again(
    session: AsyncSession, seen_again: list[tuple[Alert, Finding]], now: datetime
) -> None:
    """Open alerts breached again without changing state (the usual minute of a firing
    alert): one statement for all of them instead of an ORM UPDATE each, under the same
    version check (a person's acknowledgement in between is not overwritten: the
    evaluation fails with `StaleDataError` and is tried again)."""
    if not seen_again:
        return
    rows = await session.execute(
        _SEEN_AGAIN,
        {
            "now": now,
            "ids": [alert.id for alert, _ in seen_again],
            "versions": [alert.version for alert, _ in seen_again],
            "values": [finding.value for _, finding in seen_again],
            "thresholds": [finding.threshold for _, finding in seen_again],
            "messages": [finding.message for _, finding in seen_again],
        },
    )
    updated = {row.id: row for row in rows}
    for alert, finding in seen_again:
        row = updated.get(alert.id)
        if row is None:
            raise StaleDataError(f"alert {alert.id} changed while it was evaluated")
        fresh = {
            "last_seen_at": now,
            "value": finding.value,
            "threshold": finding.threshold,
            "message": row.message,
            "breaches": row.breaches,
            "consecutive": row.consecutive,
            "clear_since": None,
            "version": row.version,
            "updated_at": row.updated_at,
        }
        for name, value in fresh.items():  # the session's copy as the row now is
            set_committed_value(alert, name, value)


async def _apply(
    session: AsyncSession,
    rule: Rule,
    campaign: Campaign,
    finding: Finding,
    alert: Alert | None,
    now: datetime,
    active_silences: Sequence[Silence],
) -> list[Alert]:
    """One finding that opens, fires, clears or resolves an alert; returns those changed."""
    changed = []
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
        if _fires(rule, alert, now, alert.consecutive):
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
    return changed


def _new(rule: Rule, campaign: Campaign, finding: Finding, now: datetime) -> Alert:
    return Alert(
        id=new_id(),  # known before the flush: its first transition refers to it
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
