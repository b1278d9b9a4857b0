"""Notification endpoints, their deliveries, and the documented callback payloads."""

import uuid
from datetime import timedelta

from fastapi import APIRouter, Response, status

from services.api.deps import Admin, AppRuntime, DbSession, IfMatch, Pagination, set_etag
from services.api.problems import problem_responses
from services.api.runtime import Runtime
from shared.notifications import client as callback_client
from shared.notifications import endpoints, formats, sender, service, urls
from shared.notifications.bot_payloads import DingTalkMessage, FeishuMessage, WeComMessage
from shared.notifications.models import Delivery, DeliveryAttempt
from shared.notifications.schemas import (
    AttemptOut,
    DeliveryOut,
    EndpointCreate,
    EndpointOut,
    EndpointSecretRotation,
    EndpointUpdate,
    EndpointWithSecret,
    PagerDutyEvent,
    SlackMessage,
    TestResult,
    WebhookMessage,
)
from shared.pagination import Page
from shared.timeutil import utcnow

router = APIRouter(tags=["notifications"])


def _allowed(runtime: Runtime) -> tuple[urls.IPNetwork, ...]:
    return urls.parse_networks(runtime.settings.notify_allowed_networks)


ENDPOINTS = "/v1/notification-endpoints"


def _delivery_out(delivery: Delivery, attempts: list[DeliveryAttempt]) -> DeliveryOut:
    fields = {
        name: getattr(delivery, name) for name in DeliveryOut.model_fields if name != "attempt_log"
    }
    return DeliveryOut.model_validate(
        fields | {"attempt_log": [AttemptOut.model_validate(a) for a in attempts]}
    )


@router.get(
    ENDPOINTS,
    summary="List notification endpoints (admin)",
    response_model=Page[EndpointOut],
    responses=problem_responses(400, 422),
)
async def list_notification_endpoints(
    session: DbSession, caller: Admin, page: Pagination
) -> Page[EndpointOut]:
    results = await endpoints.list_endpoints(session, workspace_id=caller.workspace_id, page=page)
    return Page[EndpointOut](
        items=[EndpointOut.model_validate(e) for e in results.items],
        next_cursor=results.next_cursor,
    )


@router.post(
    ENDPOINTS,
    summary="Register a notification endpoint (admin); its signing secret is in this response only",
    description="The URL must be https and resolve to public addresses only (422 naming "
    "`url` otherwise). A chat bot's URL is its service's webhook address (feishu: "
    "`https://open.feishu.cn/open-apis/bot/v2/hook/<token>`, dingtalk: "
    "`https://oapi.dingtalk.com/robot/send?access_token=<token>`, wecom: "
    "`https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=<key>`; any host inside "
    "NOTIFY_ALLOWED_NETWORKS) and feishu and dingtalk take the bot's `bot_secret`. "
    "No Idempotency-Key here: a replay would need the secret stored.",
    status_code=status.HTTP_201_CREATED,
    response_model=EndpointWithSecret,
    responses=problem_responses(415, 422),
)
async def create_notification_endpoint(
    body: EndpointCreate,
    session: DbSession,
    caller: Admin,
    runtime: AppRuntime,
    response: Response,
) -> EndpointWithSecret:
    endpoint = await endpoints.create_endpoint(
        session,
        workspace_id=caller.workspace_id,
        data=body.model_dump(),
        allowed=_allowed(runtime),
    )
    response.headers["Location"] = f"{ENDPOINTS}/{endpoint.id}"
    response.headers["Cache-Control"] = "no-store"
    set_etag(response, endpoint.version)
    return EndpointWithSecret.model_validate(endpoint)


@router.get(
    ENDPOINTS + "/{endpoint_id}",
    summary="Get a notification endpoint (admin)",
    response_model=EndpointOut,
    responses=problem_responses(404, 422),
)
async def get_notification_endpoint(
    endpoint_id: uuid.UUID, session: DbSession, caller: Admin, response: Response
) -> EndpointOut:
    endpoint = await endpoints.get_endpoint(
        session, workspace_id=caller.workspace_id, endpoint_id=endpoint_id
    )
    set_etag(response, endpoint.version)
    return EndpointOut.model_validate(endpoint)


@router.patch(
    ENDPOINTS + "/{endpoint_id}",
    summary="Change, disable or enable a notification endpoint (admin)",
    response_model=EndpointOut,
    responses=problem_responses(404, 412, 415, 422),
)
async def update_notification_endpoint(
    endpoint_id: uuid.UUID,
    body: EndpointUpdate,
    session: DbSession,
    caller: Admin,
    if_match: IfMatch,
    runtime: AppRuntime,
    response: Response,
) -> EndpointOut:
    endpoint = await endpoints.get_endpoint(
        session, workspace_id=caller.workspace_id, endpoint_id=endpoint_id
    )
    endpoint = await endpoints.update_endpoint(
        session,
        endpoint=endpoint,
        changes=body.model_dump(),
        expected_versions=if_match,
        allowed=_allowed(runtime),
        now=utcnow(),
    )
    set_etag(response, endpoint.version)
    return EndpointOut.model_validate(endpoint)


@router.delete(
    ENDPOINTS + "/{endpoint_id}",
    summary="Remove a notification endpoint and its deliveries (admin)",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404, 412, 422),
)
async def delete_notification_endpoint(
    endpoint_id: uuid.UUID, session: DbSession, caller: Admin, if_match: IfMatch
) -> None:
    endpoint = await endpoints.get_endpoint(
        session, workspace_id=caller.workspace_id, endpoint_id=endpoint_id
    )
    await endpoints.delete_endpoint(session, endpoint=endpoint, expected_versions=if_match)


@router.post(
    ENDPOINTS + "/{endpoint_id}/rotate-secret",
    summary="Issue a new signing secret; requests carry both signatures during the overlap (admin)",
    description="409 `bot_secret_from_bot_settings` for a chat bot (feishu, dingtalk, wecom): "
    "its secret is reset in the bot's settings and given with PATCH `bot_secret`.",
    response_model=EndpointWithSecret,
    responses=problem_responses(404, 409, 415, 422),
)
async def rotate_notification_endpoint_secret(
    endpoint_id: uuid.UUID,
    session: DbSession,
    caller: Admin,
    response: Response,
    body: EndpointSecretRotation | None = None,
) -> EndpointWithSecret:
    endpoint = await endpoints.get_endpoint(
        session, workspace_id=caller.workspace_id, endpoint_id=endpoint_id
    )
    overlap = timedelta(minutes=(body or EndpointSecretRotation()).overlap_minutes)
    endpoint = await endpoints.rotate_secret(
        session, endpoint=endpoint, overlap=overlap, now=utcnow()
    )
    response.headers["Cache-Control"] = "no-store"
    set_etag(response, endpoint.version)
    return EndpointWithSecret.model_validate(endpoint)


@router.post(
    ENDPOINTS + "/{endpoint_id}/test",
    summary="Send a signed `test` notification now and show what the receiver answered (admin)",
    description="Goes through the same address checks as every delivery; nothing is stored. "
    "A receiver that does not answer 2xx is still a 200 here, with `delivered: false`.",
    response_model=TestResult,
    responses=problem_responses(404, 422),
)
async def test_notification_endpoint(
    endpoint_id: uuid.UUID, session: DbSession, caller: Admin, runtime: AppRuntime
) -> TestResult:
    endpoint = await endpoints.get_endpoint(
        session, workspace_id=caller.workspace_id, endpoint_id=endpoint_id
    )
    now = utcnow()
    webhook_id = formats.new_webhook_id()
    payload = {
        "event_id": None,
        "workspace_id": str(endpoint.workspace_id),
        "subject_type": "notification_endpoint",
        "subject_id": str(endpoint.id),
        "campaign_id": None,
        "occurred_at": now.isoformat(),
        "severity": "info",
        "message": f"campaignops test of the endpoint {endpoint.name!r}",
        "fingerprint": f"test:{endpoint.id}",
    }
    allowed = _allowed(runtime)
    async with callback_client.one_off(allowed) as guarded:
        answer = await sender.call(
            guarded,
            endpoint,
            kind=formats.TEST_KIND,
            payload=payload,
            webhook_id=webhook_id,
            created_at=now,
            allowed=allowed,
        )
    return TestResult(
        delivered=answer.ok,
        status_code=answer.status_code,
        error=answer.error,
        latency_ms=answer.latency_ms,
        response_excerpt=answer.excerpt,
        webhook_id=webhook_id,
    )


@router.get(
    ENDPOINTS + "/{endpoint_id}/deliveries",
    summary="List an endpoint's deliveries with their attempts, newest first (admin)",
    response_model=Page[DeliveryOut],
    responses=problem_responses(400, 404, 422),
)
async def list_endpoint_deliveries(
    endpoint_id: uuid.UUID, session: DbSession, caller: Admin, page: Pagination
) -> Page[DeliveryOut]:
    endpoint = await endpoints.get_endpoint(
        session, workspace_id=caller.workspace_id, endpoint_id=endpoint_id
    )
    results = await service.list_deliveries(session, endpoint=endpoint, page=page)
    attempts = await service.attempts_of(session, [d.id for d in results.items])
    return Page[DeliveryOut](
        items=[_delivery_out(d, attempts[d.id]) for d in results.items],
        next_cursor=results.next_cursor,
    )


@router.get(
    "/v1/deliveries/{delivery_id}",
    summary="Get a delivery with its attempts (admin)",
    response_model=DeliveryOut,
    responses=problem_responses(404, 422),
)
async def get_delivery(delivery_id: uuid.UUID, session: DbSession, caller: Admin) -> DeliveryOut:
    delivery = await service.get_delivery(
        session, workspace_id=caller.workspace_id, delivery_id=delivery_id
    )
    attempts = await service.attempts_of(session, [delivery.id])
    return _delivery_out(delivery, attempts[delivery.id])


@router.post(
    "/v1/deliveries/{delivery_id}/redeliver",
    summary="Send a dead or delivered notification again, same webhook-id (admin)",
    description="409 while it is still pending, or when its endpoint is disabled.",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryOut,
    responses=problem_responses(404, 409, 422),
)
async def redeliver(delivery_id: uuid.UUID, session: DbSession, caller: Admin) -> DeliveryOut:
    delivery = await service.get_delivery(
        session, workspace_id=caller.workspace_id, delivery_id=delivery_id, for_update=True
    )
    delivery = await service.redeliver(session, delivery=delivery, now=utcnow())
    attempts = await service.attempts_of(session, [delivery.id])
    return _delivery_out(delivery, attempts[delivery.id])


# --- what receivers get: the OpenAPI document's `webhooks` section -------------------------

webhooks = APIRouter(tags=["notification payloads"])


@webhooks.post(
    "webhook-format",
    summary="`webhook` endpoints: a Standard Webhooks signed JSON message",
    description="Headers: `webhook-id` (the same on every retry of one notification: drop "
    "duplicates by it), `webhook-timestamp` (Unix seconds), `webhook-signature` "
    "(`v1,<base64 HMAC-SHA256 of id.timestamp.body>`, several space-separated during a "
    "secret rotation). Answer 2xx to acknowledge; 410 disables the endpoint; anything "
    "else is retried (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h).",
)
async def webhook_format(body: WebhookMessage) -> None:
    """Documentation only."""


@webhooks.post(
    "slack-format",
    summary="`slack` endpoints: an incoming-webhook message",
)
async def slack_format(body: SlackMessage) -> None:
    """Documentation only."""


@webhooks.post(
    "pagerduty-format",
    summary="`pagerduty` endpoints: an Events API v2 event",
)
async def pagerduty_format(body: PagerDutyEvent) -> None:
    """Documentation only."""


@webhooks.post(
    "feishu-format",
    summary="`feishu` endpoints: an interactive card to a Feishu custom bot",
    description="Signed in the body (`timestamp`, `sign`) when the endpoint has a "
    '`bot_secret`. Success is the answer `{"code": 0}`; other codes are retried.',
)
async def feishu_format(body: FeishuMessage) -> None:
    """Documentation only."""


@webhooks.post(
    "dingtalk-format",
    summary="`dingtalk` endpoints: a markdown message to a DingTalk custom robot",
    description="Signed in the URL (`timestamp`, `sign`) when the endpoint has a "
    '`bot_secret`. Success is the answer `{"errcode": 0}`; other codes are retried.',
)
async def dingtalk_format(body: DingTalkMessage) -> None:
    """Documentation only."""


@webhooks.post(
    "wecom-format",
    summary="`wecom` endpoints: a markdown message to a WeCom group bot",
    description="Unsigned: the `key` in the URL is the credential. Success is the answer "
    '`{"errcode": 0}`; other codes are retried.',
)
async def wecom_format(body: WeComMessage) -> None:
    """Documentation only."""
