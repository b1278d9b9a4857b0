"""Writing rules (validated against the dictionary), finding the rules of a campaign,
and enabling templates. Previews live beside the alert evaluation they share
(`shared/alerts/preview.py`); a rule's escalation policy is checked by escalations."""

import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import Campaign, CampaignStatus
from shared.errors import FieldError, Invalid
from shared.figures.series import base_keys
from shared.metrics import service as metrics
from shared.metrics.models import Metric
from shared.pagination import PageRequest, Results, SortKey, paginate
from shared.rules import conditions
from shared.rules.models import Condition, Rule
from shared.rules.templates import TEMPLATES
from shared.tenancy import get_in_workspace, in_workspace
from shared.versioning import check_version


def _check(rule: Rule, dictionary: dict[str, Metric]) -> conditions.Params:
    """The rule's parameters, checked against the condition and the dictionary."""
    params = conditions.parse(rule.condition, rule.params)
    errors = []
    for key in sorted(params.metrics()):
        if key not in dictionary:
            errors.append(FieldError("params.metric", f"'{key}' is not in the dictionary"))
        elif rule.condition == Condition.no_data and dictionary[key].formula is not None:
            errors.append(
                FieldError("params.metric", f"'{key}' is derived: watch one of its inputs")
            )
    if rule.min_sample_metric and rule.min_sample_metric not in dictionary:
        errors.append(
            FieldError("min_sample_metric", f"'{rule.min_sample_metric}' is not in the dictionary")
        )
    if (rule.min_sample_metric is None) != (rule.min_sample_count is None):
        errors.append(FieldError("min_sample_count", "give both min_sample_metric and count"))
    if rule.per_channel and rule.condition not in conditions.WITH_CHANNELS:
        errors.append(FieldError("per_channel", f"a {rule.condition.value} rule has no channels"))
    if errors:
        raise Invalid("The rule is not valid.", errors)
    rule.params = params.model_dump(mode="json", exclude_none=True)
    return params


async def create_rule(
    session: AsyncSession, *, workspace_id: uuid.UUID, data: dict[str, Any]
) -> Rule:
    if data.get("campaign_id") is not None:
        await get_in_workspace(
            session,
            Campaign,
            workspace_id=workspace_id,
            entity_id=data["campaign_id"],
            label="Campaign",
        )
        if data.get("campaign_kind") or data.get("campaign_tag"):
            raise Invalid(
                "A campaign's own rule takes no campaign filters.",
                [FieldError("campaign_kind", "only for workspace rules (no campaign_id)")],
            )
    rule = Rule(workspace_id=workspace_id, **data)
    _check(rule, await metrics.dictionary(session, workspace_id=workspace_id))
    session.add(rule)
    await session.flush()
    return rule


async def update_rule(
    session: AsyncSession,
    *,
    rule: Rule,
    changes: dict[str, Any],
    expected_versions: Collection[int] | None,
) -> Rule:
    check_version(rule, expected_versions)
    if "params" in changes:  # parameters change as a whole only for their own keys
        changes["params"] = rule.params | changes["params"]
    for name, value in changes.items():
        setattr(rule, name, value)
    _check(rule, await metrics.dictionary(session, workspace_id=rule.workspace_id))
    await session.flush()
    return rule


async def get_rule(session: AsyncSession, *, workspace_id: uuid.UUID, rule_id: uuid.UUID) -> Rule:
    return await get_in_workspace(
        session, Rule, workspace_id=workspace_id, entity_id=rule_id, label="Rule"
    )


async def delete_rule(session: AsyncSession, *, rule: Rule) -> None:
    await session.delete(rule)
    await session.flush()


async def list_rules(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    page: PageRequest,
    campaign_id: uuid.UUID | None = None,
    condition: Condition | None = None,
    enabled: bool | None = None,
) -> Results[Rule]:
    query = in_workspace(Rule, workspace_id)
    if campaign_id is not None:
        query = query.where(Rule.campaign_id == campaign_id)
    if condition is not None:
        query = query.where(Rule.condition == condition)
    if enabled is not None:
        query = query.where(Rule.enabled == enabled)
    return await paginate(session, query, Rule, page, SortKey("name", Rule.name, "str"))


async def enable_templates(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    keys: list[str],
    campaign_id: uuid.UUID | None,
) -> list[Rule]:
    """The templates as rules; one already enabled for the same scope is returned as is."""
    unknown = [key for key in keys if key not in TEMPLATES]
    if unknown:
        raise Invalid(
            "Unknown templates.",
            [FieldError("keys", f"no template {', '.join(unknown)}; see GET /v1/rules/templates")],
        )
    existing = {
        rule.template_key: rule
        for rule in await session.scalars(
            in_workspace(Rule, workspace_id).where(
                Rule.template_key.in_(keys),
                Rule.campaign_id.is_(None)
                if campaign_id is None
                else Rule.campaign_id == campaign_id,
            )
        )
    }
    rules = []
    for key in dict.fromkeys(keys):
        rule = existing.get(key)
        if rule is None:
            template = TEMPLATES[key]
            data = template.rule | {
                "name": template.name,
                "description": template.description,
                "campaign_id": campaign_id,
            }
            rule = await create_rule(session, workspace_id=workspace_id, data=data)
            rule.template_key = key
        rules.append(rule)
    await session.flush()
    return rules


def applies_to(rule: Rule, campaign: Campaign) -> bool:
    if rule.campaign_id is not None:
        return rule.campaign_id == campaign.id
    return (rule.campaign_kind is None or rule.campaign_kind == campaign.kind) and (
        rule.campaign_tag is None or rule.campaign_tag in (campaign.tags or [])
    )


async def rules_for(session: AsyncSession, campaign: Campaign) -> list[Rule]:
    """The enabled rules that watch this campaign: its own, and the matching templates."""
    rows = await session.scalars(
        in_workspace(Rule, campaign.workspace_id)
        .where(
            Rule.enabled.is_(True),
            or_(Rule.campaign_id == campaign.id, Rule.campaign_id.is_(None)),
        )
        .order_by(Rule.created_at)
    )
    return [rule for rule in rows if applies_to(rule, campaign)]


def reads(rule: Rule, params: conditions.Params, dictionary: dict[str, Metric]) -> set[str]:
    """The base metrics a rule's figures come from: new points of these re-evaluate it."""
    keys = {k for k in params.metrics() if k in dictionary}
    if rule.min_sample_metric in dictionary:
        keys.add(rule.min_sample_metric)
    found: set[str] = set()
    for key in keys:
        found |= base_keys(key, dictionary)
    return found


async def campaigns_in_scope(session: AsyncSession, rule: Rule) -> list[Campaign]:
    query = in_workspace(Campaign, rule.workspace_id).where(
        Campaign.status == CampaignStatus.active
    )
    if rule.campaign_id is not None:
        query = query.where(Campaign.id == rule.campaign_id)
    return [c for c in await session.scalars(query.order_by(Campaign.name)) if applies_to(rule, c)]


def template_list() -> list[dict[str, Any]]:
    return [
        {"key": t.key, "name": t.name, "description": t.description, "rule": t.rule}
        for t in TEMPLATES.values()
    ]
