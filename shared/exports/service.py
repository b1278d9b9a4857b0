"""Exports of a campaign's tables as files people open in a spreadsheet: the task table,
the issue table, the daily report over a range of days, budget and settlement, and the
evaluation; as `.xlsx` or `.csv`, with the headers in the workspace's language."""

import asyncio
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from shared.campaigns.models import Campaign
from shared.errors import FieldError, Invalid
from shared.exports import daily, evaluation, money, work, writers
from shared.exports.table import Table
from shared.workspaces import labels
from shared.workspaces import service as workspaces


class ExportTable(StrEnum):
    tasks = "tasks"
    issues = "issues"
    daily_report = "daily-report"
    settlement = "settlement"
    evaluation = "evaluation"


class ExportFormat(StrEnum):
    xlsx = "xlsx"
    csv = "csv"


MEDIA_TYPES = {
    ExportFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.csv: "text/csv; charset=utf-8",
}
MAX_FILENAME_CHARS = 150


@dataclass(frozen=True)
class ExportFile:
    filename: str
    media_type: str
    content: bytes


def filename(campaign_name: str, title: str, extension: str, span: str | None = None) -> str:
    """`<campaign>-<table>[-<from>_<to>].<ext>`, without what a file system refuses
    (path separators, control characters, Windows' reserved ones)."""
    stem = "-".join(part for part in (campaign_name, title, span) if part)
    stem = "".join(
        "_" if c in '<>:"/\\|?*' or unicodedata.category(c).startswith("C") else c for c in stem
    )
    stem = re.sub(r"\s+", " ", stem).strip(" .")[:MAX_FILENAME_CHARS] or "export"
    return f"{stem}.{extension}"


async def export(
    session: AsyncSession,
    *,
    campaign: Campaign,
    table: ExportTable,
    file_format: ExportFormat,
    start: date | None,
    end: date | None,
    now: datetime,
) -> ExportFile:
    """The table as a file. A date range (`start`, `end`) is the daily report's only."""
    if table != ExportTable.daily_report and (start is not None or end is not None):
        name = "from" if start is not None else "to"
        raise Invalid(
            "Only the daily report takes a range of days.",
            [FieldError(name, f"not taken by the {table.value} table", location="query")],
        )
    workspace = await workspaces.get_workspace(session, workspace_id=campaign.workspace_id)
    language = workspace.language
    span = None
    built: Table
    if table == ExportTable.tasks:
        built = await work.task_table(session, campaign=campaign, language=language, now=now)
    elif table == ExportTable.issues:
        built = await work.issue_table(session, campaign=campaign, language=language, now=now)
    elif table == ExportTable.daily_report:
        first, last = daily.day_range(campaign, start=start, end=end, now=now)
        span = f"{first}_{last}"
        built = await daily.daily_table(
            session, campaign=campaign, language=language, start=first, end=last
        )
    elif table == ExportTable.settlement:
        built = await money.settlement_table(session, campaign=campaign, language=language)
    else:
        built = await evaluation.evaluation_table(
            session, campaign=campaign, language=language, now=now
        )
    write = writers.write_xlsx if file_format == ExportFormat.xlsx else writers.write_csv
    # Writing is CPU work without the database: off the event loop, so other requests go on.
    content = await asyncio.to_thread(write, built)
    return ExportFile(
        filename=filename(campaign.name, labels.title(table.value, language), file_format, span),
        media_type=MEDIA_TYPES[file_format],
        content=content,
    )
