"""What a rule would find now, through the same evaluation and inhibition as the watch,
next to the alerts already open: nothing is raised, resolved or logged."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.alerts import state
from shared.alerts.models import OPEN, Alert
from shared.campaigns.models import Campaign
from shared.metrics import service as metrics
from shared.rules import conditions
from shared.rules.evaluate import Context, Finding, evaluate
from shared.rules.models import Rule
from shared.rules.service import campaigns_in_scope


async def preview_rule(
    session: AsyncSession, *, rule: Rule, now: datetime
) -> list[tuple[Campaign, Finding, Alert | None]]:
    """What the rule finds now on each active campaign in its scope, next to the alert
    already open for each subject. Reads only: nothing is raised, resolved or logged."""
    dictionary = await metrics.dictionary(session, workspace_id=rule.workspace_id)
    params = conditions.parse(rule.condition, rule.params)
    found = []
    for campaign in await campaigns_in_scope(session, rule):
        open_alerts = {
            alert.subject: alert
            for alert in await session.scalars(
                select(Alert).where(
                    Alert.rule_id == rule.id,
                    Alert.campaign_id == campaign.id,
                    Alert.status.in_(OPEN),
                )
            )
        }
        findings = await evaluate(session, rule, params, Context(campaign, dictionary, now))
        findings = state.inhibit(rule, findings, await state.inhibiting_channels(session, campaign))
        found += [(campaign, f, open_alerts.get(f.subject)) for f in findings]
    return found
