"""When a silence covers an alert: matchers, its period, and weekly windows."""

import uuid
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from shared.alerts.models import Alert, Silence
from shared.alerts.silences import covering, in_window, matches
from shared.rules.models import Severity

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2024, 6, 1, tzinfo=UTC)


def silence(**fields: object) -> Silence:
    return Silence(**({"id": uuid.uuid4(), "starts_at": START, "labels": {}} | fields))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A Shanghai time in June 2024 (June 7 is a Friday)."""
    return datetime(2024, 6, day, hour, minute, tzinfo=SHANGHAI)


def test_a_night_window_runs_past_midnight_and_belongs_to_the_day_it_starts():
    nights = silence(
        weekdays=[4], window_start=time(22), window_end=time(8), timezone="Asia/Shanghai"
    )
    assert in_window(nights, at(7, 22))  # Friday 22:00
    assert in_window(nights, at(8, 7, 59))  # Saturday 07:59: Friday's night
    assert not in_window(nights, at(8, 8))  # Saturday 08:00: over
    assert not in_window(nights, at(8, 22))  # Saturday night: not a listed day
    assert not in_window(nights, at(7, 21, 59))


def test_a_day_window_and_the_silence_period():
    store_closed = silence(
        window_start=time(9), window_end=time(10), timezone="Asia/Shanghai",
        ends_at=datetime(2024, 6, 10, tzinfo=UTC),
    )  # fmt: skip
    assert in_window(store_closed, at(5, 9, 30))
    assert not in_window(store_closed, at(5, 10))
    assert not in_window(store_closed, at(12, 9, 30))  # after ends_at
    assert not in_window(store_closed, datetime(2024, 5, 31, 9, 30, tzinfo=SHANGHAI))
    assert in_window(silence(), at(3, 3))  # no window: the whole period


def test_every_matcher_given_must_match():
    campaign, rule = uuid.uuid4(), uuid.uuid4()
    alert = Alert(
        campaign_id=campaign,
        rule_id=rule,
        channel="offline_store",
        severity=Severity.warning,
        labels={"team": "retail", "region": "east"},
    )
    assert matches(silence(campaign_id=campaign, channel="offline_store"), alert)
    assert matches(silence(labels={"team": "retail"}), alert)
    assert not matches(silence(labels={"team": "online"}), alert)
    assert not matches(silence(campaign_id=campaign, severity=Severity.critical), alert)
    assert not matches(silence(rule_id=uuid.uuid4()), alert)
    chosen = silence(channel="offline_store")
    assert covering([silence(channel="social_feed"), chosen], alert, at(3, 3)) is chosen
