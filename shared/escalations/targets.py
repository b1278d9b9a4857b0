"""Who a policy's targets reach: endpoints, members through their personal endpoints, and
roles read on what the notification is about (an alert, or an issue)."""

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.alerts.models import Alert
from shared.approvals.models import ApprovalRound
from shared.approvals.rounds import may_decide
from shared.campaigns.models import Campaign, Goal
from shared.escalations.levels import Target
from shared.issues.models import Issue
from shared.notifications.models import NotificationEndpoint
from shared.rules.models import Rule
from shared.tasks.models import Task
from shared.tenancy import in_workspace
from shared.workspaces.models import Member


@dataclass(frozen=True)
class Subject:
    """What the notification is about. An issue's roles are read on the issue first (its
    owner, its related task), then on the alert that opened it, if any."""

    campaign: Campaign
    alert: Alert | None = None
    issue: Issue | None = None


Reached = list[tuple[str, NotificationEndpoint | None]]


async def reach(session: AsyncSession, targets: list[Target], subject: Subject) -> Reached:
    """(who, endpoint) for each target; members reached through their enabled personal
    endpoints, and (who, None) for a member who has none."""
    found: Reached = []
    for target in targets:
        if target.type == "endpoint":
            endpoint = await session.get(NotificationEndpoint, target.endpoint_id)
            if endpoint is not None and endpoint.enabled:
                found.append((f"endpoint {endpoint.name}", endpoint))
            else:
                found.append((f"endpoint {target.endpoint_id}", None))
            continue
        members = (
            [target.member_id]
            if target.type == "member" and target.member_id
            else await role_members(session, target.role, subject)
        )
        for member_id in members:
            label = f"{target.role or 'member'} {member_id}"
            endpoints = (
                await session.scalars(
                    select(NotificationEndpoint).where(
                        NotificationEndpoint.member_id == member_id,
                        NotificationEndpoint.enabled.is_(True),
                    )
                )
            ).all()
            found += [(label, e) for e in endpoints] or [(label, None)]
    return found


async def role_members(
    session: AsyncSession, role: str | None, subject: Subject
) -> list[uuid.UUID]:
    """The members a role names on the subject's campaign (none when it names nobody)."""
    campaign, alert, issue = subject.campaign, subject.alert, subject.issue
    if role == "campaign_owner":
        return [campaign.owner_id] if campaign.owner_id else []
    if role == "task_owner":
        task_id = (issue.related_task_id if issue else None) or (alert.task_id if alert else None)
        task = await session.get(Task, task_id) if task_id else None
        return [task.owner_id] if task is not None and task.owner_id else []
    if role == "issue_owner":
        if issue is None and alert is not None:
            issue = await session.scalar(select(Issue).where(Issue.alert_id == alert.id))
        return [issue.owner_id] if issue is not None else []
    if role == "goal_owner":
        rule = await session.get(Rule, alert.rule_id) if alert is not None else None
        metric = (rule.params or {}).get("metric") if rule else None
        if metric is None:
            return []
        owners = await session.scalars(
            select(Goal.owner_id).where(Goal.campaign_id == campaign.id, Goal.metric_key == metric)
        )
        return [o for o in dict.fromkeys(owners) if o is not None]
    chain = await session.scalar(
        select(ApprovalRound.steps)
        .where(ApprovalRound.campaign_id == campaign.id)
        .order_by(ApprovalRound.number.desc())
        .limit(1)
    )
    if not chain:
        return []
    steps = {"first_approver": chain[:1], "final_approver": chain[-1:]}.get(role or "", chain)
    members = await session.scalars(in_workspace(Member, campaign.workspace_id))
    return [m.id for m in members if any(may_decide(s, m) for s in steps)]
