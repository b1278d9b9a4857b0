"""What a policy's levels say: after how long, to whom, unless what, and when.

- `after_minutes`: after the previous level (the first: after the alert fired).
- `unless`: `acknowledged` skips the level once someone acknowledged the alert;
  `action_plan` skips it once the alert's issue has an action plan (the manuals: the
  manager owes a plan within 24 hours, or it goes up).
- `targets`: an endpoint; a member (their personal endpoints); or a role resolved on
  the campaign: `campaign_owner`, `task_owner` (of the alert's task), `goal_owner` (of
  the goals measuring the rule's metric), `issue_owner` (of the issue the alert opened),
  `first_approver` and `final_approver` (the first and last steps of the campaign's
  approval chain: department head, management), `approvers` (every step).
- `working_hours`: the level only goes out inside them (weekdays and times, in the
  campaign's timezone unless one is given) and otherwise waits for the next window;
  `critical_overrides` lets a critical alert through at any hour.

Besides its levels, a policy may say whom to tell when an issue is not resolved in time
(`resolution_overdue`: targets, the same kinds; roles read on the issue: its owner, its
related task's owner). They are told once, when the issue is found overdue.
"""

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, model_validator

from shared.errors import FieldError, Invalid

Role = Literal[
    "campaign_owner",
    "task_owner",
    "goal_owner",
    "issue_owner",
    "first_approver",
    "final_approver",
    "approvers",
]


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["endpoint", "member", "role"]
    endpoint_id: uuid.UUID | None = None
    member_id: uuid.UUID | None = None
    role: Role | None = None

    @model_validator(mode="after")
    def _one_reference(self) -> "Target":
        given = {
            "endpoint": self.endpoint_id,
            "member": self.member_id,
            "role": self.role,
        }
        if given[self.type] is None or sum(v is not None for v in given.values()) != 1:
            raise ValueError(f"a {self.type} target names its {self.type} (and nothing else)")
        return self


class WorkingHours(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weekdays: list[int] = Field(default=[0, 1, 2, 3, 4], min_length=1, max_length=7)
    start: dt.time = dt.time(9)
    end: dt.time = dt.time(18)
    timezone: str | None = Field(default=None, description="None: the campaign's")

    @model_validator(mode="after")
    def _sane(self) -> "WorkingHours":
        if not all(0 <= d <= 6 for d in self.weekdays):
            raise ValueError("weekdays are 0 (Monday) to 6")
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Level(BaseModel):
    model_config = ConfigDict(extra="forbid")

    after_minutes: int = Field(ge=0, le=10_080)
    targets: list[Target] = Field(min_length=1, max_length=20)
    unless: Literal["acknowledged", "action_plan"] = "acknowledged"
    working_hours: WorkingHours | None = None
    critical_overrides: StrictBool = True


class ResolutionOverdue(BaseModel):
    """Whom a policy tells, once, when an issue is still unresolved past its resolution time."""

    model_config = ConfigDict(extra="forbid")

    targets: list[Target] = Field(min_length=1, max_length=20)


def _field_errors(exc: ValidationError, *where: str) -> list[FieldError]:
    """The validation's errors, each named by its path in the policy (`levels.0.targets`)."""
    return [
        FieldError(".".join([*where, *(str(p) for p in e["loc"])]), e["msg"], code=e["type"])
        for e in exc.errors()
    ]


def parse_resolution_overdue(raw: dict[str, object] | None) -> ResolutionOverdue | None:
    """None when the policy tells nobody; a 422 naming `resolution_overdue.<path>` if bad."""
    if raw is None:
        return None
    try:
        return ResolutionOverdue.model_validate(raw)
    except ValidationError as exc:
        raise Invalid(
            "The policy's resolution_overdue is not valid.",
            _field_errors(exc, "resolution_overdue"),
        ) from None


def parse_levels(raw: list[dict[str, object]]) -> list[Level]:
    levels, errors = [], []
    for i, level in enumerate(raw):
        try:
            levels.append(Level.model_validate(level))
        except ValidationError as exc:
            errors += _field_errors(exc, "levels", str(i))
    if errors:
        raise Invalid("The policy's levels are not valid.", errors)
    if not levels:
        raise Invalid("A policy needs a level.", [FieldError("levels", "at least one level")])
    return levels


def next_window(hours: WorkingHours, zone: dt.tzinfo, moment: dt.datetime) -> dt.datetime:
    """`moment` if it is inside working hours, else the start of the next window."""
    local = moment.astimezone(zone)
    for days in range(8):
        day = local.date() + dt.timedelta(days=days)
        if day.weekday() not in hours.weekdays:
            continue
        start = dt.datetime.combine(day, hours.start, tzinfo=zone)
        end = dt.datetime.combine(day, hours.end, tzinfo=zone)
        if local < end:
            return max(local, start).astimezone(dt.UTC)
    raise AssertionError("a week always has a listed weekday")


DEFAULT_LEVELS: list[dict[str, object]] = [
    # At once: the campaign owner (the ops endpoints get the alert by their subscription).
    {"after_minutes": 0, "targets": [{"type": "role", "role": "campaign_owner"}]},
    # Still unacknowledged 4 hours later: the approver (department head).
    {"after_minutes": 240, "targets": [{"type": "role", "role": "first_approver"}]},
    # No action plan on the issue 24 hours after it fired: management.
    {
        "after_minutes": 1200,
        "unless": "action_plan",
        "targets": [{"type": "role", "role": "final_approver"}],
    },
]


# An issue still unresolved after the 48-hour emergency window: its owner, the campaign
# owner and management hear of it.
DEFAULT_RESOLUTION_OVERDUE: dict[str, object] = {
    "targets": [
        {"type": "role", "role": "issue_owner"},
        {"type": "role", "role": "campaign_owner"},
        {"type": "role", "role": "final_approver"},
    ]
}


@dataclass(frozen=True)
class Upcoming:
    """A level still to come: when it is due, to whom, and what it waits for."""

    level: int  # 0-based, as stored
    round: int
    due_at: dt.datetime
    targets: str
    note: str


def describe_targets(level: Level | ResolutionOverdue) -> str:
    return ", ".join(
        str(target.role)
        if target.type == "role"
        else f"{target.type} {target.endpoint_id or target.member_id}"
        for target in level.targets
    )


def _reason(level: Level, after: str, held_until: dt.datetime | None) -> str:
    unless = {
        "acknowledged": "skipped if the alert is acknowledged by then",
        "action_plan": "skipped if the issue has an action plan by then",
    }[level.unless]
    note = f"{after}; {unless}"
    if held_until is not None:
        note += f"; held to working hours until {held_until.isoformat()}"
    return note


def upcoming(
    levels: list[Level],
    *,
    level: int,
    round_: int,
    due_at: dt.datetime,
    repeat: int,
    repeat_after_minutes: int,
    zone: dt.tzinfo,
    critical: bool,
) -> list[Upcoming]:
    """The levels an active escalation has still to send, from the next one (`level` of
    `round_`, due at `due_at`) to the end of its last round, if nobody acts meanwhile.

    Each goes out when due, or at the next working-hours window when it keeps to them;
    the next level counts its wait from when the previous one went out.
    """
    planned: list[Upcoming] = []
    due = due_at
    while round_ < repeat:
        current = levels[level]
        sends = due
        if current.working_hours is not None and not (current.critical_overrides and critical):
            sends = next_window(current.working_hours, hours_zone(current, zone), due)
        if level > 0:
            after = f"{current.after_minutes} min after level {level}"
        elif round_ > 0:
            after = f"{repeat_after_minutes} min after round {round_}"
        else:
            after = f"{current.after_minutes} min after the alert fired (and the grouping window)"
        held = sends if sends > due else None
        planned.append(
            Upcoming(level, round_, sends, describe_targets(current), _reason(current, after, held))
        )
        if level + 1 < len(levels):
            level += 1
            due = sends + dt.timedelta(minutes=levels[level].after_minutes)
        else:
            level, round_ = 0, round_ + 1
            due = sends + dt.timedelta(minutes=repeat_after_minutes)
    return planned


def hours_zone(level: Level, campaign_zone: dt.tzinfo) -> dt.tzinfo:
    """The zone a level's working hours are read in: its own, or the campaign's."""
    if level.working_hours is not None and level.working_hours.timezone:
        return ZoneInfo(level.working_hours.timezone)
    return campaign_zone
