"""A campaign's tables as spreadsheet files: `.xlsx` or `.csv`, headers in the workspace's
language."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.api.deps import DbSession, ReadableCampaign
from services.api.problems import problem_responses
from shared.exports.service import MEDIA_TYPES, ExportFormat, ExportTable, export
from shared.schemas import CalendarDay
from shared.settlements.files import content_disposition
from shared.timeutil import utcnow

router = APIRouter(tags=["exports"])

_FILE = {"type": "string", "format": "binary"}


@router.get(
    "/v1/campaigns/{campaign_id}/exports/{table}.{format}",
    summary="Download a campaign table as an Excel workbook or a CSV file",
    description="""
`table`: `tasks` (the assignment table: code, name, level, R1 owner, R2 approver,
supporting departments, predecessors, priority, planned and actual dates, deliverable,
status, progress, days late; in breakdown order), `issues` (the problem tracking table),
`daily-report` (the daily channel report, a row per channel per day and the day's total,
with each goal's completion rate and the note), `settlement` (budget and settlement:
baseline and current plan against actual per category and per channel, variance,
explanation, totals), `evaluation` (a row per goal, then the ROI, user value and brand
impact figures).

`format`: `xlsx` (one worksheet, typed cells: numbers, money to the cent as exact
decimals, dates; the header row frozen) or `csv` (UTF-8 with a BOM, CRLF; text starting
with `= + - @`, a tab or CR gets a leading `'` so no spreadsheet runs it as a formula).

Headers and values (statuses, priorities...) are in the workspace's `language`
(`PATCH /v1/workspace`). Only `daily-report` takes `from`/`to` (days in the campaign's
timezone, at most 366 of them; by default the campaign's days up to today). The file
comes as an attachment named after the campaign and the table
(`Content-Disposition: attachment; filename*=UTF-8''...`). At most 50,000 rows (409
`export_too_large`); `evaluation` of a campaign that never ran is 409 `campaign_not_run`.
""",
    response_class=Response,
    responses={
        **problem_responses(404, 409, 422),
        200: {
            "description": "The file, as an attachment",
            "content": {media_type: {"schema": _FILE} for media_type in MEDIA_TYPES.values()},
            "headers": {
                "Content-Disposition": {
                    "description": "`attachment` with the file's name (RFC 6266, RFC 8187)",
                    "schema": {"type": "string"},
                }
            },
        },
    },
)
async def export_table(
    campaign: ReadableCampaign,
    session: DbSession,
    table: Annotated[ExportTable, Path(description="Which table")],
    file_format: Annotated[ExportFormat, Path(alias="format", description="The file's type")],
    from_: Annotated[
        CalendarDay | None,
        Query(alias="from", description="daily-report: the first day (campaign timezone)"),
    ] = None,
    to: Annotated[
        CalendarDay | None,
        Query(description="daily-report: the last day, included (at most 366 days)"),
    ] = None,
) -> Response:
    found = await export(
        session,
        campaign=campaign,
        table=table,
        file_format=file_format,
        start=from_,
        end=to,
        now=utcnow(),
    )
    return Response(
        found.content,
        media_type=found.media_type,
        headers={
            "Content-Disposition": content_disposition(found.filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
