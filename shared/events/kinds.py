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
CAMPAIGN_COMPLETED = "campaign.completed"
CAMPAIGN_EVALUATED = "campaign.evaluated"
CAMPAIGN_SETTLED = "campaign.settled"
CAMPAIGN_ARCHIVED = "campaign.archived"
ISSUE_RESOLUTION_OVERDUE = "issue.resolution_overdue"
TASK_ASSIGNED = "task.assigned"
TASK_DUE_SOON = "task.due_soon"
TASK_SUBMITTED_FOR_REVIEW = "task.submitted_for_review"
TASK_RETURNED = "task.returned"
CHANGE_REQUEST_SUBMITTED = "change_request.submitted"
CHANGE_REQUEST_APPROVED = "change_request.approved"
CHANGE_REQUEST_REJECTED = "change_request.rejected"
CHANGE_REQUEST_APPLIED = "change_request.applied"
REPORT_DAILY = "report.daily"
REPORT_WEEKLY = "report.weekly"

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
    CAMPAIGN_COMPLETED,
    CAMPAIGN_EVALUATED,
    CAMPAIGN_SETTLED,
    CAMPAIGN_ARCHIVED,
    ISSUE_RESOLUTION_OVERDUE,
    TASK_ASSIGNED,
    TASK_DUE_SOON,
    TASK_SUBMITTED_FOR_REVIEW,
    TASK_RETURNED,
    CHANGE_REQUEST_SUBMITTED,
    CHANGE_REQUEST_APPROVED,
    CHANGE_REQUEST_REJECTED,
    CHANGE_REQUEST_APPLIED,
    REPORT_DAILY,
    REPORT_WEEKLY,
)


class SubjectType(StrEnum):
    alert = "alert"
    issue = "issue"
    task = "task"
    campaign = "campaign"
    change_request = "change_request"
    report = "report"
