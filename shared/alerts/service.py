"""Watching campaigns (rules evaluated into alerts), and what people do with alerts."""

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import jobs
from shared.actor import Actor
from shared.alerts import state
from shared.alerts.models import Alert, AlertStatus, AlertTransition, Silence
from shared.campaigns.models import Campaign, CampaignStatus
from shared.errors import Conflict, FieldError, Invalid
from shared.metrics import service as metrics
from shared.metrics.models import Metric
from shared.pagination import PageRequest, Results, SortKey, paginate
from shared.rules import conditions
from shared.rules import service as rules
from shared.rules.evaluate import Context, evaluate, wanted_metrics
from shared.rules.models import Rule
from shared.tenancy import get_in_workspace, in_workspace

logger = structlog.get_logger(__name__)
# The worker's job that runs `watch_campaign` on its own: named here, beside what it runs,
# and registered under this name by services/worker/jobs/alerts.py.
WATCH_JOB = "watch_campaign"


async def active_silences(
    session: AsyncSession, workspace_id: uuid.UUID, now: datetime
) -> list[Silence]:
    return list(
        await session.scalars(
            in_workspace(Silence, workspace_id).where(
                Silence.starts_at <= now, or_(Silence.ends_at.is_(None), Silence.ends_at > now)
            )
        )
    )


def watch_later(session: AsyncSession, touched: Mapping[uuid.UUID, Iterable[str]]) -> None:
    """Have the rules reading these figures (campaign -> metric keys) look again once
    the transaction has committed them: a watch job per campaign."""
    for campaign_id, metric_keys in touched.items():
        jobs.enqueue(session, WATCH_JOB, campaign_id=str(campaign_id), metrics=sorted(metric_keys))


@dataclass(frozen=True)
class Watch:
    """What evaluating one campaign reads besides its figures: read once per campaign
    after a batch, and once per chunk of campaigns by the minute sweep."""

    dictionary: dict[str, Metric]
    silences: list[Silence]
    rules: list[Rule]
    open_now: set[tuple[uuid.UUID, str]]
    inhibited: set[str]
    cache: dict[object, Any] = field(default_factory=dict)  # Context.cache, prefilled


async def watch_campaign(
    session: AsyncSession,
    *,
    campaign_id: uuid.UUID,
    now: datetime,
    touched_metrics: Iterable[str] | None = None,
) -> list[Alert]:
    """Evaluate the campaign's rules (only those reading `touched_metrics` when given:
    after a batch) and move its alerts. An inactive campaign raises nothing."""
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None or campaign.status != CampaignStatus.active:
        return []
    watch = await watch_of(session, campaign, now)
    return await evaluate_campaign(
        session, campaign=campaign, watch=watch, now=now, touched_metrics=touched_metrics
    )


async def watch_of(session: AsyncSession, campaign: Campaign, now: datetime) -> Watch:
    """What one campaign's evaluation reads, read for it alone (its figures as its rules
    ask for them)."""
    return Watch(
        dictionary=await metrics.dictionary(session, workspace_id=campaign.workspace_id),
        silences=await active_silences(session, campaign.workspace_id, now),
        rules=await rules.rules_for(session, campaign),
        open_now=await state.open_on_campaign(session, campaign),
        inhibited=await state.inhibiting_channels(session, campaign),
    )


async def evaluate_campaign(
    session: AsyncSession,
    *,
    campaign: Campaign,
    watch: Watch,
    now: datetime,
    touched_metrics: Iterable[str] | None = None,
) -> list[Alert]:
    found = await findings_of(
        session, campaign=campaign, watch=watch, now=now, touched_metrics=touched_metrics
    )
    return await state.record(session, evaluated=[found], now=now)


async def findings_of(
    session: AsyncSession,
    *,
    campaign: Campaign,
    watch: Watch,
    now: datetime,
    touched_metrics: Iterable[str] | None = None,
) -> state.Evaluated:
    """The campaign's rules evaluated (read-only), keeping the findings that can change
    an alert."""
    dictionary = watch.dictionary
    touched = set(touched_metrics) if touched_metrics is not None else None
    parsed = [(rule, conditions.parse(rule.condition, rule.params)) for rule in watch.rules]
    watching = [
        (rule, params)
        for rule, params in parsed
        if touched is None or rules.reads(rule, params, dictionary) & touched
    ]
    context = Context(campaign, dictionary, now, wanted_metrics(watching, dictionary), watch.cache)
    evaluations = []
    for rule, params in watching:
        findings = state.inhibit(
            rule, await evaluate(session, rule, params, context), watch.inhibited
        )
        if state.worth_recording(rule, findings, watch.open_now):
            evaluations.append((rule, findings))
    return state.Evaluated(campaign, evaluations, watch.silences)


# --- alerts, as people see them ------------------------------------------------------------


async def get_alert(
    session: AsyncSession, *, workspace_id: uuid.UUID, alert_id: uuid.UUID, lock: bool = False
) -> Alert:
    alert = await get_in_workspace(
        session, Alert, workspace_id=workspace_id, entity_id=alert_id, label="Alert"
    )
    if lock:
        await session.refresh(alert, with_for_update=True)
    return alert


async def transitions(session: AsyncSession, alert: Alert) -> list[AlertTransition]:
    rows = await session.scalars(
        select(AlertTransition)
        .where(AlertTransition.alert_id == alert.id)
        .order_by(AlertTransition.at, AlertTransition.created_at)
    )
    return list(rows)


async def list_alerts(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    page: PageRequest,
    filters: dict[str, Any],
) -> Results[Alert]:
    query = in_workspace(Alert, workspace_id)
    for name in ("campaign_id", "rule_id", "channel"):
        if filters.get(name) is not None:
            query = query.where(getattr(Alert, name) == filters[name])
    if filters.get("status"):
        query = query.where(Alert.status.in_(filters["status"]))
    if filters.get("severity"):
        query = query.where(Alert.severity.in_(filters["severity"]))
    if filters.get("since") is not None:
        query = query.where(Alert.last_seen_at >= filters["since"])
    if filters.get("until") is not None:
        query = query.where(Alert.first_seen_at < filters["until"])
    if filters.get("silenced") is not None:
        query = query.where(Alert.silenced == filters["silenced"])
    sort = SortKey("first_seen_at", Alert.first_seen_at, "datetime", descending=True)
    return await paginate(session, query, Alert, page, sort)


async def acknowledge(
    session: AsyncSession, *, alert: Alert, actor: Actor, now: datetime, comment: str | None = None
) -> Alert:
    if alert.status != AlertStatus.firing:
        raise Conflict(
            f"Only a firing alert can be acknowledged; this one is {alert.status.value}.",
            code="alert_not_firing",
        )
    await state.acknowledge(session, alert, now, actor, comment)
    await session.flush()
    return alert


async def resolve(
    session: AsyncSession, *, alert: Alert, actor: Actor, note: str, now: datetime
) -> Alert:
    if alert.status == AlertStatus.resolved:
        raise Conflict("The alert is already resolved.", code="alert_resolved")
    await state.resolve(session, alert, now, note=note, actor=actor)
    await session.flush()
    return alert


# --- silences ------------------------------------------------------------------------------


def _check_silence(silence: Silence) -> None:
    errors = []
    if silence.ends_at is not None and silence.ends_at <= silence.starts_at:
        errors.append(FieldError("ends_at", "must be after starts_at"))
    windowed = [silence.window_start, silence.window_end]
    if any(w is None for w in windowed) and not all(w is None for w in windowed):
        errors.append(FieldError("window_end", "give both window_start and window_end"))
    if silence.weekdays and silence.window_start is None:
        errors.append(FieldError("weekdays", "weekdays need a window_start and window_end"))
    if silence.window_start is not None and silence.timezone is None:
        errors.append(FieldError("timezone", "a daily window needs its timezone"))
    if errors:
        raise Invalid("The silence is not valid.", errors)


async def create_silence(
    session: AsyncSession, *, workspace_id: uuid.UUID, data: dict[str, Any], actor: Actor
) -> Silence:
    for name, model, label in (
        ("campaign_id", Campaign, "Campaign"),
        ("rule_id", Rule, "Rule"),
    ):
        if data.get(name) is not None:
            await get_in_workspace(
                session, model, workspace_id=workspace_id, entity_id=data[name], label=label
            )
    silence = Silence(
        workspace_id=workspace_id,
        created_by_api_key_id=actor.api_key_id,
        created_by_member_id=actor.member_id,
        **data,
    )
    _check_silence(silence)
    session.add(silence)
    await session.flush()
    return silence


async def end_silence(session: AsyncSession, *, silence: Silence, now: datetime) -> Silence:
    """Silences are ended, not deleted: what was muted, and why, stays on record."""
    if silence.ends_at is None or silence.ends_at > now:
        silence.ends_at = max(now, silence.starts_at)
    await session.flush()
    return silence


async def get_silence(
    session: AsyncSession, *, workspace_id: uuid.UUID, silence_id: uuid.UUID
) -> Silence:
    return await get_in_workspace(
        session, Silence, workspace_id=workspace_id, entity_id=silence_id, label="Silence"
    )


async def list_silences(
    session: AsyncSession, *, workspace_id: uuid.UUID, page: PageRequest, active_at: datetime | None
) -> Results[Silence]:
    query = in_workspace(Silence, workspace_id)
    if active_at is not None:
        query = query.where(
            Silence.starts_at <= active_at,
            or_(Silence.ends_at.is_(None), Silence.ends_at > active_at),
        )
    sort = SortKey("starts_at", Silence.starts_at, "datetime", descending=True)
    return await paginate(session, query, Silence, page, sort)
