"""Signed metric batches from integrations, and what became of a batch."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Request, status

from services.api.deps import DbSession, Viewer
from services.api.problems import HttpProblem, problem_responses
from shared.ingestion import service
from shared.ingestion.schemas import (
    IngestAccepted,
    IngestBatchIn,
    IngestBatchOut,
    MalformedJson,
    envelope_points,
)
from shared.integrations.service import verify_delivery
from shared.timeutil import utcnow

router = APIRouter(tags=["ingestion"])

SIGNED = {
    "webhook-id": "Unique per delivery; a repeat is stored once",
    "webhook-timestamp": "Unix seconds; within 5 minutes of our clock",
    "webhook-signature": "v1,<base64 HMAC-SHA256 of id.timestamp.body> (space-separated list)",
}


@router.post(
    "/v1/ingest/{integration_id}",
    summary="Push a signed batch of metric points (Standard Webhooks)",
    description="Verified, stored as received and queued; the worker applies it (all "
    "accepted points in one transaction, exactly once) and rejects bad points one by one "
    "(see GET /v1/ingest/batches/{id}). The same webhook-id again answers with the first "
    "batch id and stores nothing. No API key: the signature is the credential. "
    + "; ".join(f"`{k}`: {v}" for k, v in SIGNED.items()),
    status_code=status.HTTP_202_ACCEPTED,
    response_model=IngestAccepted,
    openapi_extra={
        "security": [{"StandardWebhooks": []}],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": IngestBatchIn.model_json_schema(
                        ref_template="#/components/schemas/{model}"
                    )
                }
            },
        },
    },
    responses=problem_responses(400, 401, 404, 413, 415, 422),
)
async def ingest(
    integration_id: uuid.UUID,
    request: Request,
    session: DbSession,
    # Optional here so that a missing header is a 401 like any other bad signature.
    webhook_id: Annotated[str | None, Header(alias="webhook-id", max_length=255)] = None,
    webhook_timestamp: Annotated[str | None, Header(alias="webhook-timestamp")] = None,
    webhook_signature: Annotated[str | None, Header(alias="webhook-signature")] = None,
) -> IngestAccepted:
    integration = await service.find_integration(session, integration_id)
    body = await request.body()  # the exact bytes: they are what was signed
    try:
        body.decode()  # JSON is UTF-8 (RFC 8259); no signature over other bytes is checked
    except UnicodeDecodeError as exc:
        raise HttpProblem(
            400, "malformed_json", "Malformed JSON", f"Not UTF-8 at byte {exc.start}."
        ) from exc
    headers = {
        "webhook-id": webhook_id or "",
        "webhook-timestamp": webhook_timestamp or "",
        "webhook-signature": webhook_signature or "",
    }
    if not webhook_id or not verify_delivery(integration, body, headers, utcnow()):
        raise HttpProblem(
            401,
            "invalid_signature",
            "Signature not verified",
            "The webhook signature is missing, wrong, or older than 5 minutes; nothing was stored.",
        )
    try:
        points = envelope_points(body)
    except MalformedJson as exc:
        raise HttpProblem(400, "malformed_json", "Malformed JSON", f"Not JSON: {exc}.") from exc
    received = await service.receive(
        session, integration=integration, webhook_id=webhook_id, points=points
    )
    return IngestAccepted(
        batch_id=received.batch_id,
        status=received.status,
        points=received.points,
        duplicate=received.duplicate,
    )


@router.get(
    "/v1/ingest/batches/{batch_id}",
    summary="A batch: applied? which points were rejected, and why",
    response_model=IngestBatchOut,
    responses=problem_responses(404, 422),
)
async def get_ingest_batch(
    batch_id: uuid.UUID, session: DbSession, caller: Viewer
) -> IngestBatchOut:
    batch = await service.get_batch(session, workspace_id=caller.workspace_id, batch_id=batch_id)
    return IngestBatchOut.model_validate(batch)
