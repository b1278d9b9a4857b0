"""People's own figures: entered by hand, or imported from the daily channel report as a
spreadsheet (CSV or an .xlsx workbook). Both are stored as a batch and applied at once;
the rules reading the figures look again once they are committed, as after a webhook's
batch."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from services.api.deps import ChangeableCampaign, DbSession, Editor, Idempotent
from services.api.middleware import BodyRule
from services.api.problems import HttpProblem, problem_responses
from shared.alerts import service as alerts
from shared.ingestion import daily_report_import, service
from shared.ingestion.import_schemas import DAILY_REPORT_CSV_EXAMPLE, DailyReportImportOut
from shared.ingestion.report_table import MAX_DATA_ROWS, MAX_IMPORT_BYTES
from shared.ingestion.report_xlsx import (
    MAX_COLUMNS,
    MAX_SHEET_NAME,
    MAX_SHEET_ROWS,
    MAX_UNCOMPRESSED_BYTES,
    XLSX_MEDIA_TYPE,
    UnsupportedWorkbook,
)
from shared.ingestion.schemas import MAX_POINTS, IngestBatchOut, MetricPointsIn
from shared.timeutil import utcnow

router = APIRouter(tags=["ingestion"])


@router.post(
    "/v1/campaigns/{campaign_id}/metric-points",
    summary="Enter figures by hand (the same point format as ingestion, without campaign)",
    description="Applied at once. Any point that cannot apply refuses the whole entry with a "
    "422 naming each (`points.3`), unless `partial=true`: then the others apply and the "
    "rejected ones are listed in the answer.",
    status_code=status.HTTP_201_CREATED,
    response_model=IngestBatchOut,
    dependencies=[Idempotent],
    responses=problem_responses(404, 409, 415, 422),
)
async def enter_metric_points(
    body: MetricPointsIn,
    campaign: ChangeableCampaign,
    session: DbSession,
    response: Response,
    partial: Annotated[bool, Query(description="Apply the good points, report the bad")] = False,
) -> IngestBatchOut:
    entered = await service.enter_points(
        session, campaign=campaign, points=body.points, partial=partial, now=utcnow()
    )
    alerts.watch_later(session, entered.touched)
    response.headers["Location"] = f"/v1/ingest/batches/{entered.batch.id}"
    return IngestBatchOut.model_validate(entered.batch)


IMPORT_PATH = "/v1/campaigns/{campaign_id}/metric-points/import"
CSV_TYPES = {"text/csv", "application/csv"}
# The request guards refuse any body but JSON; this route takes a CSV file or a workbook.
CSV_BODY = BodyRule.for_route(IMPORT_PATH, CSV_TYPES | {XLSX_MEDIA_TYPE}, MAX_IMPORT_BYTES)

RESPONSES = problem_responses(400, 404, 409, 413, 415, 422)
RESPONSES[400] = RESPONSES[400] | {
    "description": "The body is no readable .xlsx workbook (`invalid_workbook`)"
}
RESPONSES[413] = RESPONSES[413] | {"description": f"Body larger than {MAX_IMPORT_BYTES} bytes"}
RESPONSES[415] = RESPONSES[415] | {
    "description": "Content-Type is none of text/csv, application/csv and the .xlsx type; or "
    "the workbook is of another kind (.xlsm, .xlsb, .xls, password-protected, OpenDocument)"
}
WORKBOOK_EXAMPLE = (
    "(the .xlsx file's bytes: the first worksheet holds the table, e.g. the manuals' "
    "日期 | 渠道 | 曝光量 | 点击率 | 转化率 | 新增用户 | 销售额 | 备注, with 点击率 "
    "formatted as a percentage)"
)

DESCRIPTION = f"""
The brief's daily channel report as a spreadsheet: one row per channel per day, the
header row first. Send the file itself as the body: a CSV file (`text/csv` or
`application/csv`, UTF-8 with or without a byte order mark; comma, semicolon or tab
delimited), or an Excel workbook (`{XLSX_MEDIA_TYPE}`).

- **Columns**, matched case-insensitively (spaces, hyphens and underscores alike):
  `date` and `channel` (required), `note`, and any metric of the dictionary by key or
  name; `sales` means gmv, `conversion` conversion_rate.
- **date**: `2024-06-10` or `2024/06/10`, a day in the campaign's timezone.
  **channel**: its key or its name.
- **Figures**: `50,000` or `50000`; `-` or empty is no figure. Rates (a ratio of two
  base metrics, such as CTR = clicks / impressions) are written `2.1%` or `0.021`
  (a plain value above 1 is refused) and stored as their numerator, computed from the
  denominator of the same row: clicks = impressions x CTR, then conversions = clicks x
  conversion. A rate without its denominator in the row is skipped with a warning.
  Figures replace the day's figure: importing the same file again changes nothing.
- **note**: kept in the campaign's execution log, once per day, channel and text.

- **Workbooks**: the first worksheet is read, or the one named by `sheet`. Cells read
  as the CSV's text: numbers as they are, cells formatted as a percentage as such (a
  cell showing 2.1% holds 0.021 and reads as `2.1%`), dates as Excel dates or text, a
  formula by the value Excel saved with it. Lines are the worksheet's row numbers.
  Macro-enabled (.xlsm), binary (.xlsb), old (.xls), password-protected and
  OpenDocument files are 415; a damaged file 400 `invalid_workbook`.

Any bad row refuses the whole file: a 422 names each bad cell as `rows.<line>.<column>`
(the header is line 1) and nothing is stored. With `partial=true` the good rows are
imported and the bad ones, skipped whole, are listed in the answer.

Limits: {MAX_IMPORT_BYTES:,} bytes (413 above), {MAX_DATA_ROWS:,} rows and
{MAX_POINTS:,} figures per file; a workbook inflates to at most
{MAX_UNCOMPRESSED_BYTES:,} bytes, and its worksheet holds at most {MAX_SHEET_ROWS:,} rows
(blank ones included) and {MAX_COLUMNS} columns (422 `invalid_file` beyond).
"""


@router.post(
    IMPORT_PATH,
    summary="Import the daily channel report from a CSV file or an .xlsx workbook",
    description=DESCRIPTION,
    status_code=status.HTTP_201_CREATED,
    response_model=DailyReportImportOut,
    dependencies=[Idempotent],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string", "examples": [DAILY_REPORT_CSV_EXAMPLE]},
                },
                XLSX_MEDIA_TYPE: {
                    "schema": {
                        "type": "string",
                        "format": "binary",
                        "contentMediaType": XLSX_MEDIA_TYPE,
                        "examples": [WORKBOOK_EXAMPLE],
                    },
                },
            },
        },
    },
    responses=RESPONSES,
)
async def import_daily_report(
    request: Request,
    campaign: ChangeableCampaign,
    session: DbSession,
    caller: Editor,
    partial: Annotated[bool, Query(description="Import the good rows, report the bad")] = False,
    sheet: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_SHEET_NAME,
            description="The worksheet to read, by name (workbooks only; default: the first)",
            examples=["日报"],
        ),
    ] = None,
) -> DailyReportImportOut:
    content_type = request.headers.get("content-type", "")
    # The guards check the type only when there is a body; an empty one is refused here.
    if not CSV_BODY.accepts(content_type):
        raise HttpProblem(
            415,
            "unsupported_media_type",
            "Unsupported media type",
            "Send the report as text/csv (or application/csv), encoded as UTF-8, or as an "
            f"Excel workbook ({XLSX_MEDIA_TYPE}).",
        )
    try:
        imported = await daily_report_import.import_daily_report(
            session,
            campaign=campaign,
            actor=caller,
            body=await request.body(),
            partial=partial,
            now=utcnow(),
            workbook=content_type.split(";", 1)[0].strip().lower() == XLSX_MEDIA_TYPE,
            sheet=sheet,
        )
    except UnsupportedWorkbook as exc:
        raise HttpProblem(415, "unsupported_workbook", "Unsupported media type", str(exc)) from exc
    alerts.watch_later(session, imported.touched)
    return imported.answer
