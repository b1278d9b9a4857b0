"""The kinds of event the feed carries: `<subject type>.<what happened>`."""

from enum import StrEnum

ALERT_FIRED = "alert.fired"
ALERT_ACKNOWLEDGED = "alert.acknowledged"
ALERT_RESOLVED = "alert.resolved"
ALERT_ESCALATED = "alert.escalated"  # not in the feed: sent to a policy level's targets
ISSUE_CREATED = "issue.created"
ISSUE_SLA_BREACHED = "issue.sla_breached"
TASK_OVERDUE = "task.overdue"
CAMPAIGN_SUBMITTED = "campaign.submitted"
CAMPAIGN_APPROVED = "campaign.approved"
CAMPAIGN_REJECTED = "campaign.rejected"
CAMPAIGN_ACTIVATED = "campaign.activated"

# The feed's `kind` filter accepts these: add every new kind here.
ALL_KINDS = (
    ALERT_FIRED,
    ALERT_ACKNOWLEDGED,
    ALERT_RESOLVED,
    ISSUE_CREATED,
    ISSUE_SLA_BREACHED,
    TASK_OVERDUE,
    CAMPAIGN_SUBMITTED,
    CAMPAIGN_APPROVED,
    CAMPAIGN_REJECTED,
    CAMPAIGN_ACTIVATED,
)


class SubjectType(StrEnum):
    alert = "alert"
    issue = "issue"
    task = "task"
    campaign = "campaign"
