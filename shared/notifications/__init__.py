"""Notification endpoints (webhook, Slack, PagerDuty) and the outbox that delivers to them."""
