"""The levels still to come of an escalation: due times through working hours and repeats."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from shared.escalations import levels as lv

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = {"weekdays": [0, 1, 2, 3, 4], "start": "09:00:00", "end": "18:00:00"}


def plan(raw: list[dict[str, object]], due: datetime, **options: object) -> list[lv.Upcoming]:
    settings = {"repeat": 1, "repeat_after_minutes": 60, "zone": SHANGHAI, "critical": False}
    return lv.upcoming(
        lv.parse_levels(raw),
        level=0,
        round_=0,
        due_at=due,
        **(settings | options),  # type: ignore[arg-type]
    )


def test_each_level_counts_from_when_the_previous_one_goes_out():
    friday_evening = datetime(2024, 6, 7, 17, 30, tzinfo=SHANGHAI)
    ahead = plan(
        [
            {"after_minutes": 0, "targets": [{"type": "role", "role": "campaign_owner"}]},
            {
                "after_minutes": 60,
                "targets": [{"type": "role", "role": "first_approver"}],
                "working_hours": OFFICE,
                "critical_overrides": True,
            },
            {"after_minutes": 30, "targets": [{"type": "role", "role": "final_approver"}]},
        ],
        friday_evening,
    )
    monday_nine = datetime(2024, 6, 10, 9, 0, tzinfo=SHANGHAI)
    assert [(u.level, u.due_at) for u in ahead] == [
        (0, friday_evening),
        (1, monday_nine),  # due 18:30 on Friday, held to Monday's window
        (2, monday_nine + timedelta(minutes=30)),
    ]
    assert "held to working hours until 2024-06-10T01:00:00+00:00" in ahead[1].note
    assert ahead[1].targets == "first_approver"


def test_a_critical_alert_passes_working_hours_when_the_level_lets_it():
    saturday = datetime(2024, 6, 8, 23, 0, tzinfo=UTC)
    raw = [{"after_minutes": 0, "targets": [{"type": "role", "role": "campaign_owner"}],
            "working_hours": OFFICE}]  # fmt: skip
    assert plan(raw, saturday, critical=True)[0].due_at == saturday
    assert plan(raw, saturday, critical=False)[0].due_at > saturday


def test_repeated_rounds_follow_the_last_level():
    start = datetime(2024, 6, 10, 10, 0, tzinfo=UTC)
    raw = [
        {"after_minutes": 0, "targets": [{"type": "role", "role": "campaign_owner"}]},
        {"after_minutes": 240, "targets": [{"type": "role", "role": "approvers"}]},
    ]
    ahead = plan(raw, start, repeat=2, repeat_after_minutes=60)
    assert [(u.round, u.level, u.due_at - start) for u in ahead] == [
        (0, 0, timedelta(0)),
        (0, 1, timedelta(hours=4)),
        (1, 0, timedelta(hours=5)),
        (1, 1, timedelta(hours=9)),
    ]
    assert ahead[2].note.startswith("60 min after round 1")
