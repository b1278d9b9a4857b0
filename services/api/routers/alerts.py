"""Alerts raised by rules, what people do with them, and silences."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.api.deps import DbSession, Editor, Pagination, Viewer, set_etag
from services.api.problems import problem_responses
from shared.alerts import service
from shared.alerts.models import Alert, AlertStatus
from shared.alerts.schemas import (
    AcknowledgeIn,
    AlertDetailOut,
    AlertOut,
    ResolveIn,
    SilenceCreate,
    SilenceOut,
    TransitionOut,
)
from shared.pagination import Page, page_of
from shared.rules.models import Severity
from shared.schemas import Instant
from shared.timeutil import utcnow

router = APIRouter(tags=["alerts"])


async def _detail(session: DbSession, alert: Alert) -> AlertDetailOut:
    history = await service.transitions(session, alert)
    return AlertDetailOut.model_validate(
        AlertOut.model_validate(alert).model_dump()
        | {"transitions": [TransitionOut.model_validate(t) for t in history]}
    )


@router.get(
    "/v1/alerts",
    summary="List alerts, newest first",
    response_model=Page[AlertOut],
    responses=problem_responses(400, 422),
)
async def list_alerts(
    session: DbSession,
    caller: Viewer,
    page: Pagination,
    status_: Annotated[list[AlertStatus] | None, Query(alias="status")] = None,
    severity: Annotated[list[Severity] | None, Query()] = None,
    campaign_id: uuid.UUID | None = None,
    rule_id: uuid.UUID | None = None,
    channel: Annotated[str | None, Query(max_length=64)] = None,
    silenced: bool | None = None,
    since: Annotated[Instant | None, Query(description="Seen at or after")] = None,
    until: Annotated[Instant | None, Query(description="First seen before")] = None,
) -> Page[AlertOut]:
    results = await service.list_alerts(
        session,
        workspace_id=caller.workspace_id,
        page=page,
        filters={
            "status": status_,
            "severity": severity,
            "campaign_id": campaign_id,
            "rule_id": rule_id,
            "channel": channel,
            "silenced": silenced,
            "since": since,
            "until": until,
        },
    )
    return page_of(results, AlertOut)


@router.get(
    "/v1/alerts/{alert_id}",
    summary="An alert and every transition it went through",
    response_model=AlertDetailOut,
    responses=problem_responses(404, 422),
)
async def get_alert(
    alert_id: uuid.UUID, session: DbSession, caller: Viewer, response: Response
) -> AlertDetailOut:
    alert = await service.get_alert(session, workspace_id=caller.workspace_id, alert_id=alert_id)
    set_etag(response, alert.version)
    return await _detail(session, alert)


@router.post(
    "/v1/alerts/{alert_id}/acknowledge",
    summary="Acknowledge a firing alert: someone is on it (with a comment)",
    description="Stops the escalation levels that wait for an acknowledgement; levels "
    "waiting for the issue's action plan go on.",
    response_model=AlertDetailOut,
    responses=problem_responses(404, 409, 422),
)
async def acknowledge_alert(
    alert_id: uuid.UUID, session: DbSession, caller: Editor, body: AcknowledgeIn | None = None
) -> AlertDetailOut:
    alert = await service.get_alert(
        session, workspace_id=caller.workspace_id, alert_id=alert_id, lock=True
    )
    comment = body.comment if body is not None else None
    await service.acknowledge(session, alert=alert, actor=caller, now=utcnow(), comment=comment)
    return await _detail(session, alert)


@router.post(
    "/v1/alerts/{alert_id}/resolve",
    summary="Resolve an alert by hand, with a note",
    description="A breach found again later opens a new alert.",
    response_model=AlertDetailOut,
    responses=problem_responses(404, 409, 415, 422),
)
async def resolve_alert(
    alert_id: uuid.UUID, body: ResolveIn, session: DbSession, caller: Editor
) -> AlertDetailOut:
    alert = await service.get_alert(
        session, workspace_id=caller.workspace_id, alert_id=alert_id, lock=True
    )
    await service.resolve(session, alert=alert, actor=caller, note=body.note, now=utcnow())
    return await _detail(session, alert)


@router.get(
    "/v1/silences",
    summary="List silences, newest first",
    response_model=Page[SilenceOut],
    responses=problem_responses(400, 422),
)
async def list_silences(
    session: DbSession,
    caller: Viewer,
    page: Pagination,
    active: Annotated[bool, Query(description="Only those on now")] = False,
) -> Page[SilenceOut]:
    results = await service.list_silences(
        session,
        workspace_id=caller.workspace_id,
        page=page,
        active_at=utcnow() if active else None,
    )
    return page_of(results, SilenceOut)


@router.post(
    "/v1/silences",
    summary="Silence matching alerts for a while, or in a weekly window",
    description="Every matcher given must match (campaign, rule, channel, severity, "
    "labels). Silenced alerts are still recorded and visible, marked `silenced`, and "
    "notify nobody. A window whose end is before its start runs past midnight.",
    status_code=status.HTTP_201_CREATED,
    response_model=SilenceOut,
    responses=problem_responses(404, 415, 422),
)
async def create_silence(
    body: SilenceCreate, session: DbSession, caller: Editor, response: Response
) -> SilenceOut:
    silence = await service.create_silence(
        session, workspace_id=caller.workspace_id, data=body.model_dump(), actor=caller
    )
    response.headers["Location"] = f"/v1/silences/{silence.id}"
    return SilenceOut.model_validate(silence)


@router.get(
    "/v1/silences/{silence_id}",
    summary="Get a silence",
    response_model=SilenceOut,
    responses=problem_responses(404, 422),
)
async def get_silence(silence_id: uuid.UUID, session: DbSession, caller: Viewer) -> SilenceOut:
    silence = await service.get_silence(
        session, workspace_id=caller.workspace_id, silence_id=silence_id
    )
    return SilenceOut.model_validate(silence)


@router.post(
    "/v1/silences/{silence_id}/end",
    summary="End a silence now (it stays on record)",
    response_model=SilenceOut,
    responses=problem_responses(404, 422),
)
async def end_silence(silence_id: uuid.UUID, session: DbSession, caller: Editor) -> SilenceOut:
    silence = await service.get_silence(
        session, workspace_id=caller.workspace_id, silence_id=silence_id
    )
    return SilenceOut.model_validate(
        await service.end_silence(session, silence=silence, now=utcnow())
    )
