"""Files evidencing an expense (invoice scans, contracts, statements): the raw file as the
body, kept in PostgreSQL with its SHA-256, served back as an attachment of its own type."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from services.api.deps import (
    ChangeableCampaign,
    DbSession,
    Editor,
    Idempotent,
    IfMatch,
    Pagination,
    ReadableCampaign,
    set_etag,
)
from services.api.middleware import BodyRule
from services.api.problems import HttpProblem, problem_responses
from shared.pagination import Page
from shared.settlements import attachments, files
from shared.settlements.schemas import AttachmentOut

router = APIRouter(tags=["expense attachments"])

ATTACHMENTS = "/v1/campaigns/{campaign_id}/expenses/{expense_id}/attachments"
ONE = ATTACHMENTS + "/{attachment_id}"
# The request guards refuse any body but JSON; this route takes the file itself.
ATTACHMENT_BODY = BodyRule.for_route(
    ATTACHMENTS, set(files.ALLOWED_TYPES), files.MAX_ATTACHMENT_BYTES
)

UPLOAD_RESPONSES = problem_responses(404, 409, 413, 415, 422)
UPLOAD_RESPONSES[413] = UPLOAD_RESPONSES[413] | {
    "description": f"The file is larger than {files.MAX_ATTACHMENT_BYTES} bytes (10 MiB)"
}
UPLOAD_RESPONSES[415] = UPLOAD_RESPONSES[415] | {
    "description": "The type is not taken, or the bytes are not of the declared type "
    "(`type_mismatch`: e.g. an HTML page sent as text/csv)"
}
_FILE_EXAMPLE = "(the file's bytes)"


def _shown(attachment: object) -> AttachmentOut:
    return AttachmentOut.model_validate(attachment)


@router.post(
    ATTACHMENTS,
    summary="Attach a file to an expense (invoice, contract, statement)",
    description=f"""
Send the file itself as the body, with its type as `Content-Type`: one of
{", ".join(f"`{t}`" for t in files.ALLOWED_TYPES)}; its name in `filename` (any
language: `发票-0610.pdf`). At most {files.MAX_ATTACHMENT_BYTES:,} bytes (413 above).

The bytes must be of the declared type (checked by their magic number; a CSV must be
UTF-8 text and no markup): otherwise 415 `type_mismatch`, and nothing is kept. Optionally
send the SHA-256 you computed as `sha256`: a damaged upload is then 422 `checksum_mismatch`.
The answer carries the SHA-256 of what was kept; downloads are checked against it.

While the campaign's expenses are settled, 409 `expenses_settled`.
""",
    status_code=status.HTTP_201_CREATED,
    response_model=AttachmentOut,
    dependencies=[Idempotent],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                media_type: {
                    "schema": {
                        "type": "string",
                        "format": "binary",
                        "contentMediaType": media_type,
                        "examples": [_FILE_EXAMPLE],
                    }
                }
                for media_type in files.ALLOWED_TYPES
            },
        }
    },
    responses=UPLOAD_RESPONSES,
)
async def attach_file(
    request: Request,
    expense_id: uuid.UUID,
    campaign: ChangeableCampaign,
    session: DbSession,
    caller: Editor,
    response: Response,
    filename: Annotated[
        str,
        Query(
            min_length=1,
            max_length=files.MAX_FILENAME_LENGTH,
            description="The file's name, kept and given back on download",
            examples=["发票-2024-0610.pdf"],
        ),
    ],
    sha256: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9a-fA-F]{64}$",
            description="The SHA-256 of the file as you sent it, hex (optional)",
        ),
    ] = None,
) -> AttachmentOut:
    content_type = request.headers.get("content-type", "")
    # The guards check the type only when there is a body; an empty one is refused here.
    if not ATTACHMENT_BODY.accepts(content_type):
        raise HttpProblem(
            415,
            "unsupported_media_type",
            "Unsupported media type",
            f"Send the file with its type: one of {', '.join(files.ALLOWED_TYPES)}.",
        )
    expense = await attachments.expense_of(session, campaign=campaign, expense_id=expense_id)
    try:
        attachment = await attachments.attach(
            session,
            campaign=campaign,
            expense=expense,
            actor=caller,
            filename=filename,
            declared_type=content_type,
            body=await request.body(),
            expected_sha256=sha256,
        )
    except files.UnsupportedFile as exc:
        raise HttpProblem(415, exc.code, "Unsupported media type", exc.detail) from exc
    except files.FileTooLarge as exc:
        raise HttpProblem(413, "payload_too_large", "Request body too large", str(exc)) from exc
    response.headers["Location"] = (
        f"/v1/campaigns/{campaign.id}/expenses/{expense.id}/attachments/{attachment.id}"
    )
    set_etag(response, attachment.version)
    return _shown(attachment)


@router.get(
    ATTACHMENTS,
    summary="The files attached to an expense (their names, types, sizes and SHA-256)",
    response_model=Page[AttachmentOut],
    responses=problem_responses(400, 404, 422),
)
async def list_attachments(
    expense_id: uuid.UUID, campaign: ReadableCampaign, session: DbSession, page: Pagination
) -> Page[AttachmentOut]:
    expense = await attachments.expense_of(session, campaign=campaign, expense_id=expense_id)
    results = await attachments.list_attachments(
        session, campaign=campaign, expense=expense, page=page
    )
    return Page[AttachmentOut](
        items=[_shown(a) for a in results.items], next_cursor=results.next_cursor
    )


@router.get(
    ONE,
    summary="An attached file's description",
    response_model=AttachmentOut,
    responses=problem_responses(404, 422),
)
async def get_attachment(
    expense_id: uuid.UUID,
    attachment_id: uuid.UUID,
    campaign: ReadableCampaign,
    session: DbSession,
    response: Response,
) -> AttachmentOut:
    expense = await attachments.expense_of(session, campaign=campaign, expense_id=expense_id)
    found = await attachments.get_attachment(
        session, campaign=campaign, expense=expense, attachment_id=attachment_id
    )
    set_etag(response, found.version)
    return _shown(found)


@router.get(
    ONE + "/content",
    summary="Download an attached file",
    description="The bytes as kept, with their stored type, as an attachment "
    "(`Content-Disposition: attachment; filename*=UTF-8''...`) and `X-Content-Type-Options: "
    "nosniff`: a browser saves the file, never renders it as a page. `Repr-Digest` carries "
    "the SHA-256, checked before sending.",
    response_class=Response,
    responses={
        **problem_responses(404, 422),
        200: {
            "description": "The file",
            "content": {
                media_type: {"schema": {"type": "string", "format": "binary"}}
                for media_type in files.ALLOWED_TYPES
            },
        },
    },
)
async def download_attachment(
    expense_id: uuid.UUID,
    attachment_id: uuid.UUID,
    campaign: ReadableCampaign,
    session: DbSession,
) -> Response:
    expense = await attachments.expense_of(session, campaign=campaign, expense_id=expense_id)
    found = await attachments.get_attachment(
        session, campaign=campaign, expense=expense, attachment_id=attachment_id
    )
    kept = await attachments.download(session, attachment=found)
    return Response(
        kept.content,
        media_type=found.media_type,
        headers={
            "Content-Disposition": files.content_disposition(found.filename),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
            "Repr-Digest": files.repr_digest(found.sha256),
            "ETag": f'"{found.version}"',
        },
    )


@router.delete(
    ONE,
    summary="Remove an attached file (before settlement)",
    description="409 `expenses_settled` while the campaign's expenses are settled.",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404, 409, 412, 422),
)
async def delete_attachment(
    expense_id: uuid.UUID,
    attachment_id: uuid.UUID,
    campaign: ChangeableCampaign,
    session: DbSession,
    if_match: IfMatch,
) -> None:
    expense = await attachments.expense_of(session, campaign=campaign, expense_id=expense_id)
    found = await attachments.get_attachment(
        session, campaign=campaign, expense=expense, attachment_id=attachment_id
    )
    await attachments.remove(
        session, campaign=campaign, attachment=found, expected_versions=if_match
    )
