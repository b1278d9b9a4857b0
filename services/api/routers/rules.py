"""Warning rules: what the worker watches, ready-made templates, and previews."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.api.deps import DbSession, Editor, IfMatch, Pagination, Viewer, set_etag
from services.api.problems import problem_responses
from shared.alerts import preview
from shared.escalations import policies
from shared.pagination import Page, page_of
from shared.rules import service
from shared.rules.evaluate import State
from shared.rules.models import Condition
from shared.rules.schemas import (
    EnableTemplates,
    PreviewOut,
    RuleCreate,
    RuleFinding,
    RuleOut,
    RuleUpdate,
    TemplateOut,
)
from shared.timeutil import utcnow

router = APIRouter(prefix="/v1/rules", tags=["rules"])

CONDITIONS_GUIDE = (
    "Conditions and their `params`: `threshold` {metric, op (> >= < <=), value, window "
    "(today | trailing), hours}; `below_target` {metric, percent, basis (target | "
    "expected_to_date)}; `change` {metric, percent, direction (drop | rise | any), period "
    "(day | hour), against (previous | trailing_mean), periods}; `no_data` {metric, "
    "within_hours | by_local_time}; `task_overdue` {priorities, grace_days}; `budget_burn` "
    "{mode (over_plan | pace), category, percent}. Boundaries: `below_target` and `change` "
    "fire at exactly `percent` (CTR 1.2% against 1.5% is 20% short and fires a 20% rule); "
    "`threshold` compares exactly as its `op` says."
)


@router.get(
    "",
    summary="List rules",
    response_model=Page[RuleOut],
    responses=problem_responses(400, 422),
)
async def list_rules(
    session: DbSession,
    caller: Viewer,
    page: Pagination,
    campaign_id: uuid.UUID | None = None,
    condition: Condition | None = None,
    enabled: bool | None = None,
) -> Page[RuleOut]:
    results = await service.list_rules(
        session,
        workspace_id=caller.workspace_id,
        page=page,
        campaign_id=campaign_id,
        condition=condition,
        enabled=enabled,
    )
    return page_of(results, RuleOut)


@router.post(
    "",
    summary="Create a rule (one campaign's, or a workspace template)",
    description=CONDITIONS_GUIDE,
    status_code=status.HTTP_201_CREATED,
    response_model=RuleOut,
    responses=problem_responses(404, 415, 422),
)
async def create_rule(
    body: RuleCreate, session: DbSession, caller: Editor, response: Response
) -> RuleOut:
    rule = await service.create_rule(
        session, workspace_id=caller.workspace_id, data=body.model_dump()
    )
    await policies.check_policy_reference(
        session, workspace_id=rule.workspace_id, policy_id=rule.escalation_policy_id
    )
    response.headers["Location"] = f"/v1/rules/{rule.id}"
    set_etag(response, rule.version)
    return RuleOut.model_validate(rule)


@router.get(
    "/templates",
    summary="Ready-made rules for the brief's rules of thumb",
    response_model=list[TemplateOut],
    responses=problem_responses(),
)
async def list_templates(caller: Viewer) -> list[TemplateOut]:
    return [TemplateOut.model_validate(t) for t in service.template_list()]


@router.post(
    "/templates/enable",
    summary="Enable templates as rules in one call (an enabled one is not added twice)",
    response_model=list[RuleOut],
    responses=problem_responses(404, 415, 422),
)
async def enable_templates(
    body: EnableTemplates, session: DbSession, caller: Editor
) -> list[RuleOut]:
    rules = await service.enable_templates(
        session, workspace_id=caller.workspace_id, keys=body.keys, campaign_id=body.campaign_id
    )
    return [RuleOut.model_validate(rule) for rule in rules]


@router.get(
    "/{rule_id}",
    summary="Get a rule",
    response_model=RuleOut,
    responses=problem_responses(404, 422),
)
async def get_rule(
    rule_id: uuid.UUID, session: DbSession, caller: Viewer, response: Response
) -> RuleOut:
    rule = await service.get_rule(session, workspace_id=caller.workspace_id, rule_id=rule_id)
    set_etag(response, rule.version)
    return RuleOut.model_validate(rule)


@router.patch(
    "/{rule_id}",
    summary="Change a rule (params are merged key by key)",
    description=CONDITIONS_GUIDE,
    response_model=RuleOut,
    responses=problem_responses(404, 412, 415, 422),
)
async def update_rule(
    rule_id: uuid.UUID,
    body: RuleUpdate,
    session: DbSession,
    caller: Editor,
    expected: IfMatch,
    response: Response,
) -> RuleOut:
    rule = await service.get_rule(session, workspace_id=caller.workspace_id, rule_id=rule_id)
    rule = await service.update_rule(
        session, rule=rule, changes=body.model_dump(), expected_versions=expected
    )
    await policies.check_policy_reference(
        session, workspace_id=rule.workspace_id, policy_id=rule.escalation_policy_id
    )
    set_etag(response, rule.version)
    return RuleOut.model_validate(rule)


@router.delete(
    "/{rule_id}",
    summary="Delete a rule and its alerts (disable it to keep them)",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404, 422),
)
async def delete_rule(rule_id: uuid.UUID, session: DbSession, caller: Editor) -> Response:
    rule = await service.get_rule(session, workspace_id=caller.workspace_id, rule_id=rule_id)
    await service.delete_rule(session, rule=rule)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{rule_id}/preview",
    summary="What the rule finds now, with the values: nothing is raised or written",
    response_model=PreviewOut,
    responses=problem_responses(404, 422),
)
async def preview_rule(
    rule_id: uuid.UUID,
    session: DbSession,
    caller: Viewer,
    state: Annotated[
        list[State] | None, Query(description="Only findings in these states (e.g. breached)")
    ] = None,
) -> PreviewOut:
    rule = await service.get_rule(session, workspace_id=caller.workspace_id, rule_id=rule_id)
    now = utcnow()
    found = await preview.preview_rule(session, rule=rule, now=now)
    return PreviewOut(
        rule_id=rule.id,
        evaluated_at=now,
        campaigns=len({campaign.id for campaign, _, _ in found}),
        findings=[
            RuleFinding(
                campaign_id=campaign.id,
                subject=finding.subject,
                channel=finding.channel,
                task_id=finding.task_id,
                state=finding.state,
                value=finding.value,
                threshold=finding.threshold,
                message=finding.message,
                open_alert_id=alert.id if alert else None,
                open_alert_status=alert.status.value if alert else None,
            )
            for campaign, finding, alert in found
            if not state or finding.state in state
        ],
    )
