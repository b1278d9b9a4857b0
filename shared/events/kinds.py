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


class EventKind(StrEnum):
    """The kinds the feed carries: add every new kind here (the feed's `kind` filter, the
    endpoints' `event_kinds` and the OpenAPI document take them from this list)."""

    alert_fired = ALERT_FIRED
    alert_acknowledged = ALERT_ACKNOWLEDGED
    alert_resolved = ALERT_RESOLVED
    issue_created = ISSUE_CREATED
    issue_sla_breached = ISSUE_SLA_BREACHED
    task_overdue = TASK_OVERDUE
    campaign_submitted = CAMPAIGN_SUBMITTED
    campaign_approved = CAMPAIGN_APPROVED
    campaign_rejected = CAMPAIGN_REJECTED
    campaign_activated = CAMPAIGN_ACTIVATED
    campaign_completed = CAMPAIGN_COMPLETED
    campaign_evaluated = CAMPAIGN_EVALUATED
    campaign_settled = CAMPAIGN_SETTLED
    campaign_archived = CAMPAIGN_ARCHIVED
    issue_resolution_overdue = ISSUE_RESOLUTION_OVERDUE
    task_assigned = TASK_ASSIGNED
    task_due_soon = TASK_DUE_SOON
    task_submitted_for_review = TASK_SUBMITTED_FOR_REVIEW
    task_returned = TASK_RETURNED
    change_request_submitted = CHANGE_REQUEST_SUBMITTED
    change_request_approved = CHANGE_REQUEST_APPROVED
    change_request_rejected = CHANGE_REQUEST_REJECTED
    change_request_applied = CHANGE_REQUEST_APPLIED
    report_daily = REPORT_DAILY
    report_weekly = REPORT_WEEKLY


ALL_KINDS: tuple[str, ...] = tuple(kind.value for kind in EventKind)


class SubjectType(StrEnum):
    alert = "alert"
    issue = "issue"
    task = "task"
    campaign = "campaign"
    change_request = "change_request"
    report = "report"
