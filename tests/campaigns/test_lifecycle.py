"""The campaign state machine of README "Campaign planning and approval" (no database).

draft -> pending_approval -> approved -> active -> completed -> archived
pending_approval -> rejected -> (edit) -> pending_approval
approved -> draft (revise: re-approval needed)
cancelled: from draft, pending_approval, rejected, approved or active
"""

from datetime import UTC, datetime, timedelta

import pytest

from shared.campaigns import lifecycle
from shared.campaigns.models import Campaign, CampaignStatus
from shared.errors import Conflict

S = CampaignStatus
MONDAY = datetime(2024, 4, 22, 9, 0, tzinfo=UTC)

ALLOWED = {
    S.draft: {"submit", "cancel"},
    S.pending_approval: {"approve", "reject", "cancel"},
    S.rejected: {"submit", "cancel"},
    S.approved: {"activate", "revise", "cancel"},
    S.active: {"complete", "cancel"},
    S.completed: {"archive"},
    S.archived: set(),
    S.cancelled: set(),
}
ACTIONS = sorted(set().union(*ALLOWED.values()))


def campaign(status: CampaignStatus, **fields: object) -> Campaign:
    return Campaign(name="2024 new product launch", status=status, **fields)


def test_every_status_of_the_diagram_is_covered():
    assert set(ALLOWED) == set(CampaignStatus)
    assert set(ACTIONS) == set(lifecycle.TRANSITIONS)


@pytest.mark.parametrize("status", list(CampaignStatus))
def test_each_status_allows_the_actions_of_the_diagram(status):
    assert set(lifecycle.allowed_actions(status)) == ALLOWED[status]


@pytest.mark.parametrize(
    ("status", "action", "target"),
    [
        (S.draft, "submit", S.pending_approval),
        (S.pending_approval, "approve", S.approved),
        (S.pending_approval, "reject", S.rejected),
        (S.rejected, "submit", S.pending_approval),  # a new approval round
        (S.approved, "revise", S.draft),
        (S.approved, "activate", S.active),
        (S.active, "complete", S.completed),
        (S.completed, "archive", S.archived),
        *((source, "cancel", S.cancelled) for source in
          (S.draft, S.pending_approval, S.rejected, S.approved, S.active)),
    ],
)  # fmt: skip
def test_each_allowed_action_moves_the_campaign_along_the_diagram(status, action, target):
    moved = campaign(status)
    lifecycle.transition(moved, action, MONDAY)
    assert moved.status == target


@pytest.mark.parametrize(
    ("status", "action"),
    [(status, action) for status in CampaignStatus for action in ACTIONS
     if action not in ALLOWED[status]],
)  # fmt: skip
def test_an_action_outside_the_diagram_is_refused_naming_what_is_allowed(status, action):
    stuck = campaign(status)
    with pytest.raises(Conflict) as error:
        lifecycle.transition(stuck, action, MONDAY)
    assert stuck.status == status  # unchanged
    assert error.value.code == "invalid_transition"
    assert set(error.value.extras["allowed_actions"]) == ALLOWED[status]
    assert error.value.extras["campaign_status"] == status.value
    assert error.value.extras["action"] == action


def test_the_refusal_reads_as_a_sentence():
    with pytest.raises(Conflict) as archived:
        lifecycle.check(campaign(S.archived), "cancel")
    assert archived.value.detail == "A campaign that is archived cannot cancel; allowed: nothing."
    with pytest.raises(Conflict) as completed:
        lifecycle.check(campaign(S.completed), "cancel")
    assert completed.value.detail == (
        "A campaign that is completed cannot cancel; allowed: archive."
    )


def test_the_whole_life_of_a_campaign_stamps_each_step_with_its_time():
    launch = campaign(S.draft)
    steps = ["submit", "approve", "activate", "complete", "archive"]
    for days, action in enumerate(steps):
        lifecycle.transition(launch, action, MONDAY + timedelta(days=days))
    assert launch.status == S.archived
    assert (
        launch.submitted_at,
        launch.approved_at,
        launch.activated_at,
        launch.completed_at,
        launch.archived_at,
    ) == tuple(MONDAY + timedelta(days=d) for d in range(5))
    assert launch.cancelled_at is None


def test_a_rejection_and_a_revision_keep_the_earlier_stamps_and_the_number():
    # Rejected, resubmitted a day later, approved, then revised: the registration number
    # stays, and the second submission and approval replace the first ones' times.
    launch = campaign(S.draft)
    lifecycle.transition(launch, "submit", MONDAY)
    lifecycle.transition(launch, "reject", MONDAY + timedelta(hours=2))
    assert (launch.status, launch.submitted_at) == (S.rejected, MONDAY)
    lifecycle.transition(launch, "submit", MONDAY + timedelta(days=1))
    lifecycle.transition(launch, "approve", MONDAY + timedelta(days=2))
    launch.registration_number = "CMP-2024-0001"
    lifecycle.transition(launch, "revise", MONDAY + timedelta(days=3))
    assert (launch.status, launch.registration_number) == (S.draft, "CMP-2024-0001")
    assert launch.submitted_at == MONDAY + timedelta(days=1)
    assert launch.approved_at == MONDAY + timedelta(days=2)


def test_cancelling_records_when():
    running = campaign(S.active)
    lifecycle.transition(running, "cancel", MONDAY)
    assert (running.status, running.cancelled_at) == (S.cancelled, MONDAY)


# --- what may be edited in each status ------------------------------------------------------

PLAN, EXECUTION, SPENDING = "plan", "execution", "spending"
EDITABLE = {
    PLAN: lifecycle.PLAN_EDITABLE,
    EXECUTION: lifecycle.EXECUTION_EDITABLE,
    SPENDING: lifecycle.SPENDING_OPEN,
}
# README: the plan in draft or rejected only; phases, risks and texts until the campaign
# completes; nothing while an approval is pending; expenses from approval until archiving.
EDITABLE_IN = {
    S.draft: {PLAN, EXECUTION},
    S.pending_approval: set(),
    S.rejected: {PLAN, EXECUTION},
    S.approved: {EXECUTION, SPENDING},
    S.active: {EXECUTION, SPENDING},
    S.completed: {SPENDING},
    S.archived: set(),
    S.cancelled: set(),
}


@pytest.mark.parametrize("status", list(CampaignStatus))
@pytest.mark.parametrize("part", [PLAN, EXECUTION, SPENDING])
def test_what_can_change_in_each_status(status, part):
    subject = campaign(status)
    if part in EDITABLE_IN[status]:
        lifecycle.ensure_editable(subject, EDITABLE[part], "Goals")
    else:
        with pytest.raises(Conflict) as error:
            lifecycle.ensure_editable(subject, EDITABLE[part], "Goals")
        assert error.value.code == "campaign_locked"
        assert set(error.value.extras["allowed_actions"]) == ALLOWED[status]


@pytest.mark.parametrize(
    ("status", "hint"),
    [
        (S.approved, " An approved plan changes through POST /revise and a new approval round."),
        (S.active, " The plan of an active campaign is fixed."),
        (S.pending_approval, ""),
        (S.completed, ""),
    ],
)
def test_a_locked_plan_says_how_to_change_it(status, hint):
    with pytest.raises(Conflict) as error:
        lifecycle.ensure_editable(campaign(status), lifecycle.PLAN_EDITABLE, "Budget lines")
    assert error.value.detail == (
        f"Budget lines cannot change while the campaign is {status.value}.{hint}"
    )
