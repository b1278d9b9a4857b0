"""Escalation policies, and each alert's escalation timeline."""

import uuid

from fastapi import APIRouter, Response, status

from services.api.deps import Admin, DbSession, IfMatch, Pagination, Viewer, set_etag
from services.api.problems import problem_responses
from shared.alerts import service as alerts
from shared.escalations import policies, timeline
from shared.escalations.schemas import PolicyCreate, PolicyOut, PolicyUpdate, StepOut
from shared.issues import service as issues
from shared.pagination import Page, page_of
from shared.versioning import check_version

router = APIRouter(tags=["escalations"])
LEVELS_GUIDE = (
    "Levels run in order: `after_minutes` after the previous one (the first: after the "
    "alert fired); `targets` are endpoints, members (their personal endpoints) or roles "
    "on the campaign (campaign_owner, task_owner, goal_owner, issue_owner, first_approver, "
    "final_approver, approvers); `unless: acknowledged` skips the level once the alert "
    "is acknowledged, `unless: action_plan` once its issue has an action plan; "
    "`working_hours` holds a level until the next window (a critical alert passes when "
    "`critical_overrides`). Resolving the alert stops the escalation; silenced alerts do "
    "not escalate. `resolution_overdue` {targets} names whom to tell, once, when an issue "
    "(opened by an alert of a rule using the policy, or any issue for the default policy) "
    "is still unresolved past its `resolution_due_at`."
)


@router.get(
    "/v1/escalation-policies",
    summary="List escalation policies",
    response_model=Page[PolicyOut],
    responses=problem_responses(400, 422),
)
async def list_policies(session: DbSession, caller: Viewer, page: Pagination) -> Page[PolicyOut]:
    results = await policies.list_policies(session, workspace_id=caller.workspace_id, page=page)
    return page_of(results, PolicyOut)


@router.post(
    "/v1/escalation-policies",
    summary="Create an escalation policy (admin)",
    description=LEVELS_GUIDE,
    status_code=status.HTTP_201_CREATED,
    response_model=PolicyOut,
    responses=problem_responses(415, 422),
)
async def create_policy(
    body: PolicyCreate, session: DbSession, caller: Admin, response: Response
) -> PolicyOut:
    policy = await policies.save_policy(
        session, workspace_id=caller.workspace_id, data=body.model_dump()
    )
    response.headers["Location"] = f"/v1/escalation-policies/{policy.id}"
    set_etag(response, policy.version)
    return PolicyOut.model_validate(policy)


@router.post(
    "/v1/escalation-policies/default",
    summary="Install the manuals' policy as the workspace default (admin; once)",
    description="The campaign owner at once; the first approver (department head) after "
    "4 hours unacknowledged; the final approver (management) when the alert's issue has "
    "no action plan 24 hours after it fired. Rules without a policy of their own use it.",
    response_model=PolicyOut,
    responses=problem_responses(),
)
async def install_default(session: DbSession, caller: Admin) -> PolicyOut:
    policy = await policies.install_default(session, workspace_id=caller.workspace_id)
    return PolicyOut.model_validate(policy)


@router.get(
    "/v1/escalation-policies/{policy_id}",
    summary="Get an escalation policy",
    response_model=PolicyOut,
    responses=problem_responses(404, 422),
)
async def get_policy(
    policy_id: uuid.UUID, session: DbSession, caller: Viewer, response: Response
) -> PolicyOut:
    policy = await policies.get_policy(
        session, workspace_id=caller.workspace_id, policy_id=policy_id
    )
    set_etag(response, policy.version)
    return PolicyOut.model_validate(policy)


@router.patch(
    "/v1/escalation-policies/{policy_id}",
    summary="Change an escalation policy (admin); running escalations use the new levels",
    description=LEVELS_GUIDE,
    response_model=PolicyOut,
    responses=problem_responses(404, 412, 415, 422),
)
async def update_policy(
    policy_id: uuid.UUID,
    body: PolicyUpdate,
    session: DbSession,
    caller: Admin,
    expected: IfMatch,
    response: Response,
) -> PolicyOut:
    policy = await policies.get_policy(
        session, workspace_id=caller.workspace_id, policy_id=policy_id
    )
    check_version(policy, expected)
    policy = await policies.save_policy(
        session, workspace_id=caller.workspace_id, data=body.model_dump(), policy=policy
    )
    set_etag(response, policy.version)
    return PolicyOut.model_validate(policy)


@router.get(
    "/v1/alerts/{alert_id}/escalation",
    summary="The alert's escalation timeline: who was notified, when, at which level, "
    "and what the receiver answered",
    response_model=list[StepOut],
    responses=problem_responses(404, 422),
)
async def alert_escalation(
    alert_id: uuid.UUID, session: DbSession, caller: Viewer
) -> list[StepOut]:
    alert = await alerts.get_alert(session, workspace_id=caller.workspace_id, alert_id=alert_id)
    return await timeline.steps(session, alert_id=alert.id)


@router.get(
    "/v1/issues/{issue_id}/escalation",
    summary="The issue's escalation timeline: its alert's escalation (none for a manual "
    "issue) and whom its overdue resolution was told to",
    response_model=list[StepOut],
    responses=problem_responses(404, 422),
)
async def issue_escalation(
    issue_id: uuid.UUID, session: DbSession, caller: Viewer
) -> list[StepOut]:
    issue = await issues.get_issue(session, workspace_id=caller.workspace_id, issue_id=issue_id)
    return await timeline.steps(session, alert_id=issue.alert_id, issue_id=issue.id)
