"""The answer to an import of the daily channel report (CSV or .xlsx)."""

import uuid

from pydantic import ConfigDict, Field

from shared.ingestion.models import BatchStatus
from shared.schemas import ResponseModel

DAILY_REPORT_CSV_EXAMPLE = (
    "date,channel,impressions,CTR,conversion,new users,sales,note\n"
    '2024-06-10,social feed,"50,000",2.1%,3.5%,175,"35,000",\n'
    '2024-06-10,offline store,"2,000",-,8.0%,160,"32,000",traffic 20% under expectation\n'
)


class CellIssueOut(ResponseModel):
    column: str = Field(description="The column's header as written in the file")
    message: str


class RejectedRowOut(ResponseModel):
    row: int = Field(
        description="Line number in the file (the header is line 1), or the worksheet's row number"
    )
    errors: list[CellIssueOut]


class ImportWarningOut(ResponseModel):
    row: int = Field(description="Line number in the file (the header is line 1)")
    column: str
    message: str


class DailyReportImportOut(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "batch_id": "01a2010c-c015-761b-9bc5-6ac427b850dc",
                    "worksheet": None,
                    "status": "partially_applied",
                    "rows_read": 3,
                    "rows_imported": 2,
                    "points_applied": 9,
                    "notes_logged": 1,
                    "rejected_rows": [
                        {
                            "row": 4,
                            "errors": [
                                {
                                    "column": "impressions",
                                    "message": "'5O,000' is not a number: write 50000 or 50,000",
                                }
                            ],
                        }
                    ],
                    "warnings": [
                        {
                            "row": 3,
                            "column": "conversion",
                            "message": "conversion 8.0% not stored: no clicks in this row to "
                            "measure it against",
                        }
                    ],
                }
            ]
        }
    )

    batch_id: uuid.UUID | None = Field(
        description="The stored batch of figures (GET /v1/ingest/batches/{id}); null when no "
        "row held a figure to store"
    )
    status: BatchStatus = Field(
        description="Per row: applied (every row), partially_applied (some rows rejected), "
        "failed (none imported)"
    )
    worksheet: str | None = Field(
        default=None, description="The worksheet read, for a workbook; null for CSV"
    )
    rows_read: int = Field(description="Data rows in the file (blank lines not counted)")
    rows_imported: int
    points_applied: int = Field(description="Figures stored (one per metric, channel and day)")
    notes_logged: int = Field(description="Notes added to the execution log (repeats skipped)")
    rejected_rows: list[RejectedRowOut] = Field(description="Rows skipped (partial=true only)")
    warnings: list[ImportWarningOut] = Field(
        description="Figures of imported rows that were not stored, and why"
    )
