"""Files evidencing an expense: kept in PostgreSQL with their SHA-256, listed without
their bytes, served as stored, removed only while the expenses are open."""

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.actor import Actor
from shared.campaigns import lifecycle, plan
from shared.campaigns.models import Campaign, Expense
from shared.errors import FieldError, Invalid, NotFound
from shared.pagination import PageRequest, Results, paginate
from shared.settlements import files
from shared.settlements.models import ExpenseAttachment, ExpenseAttachmentContent
from shared.tenancy import in_workspace
from shared.versioning import check_version


class ChecksumMismatch(Exception):
    """Stored bytes no longer match their checksum: never served as if they did."""


def _ensure_changeable(campaign: Campaign) -> None:
    lifecycle.ensure_editable(campaign, lifecycle.SPENDING_OPEN, "Expense attachments")
    plan.ensure_expenses_open(campaign, "Expense attachments")


async def expense_of(
    session: AsyncSession, *, campaign: Campaign, expense_id: uuid.UUID
) -> Expense:
    """The campaign's expense (404 for another campaign's or workspace's)."""
    return await plan.get_item(session, plan.EXPENSES, campaign=campaign, item_id=expense_id)


async def attach(
    session: AsyncSession,
    *,
    campaign: Campaign,
    expense: Expense,
    actor: Actor,
    filename: str,
    declared_type: str,
    body: bytes,
    expected_sha256: str | None = None,
) -> ExpenseAttachment:
    """Keep the file; 415 (`UnsupportedFile`) when its type is not taken or its bytes are
    not of that type, 422 for an empty file, a bad name or a checksum that differs."""
    _ensure_changeable(campaign)
    errors = []
    problem = files.filename_problem(filename)
    if problem:
        errors.append(FieldError("filename", f"The file name {problem}.", location="query"))
    if not body:
        errors.append(FieldError("body", "The file is empty.", code="empty_file"))
    digest = files.checksum(body)
    if expected_sha256 is not None and expected_sha256.lower() != digest:
        errors.append(
            FieldError(
                "sha256",
                f"The bytes received have SHA-256 {digest}, not the one given: the upload "
                "was damaged; send it again.",
                code="checksum_mismatch",
                location="query",
            )
        )
    if errors:
        raise Invalid("The file cannot be attached.", errors)
    if len(body) > files.MAX_ATTACHMENT_BYTES:  # the request guards stop it before, too
        raise files.FileTooLarge(f"A file may be at most {files.MAX_ATTACHMENT_BYTES} bytes.")
    media_type = files.check_content(declared_type, body)
    attachment = ExpenseAttachment(
        workspace_id=campaign.workspace_id,
        campaign_id=campaign.id,
        expense_id=expense.id,
        filename=filename,
        media_type=media_type,
        size_bytes=len(body),
        sha256=digest,
        uploaded_by_member_id=actor.member_id,
        uploaded_by_api_key_id=actor.api_key_id,
    )
    session.add(attachment)
    await session.flush()
    session.add(ExpenseAttachmentContent(attachment_id=attachment.id, content=body))
    await session.flush()
    return attachment


async def list_attachments(
    session: AsyncSession, *, campaign: Campaign, expense: Expense, page: PageRequest
) -> Results[ExpenseAttachment]:
    query = in_workspace(ExpenseAttachment, campaign.workspace_id).where(
        ExpenseAttachment.campaign_id == campaign.id, ExpenseAttachment.expense_id == expense.id
    )
    return await paginate(session, query, ExpenseAttachment, page)


async def get_attachment(
    session: AsyncSession, *, campaign: Campaign, expense: Expense, attachment_id: uuid.UUID
) -> ExpenseAttachment:
    found = await session.scalar(
        in_workspace(ExpenseAttachment, campaign.workspace_id).where(
            ExpenseAttachment.id == attachment_id,
            ExpenseAttachment.campaign_id == campaign.id,
            ExpenseAttachment.expense_id == expense.id,
        )
    )
    if found is None:
        raise NotFound(f"Attachment {attachment_id} not found on this expense.")
    return found


@dataclass(frozen=True)
class Download:
    attachment: ExpenseAttachment
    content: bytes


async def download(session: AsyncSession, *, attachment: ExpenseAttachment) -> Download:
    """The bytes, checked against the stored SHA-256 (ChecksumMismatch when they differ)."""
    content = await session.scalar(
        select(ExpenseAttachmentContent.content).where(
            ExpenseAttachmentContent.attachment_id == attachment.id
        )
    )
    if content is None or files.checksum(content) != attachment.sha256:
        raise ChecksumMismatch(f"attachment {attachment.id} does not match its SHA-256")
    return Download(attachment, content)


async def remove(
    session: AsyncSession,
    *,
    campaign: Campaign,
    attachment: ExpenseAttachment,
    expected_versions: Collection[int] | None,
) -> None:
    """Before settlement only: a settled expense keeps its evidence."""
    check_version(attachment, expected_versions)
    _ensure_changeable(campaign)
    await session.delete(attachment)
    await session.flush()
