"""Who reacts to what: the one place to read what follows when a domain records an event.

Domains record what happened (an event) and return; they import none of the domains that
react. The subscribers below run in the transaction that records the event, so a reaction
commits or rolls back with the change it follows. Installed once at start-up
(`shared/startup.py`), in this order.
"""

from shared.events import kinds
from shared.events.service import subscribe
from shared.notifications.service import notify_event
from shared.reactions import alerts, channel_history, knowledge
from shared.reactions import issues as issue_deadlines
from shared.reactions import tasks as task_notices


def install() -> None:
    # Every event reaches the notification endpoints subscribed to its kind (the outbox
    # row commits with the change: nothing is owed for a change that never happened).
    subscribe(notify_event)
    # A firing alert starts its escalation, marks its task overdue and opens its issue;
    # a resolved one stops the escalation and says so on the issue.
    subscribe(alerts.on_fired, kinds=[kinds.ALERT_FIRED])
    subscribe(alerts.on_resolved, kinds=[kinds.ALERT_RESOLVED])
    # An issue not resolved in time: its escalation policy's `resolution_overdue` targets
    # are told (after the feed's subscribers, whom it does not tell twice).
    subscribe(issue_deadlines.on_resolution_overdue, kinds=[kinds.ISSUE_RESOLUTION_OVERDUE])
    # A task assigned, submitted for review, returned or due soon reaches the member it
    # concerns on their personal endpoints.
    subscribe(task_notices.notify_member, kinds=task_notices.KINDS)
    # An archived campaign is indexed for the knowledge base in the same transaction.
    subscribe(knowledge.on_archived, kinds=[kinds.CAMPAIGN_ARCHIVED])
    # A completed or archived campaign's figures per channel are stored for the channel
    # history in the same transaction.
    subscribe(
        channel_history.on_finished, kinds=[kinds.CAMPAIGN_COMPLETED, kinds.CAMPAIGN_ARCHIVED]
    )
