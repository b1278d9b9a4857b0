"""Whether a silence covers an alert at a moment: its matchers and its weekly window."""

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.alerts.models import Alert, Silence


def in_window(silence: Silence, moment: datetime) -> bool:
    """Inside [starts_at, ends_at) and, for a recurring silence, inside the weekly window.

    A window whose end is not after its start runs past midnight (22:00-08:00); it
    belongs to the weekday it starts on, so Friday 22:00-08:00 covers Saturday 07:00.
    """
    if moment < silence.starts_at or (silence.ends_at is not None and moment >= silence.ends_at):
        return False
    if silence.window_start is None or silence.window_end is None:
        return True
    local = moment.astimezone(ZoneInfo(silence.timezone or "UTC"))
    days = silence.weekdays or list(range(7))
    start, end, now = silence.window_start, silence.window_end, local.time()
    if start < end:
        return local.weekday() in days and start <= now < end
    started_today = local.weekday() in days and now >= start
    started_yesterday = (local - timedelta(days=1)).weekday() in days and now < end
    return (
        started_today or started_yesterday or (start == end == time(0) and local.weekday() in days)
    )


def matches(silence: Silence, alert: Alert) -> bool:
    return (
        (silence.campaign_id is None or silence.campaign_id == alert.campaign_id)
        and (silence.rule_id is None or silence.rule_id == alert.rule_id)
        and (silence.channel is None or silence.channel == alert.channel)
        and (silence.severity is None or silence.severity == alert.severity)
        and all(alert.labels.get(k) == v for k, v in (silence.labels or {}).items())
    )


def covering(silences: Iterable[Silence], alert: Alert, moment: datetime) -> Silence | None:
    return next((s for s in silences if matches(s, alert) and in_window(s, moment)), None)
