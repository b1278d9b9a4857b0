"""Ready-made rules for the brief's rules of thumb, enabled by a workspace in one call."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Template:
    key: str
    name: str
    description: str
    rule: dict[str, Any]


TEMPLATES = {
    t.key: t
    for t in (
        Template(
            "conversion_below_target",
            "Conversion 20% under target",
            "The manuals: a conversion rate more than 20% under its target triggers a "
            "warning. Per channel, once it has 100 clicks behind it.",
            {
                "condition": "below_target",
                "params": {"metric": "conversion_rate", "percent": "20"},
                "severity": "warning",
                "per_channel": True,
                "min_sample_metric": "clicks",
                "min_sample_count": 100,
                "opens_issue": True,
            },
        ),
        Template(
            "conversion_behind_expected",
            "Conversion 30% under expectation",
            "System-raised warning when conversion runs 30% below what was expected: the "
            "project manager owes a solution within 24 hours (an issue is opened).",
            {
                "condition": "below_target",
                "params": {"metric": "conversion_rate", "percent": "30"},
                "severity": "critical",
                "min_sample_metric": "clicks",
                "min_sample_count": 100,
                "opens_issue": True,
            },
        ),
        Template(
            "negative_comments",
            "More than 50 negative comments in a day",
            "Negative comments over 50 on the campaign's day: a critical warning and an issue.",
            {
                "condition": "threshold",
                "params": {"metric": "negative_comments", "op": ">", "value": "50"},
                "severity": "critical",
                "opens_issue": True,
            },
        ),
        Template(
            "no_data_by_1700",
            "No figures by the 17:00 collection",
            "Data is collected at 17:00 each day: a channel with no impressions by then.",
            {
                "condition": "no_data",
                "params": {"metric": "impressions", "by_local_time": "17:00"},
                "severity": "warning",
                "per_channel": True,
            },
        ),
        Template(
            "overdue_high_priority_task",
            "High-priority task overdue",
            "A high-priority task past its planned end and not done; its owner gets an issue.",
            {
                "condition": "task_overdue",
                "params": {"priorities": ["high"]},
                "severity": "warning",
                "opens_issue": True,
            },
        ),
        Template(
            "contingency_eaten",
            "Contingency reserve used up",
            "Expenses in the contingency category reached its planned amount.",
            {
                "condition": "budget_burn",
                "params": {"mode": "over_plan", "category": "contingency", "percent": "100"},
                "severity": "warning",
            },
        ),
    )
}
