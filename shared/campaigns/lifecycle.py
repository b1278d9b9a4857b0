"""The campaign state machine, and what may be edited in each state.

    draft -> pending_approval -> approved -> active -> completed -> archived
    pending_approval -> rejected -> (edit) -> pending_approval    (a new approval round)
    approved -> draft                                              (revise: re-approval)
    cancelled from draft, pending_approval, rejected, approved or active

Editing rules:
- the plan (goals, budget lines, dates, kind, timezone, currency) changes only in draft
  or rejected; after approval it needs `revise` and a new approval round;
- phases, risks and the descriptive fields stay editable until the campaign closes;
- nothing changes while an approval is pending, nor once completed or cancelled, except
  that a completed campaign's remaining tasks may still be finished or cancelled;
- expenses are recorded once approved, until the campaign is archived.
"""

from dataclasses import dataclass
from datetime import datetime

from shared.campaigns.models import Campaign, CampaignStatus
from shared.errors import Conflict

S = CampaignStatus


@dataclass(frozen=True)
class Transition:
    sources: frozenset[CampaignStatus]
    target: CampaignStatus
    stamp: str | None  # the timestamp column it sets


TRANSITIONS: dict[str, Transition] = {
    "submit": Transition(frozenset({S.draft, S.rejected}), S.pending_approval, "submitted_at"),
    "approve": Transition(frozenset({S.pending_approval}), S.approved, "approved_at"),
    "reject": Transition(frozenset({S.pending_approval}), S.rejected, None),
    "revise": Transition(frozenset({S.approved}), S.draft, None),
    "activate": Transition(frozenset({S.approved}), S.active, "activated_at"),
    "complete": Transition(frozenset({S.active}), S.completed, "completed_at"),
    "archive": Transition(frozenset({S.completed}), S.archived, "archived_at"),
    "cancel": Transition(
        frozenset({S.draft, S.pending_approval, S.rejected, S.approved, S.active}),
        S.cancelled,
        "cancelled_at",
    ),
}

PLAN_EDITABLE = frozenset({S.draft, S.rejected})
EXECUTION_EDITABLE = frozenset({S.draft, S.rejected, S.approved, S.active})
# Once a campaign has ended, its remaining work is only closed (finished or cancelled) so
# that the close-out can account for it; nothing new is planned.
WORK_CLOSABLE = EXECUTION_EDITABLE | {S.completed}
SPENDING_OPEN = frozenset({S.approved, S.active, S.completed})


def allowed_actions(status: CampaignStatus) -> list[str]:
    return [name for name, transition in TRANSITIONS.items() if status in transition.sources]


def check(campaign: Campaign, action: str) -> None:
    """Raise Conflict, naming the actions that are allowed, unless `action` is one of them."""
    if campaign.status not in TRANSITIONS[action].sources:
        allowed = allowed_actions(campaign.status)
        raise Conflict(
            f"A campaign that is {campaign.status.value} cannot {action}; "
            f"allowed: {', '.join(allowed) or 'nothing'}.",
            code="invalid_transition",
            campaign_status=campaign.status.value,
            action=action,
            allowed_actions=allowed,
        )


def transition(campaign: Campaign, action: str, now: datetime) -> None:
    """Move `campaign` by `action` (see `check` for when it is refused)."""
    check(campaign, action)
    step = TRANSITIONS[action]
    campaign.status = step.target
    if step.stamp is not None:
        setattr(campaign, step.stamp, now)


def ensure_editable(campaign: Campaign, editable_in: frozenset[CampaignStatus], what: str) -> None:
    if campaign.status in editable_in:
        return
    hint = ""
    if campaign.status in (S.approved, S.active) and editable_in == PLAN_EDITABLE:
        hint = (
            " An approved plan changes through POST /revise and a new approval round."
            if campaign.status == S.approved
            else " The plan of an active campaign is fixed."
        )
    raise Conflict(
        f"{what} cannot change while the campaign is {campaign.status.value}.{hint}",
        code="campaign_locked",
        campaign_status=campaign.status.value,
        allowed_actions=allowed_actions(campaign.status),
    )
