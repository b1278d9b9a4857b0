"""Importing the daily channel report: the file's figures stored the way a manual entry
is, as one batch applied at once by `apply_batch`, so every rule of ingestion (active
campaign, attached channel, late-data window) holds for a file too; notes go to the
execution log.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.activity import service as activity
from shared.activity.models import ActivityEntry, EntryAction
from shared.actor import Actor
from shared.campaigns.models import Campaign
from shared.errors import FieldError, Invalid
from shared.figures.models import Channel
from shared.ingestion.apply import Outcome, apply_batch
from shared.ingestion.import_schemas import (
    CellIssueOut,
    DailyReportImportOut,
    ImportWarningOut,
    RejectedRowOut,
)
from shared.ingestion.models import BatchStatus, IngestBatch
from shared.ingestion.report_cells import MetricSpec
from shared.ingestion.report_csv import decode, parse_sheet
from shared.ingestion.report_table import CellProblem, Layout, Row, Sheet, parse_records
from shared.ingestion.report_xlsx import read_workbook
from shared.ingestion.schemas import MAX_POINTS
from shared.ingestion.service import new_manual_batch
from shared.metrics import service as metric_dictionary
from shared.tenancy import in_workspace

MAX_ERRORS_LISTED = 500  # a 422 for a broken 5,000-row file stays readable


# --- storing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Applied:
    batch: IngestBatch | None
    outcome: Outcome | None
    origins: list[tuple[int, str]]  # per point: (line, column)

    def refused(self, layout: Layout) -> dict[int, list[CellProblem]]:
        """The rows apply_batch refused points of, each reason on the cell it concerns."""
        by_row: dict[int, list[CellProblem]] = {}
        for rejection in self.outcome.rejected if self.outcome else []:
            line, column = self.origins[rejection["index"]]
            reason = str(rejection["reason"])
            if "channel" in reason:
                column = layout.channel.header
            elif any(word in reason for word in ("window", "future", "campaign")):
                column = layout.date.header  # the day cannot be recorded (any more)
            problem = CellProblem(line, column, f"not stored: {reason}", code="rejected")
            problems = by_row.setdefault(line, [])
            if problem not in problems:
                problems.append(problem)
        return by_row

    def accepted_on(self, line: int) -> bool:
        refused = {r["index"] for r in self.outcome.rejected} if self.outcome else set()
        return any(
            origin[0] == line and index not in refused for index, origin in enumerate(self.origins)
        )


async def _apply_rows(
    session: AsyncSession, *, campaign: Campaign, rows: list[Row], now: datetime
) -> _Applied:
    points: list[dict[str, Any]] = []
    origins: list[tuple[int, str]] = []
    for row in rows:
        assert row.day is not None
        assert row.channel is not None
        for key, figure in row.figures.items():
            points.append(
                {
                    "channel": row.channel,
                    "metric": key,
                    "date": row.day.isoformat(),
                    "value": format(figure.value, "f"),  # exact: JSON numbers are floats
                    "mode": "set",  # the day's figure: importing a file again changes nothing
                }
            )
            origins.append((row.line, figure.column))
    if not points:
        return _Applied(None, None, [])
    batch = await new_manual_batch(session, campaign=campaign, points=points, source="csv")
    outcome = await apply_batch(session, batch_id=batch.id, now=now)
    return _Applied(batch, outcome, origins)


def note_text(row: Row) -> str:
    assert row.day is not None
    assert row.note is not None
    return f"Daily report {row.day.isoformat()}, {row.channel}: {row.note}"


async def _log_notes(
    session: AsyncSession, *, campaign: Campaign, actor: Actor | None, rows: list[Row]
) -> int:
    """Each row's note as an execution-log entry, unless the same one is there already
    (a file imported again)."""
    texts = list(dict.fromkeys(note_text(r) for r in rows if r.note))
    if not texts:
        return 0
    logged = set(
        await session.scalars(
            select(ActivityEntry.note).where(
                ActivityEntry.campaign_id == campaign.id,
                ActivityEntry.action == EntryAction.note.value,
                ActivityEntry.note.in_(texts),
            )
        )
    )
    added = 0
    for text in texts:
        if text not in logged:
            await activity.add_note(
                session,
                campaign=campaign,
                actor=actor,
                kind=activity.NoteKind.note,
                note=text,
                related_task_ids=[],
            )
            added += 1
    return added


def _refusal(rejected: dict[int, list[CellProblem]], rows_read: int) -> Invalid:
    problems = [problem for line in sorted(rejected) for problem in rejected[line]]
    first = problems[0]
    shown = problems[:MAX_ERRORS_LISTED]
    more = (
        f" The first {len(shown)} of {len(problems)} errors are listed."
        if shown != problems
        else ""
    )
    return Invalid(
        f"{len(rejected)} of {rows_read} rows cannot be imported (line {first.row}, "
        f"{first.column}: {first.message}); nothing was stored. Correct them, or send "
        f"partial=true to import the other rows.{more}",
        [FieldError(f"rows.{i.row}.{i.column}", i.message, code=i.code) for i in shown],
        code="invalid_rows",
    )


@dataclass(frozen=True)
class Imported:
    answer: DailyReportImportOut
    touched: dict[uuid.UUID, set[str]]  # campaign -> metric keys: for the caller to watch


def _read(
    body: bytes,
    workbook: bool,
    sheet: str | None,
    metrics: dict[str, MetricSpec],
    channels: dict[str, str],
) -> tuple[Sheet, str | None]:
    """The report and, from a workbook, the name of the worksheet it was read from."""
    if not workbook:
        if sheet is not None:
            raise Invalid(
                "A CSV file has no worksheets: `sheet` is for .xlsx workbooks.",
                [FieldError("sheet", "only for .xlsx workbooks", location="query")],
            )
        return parse_sheet(decode(body), metrics, channels), None
    name, table = read_workbook(body, sheet=sheet)
    return parse_records(table, metrics, channels, delimiter=None), name


async def import_daily_report(
    session: AsyncSession,
    *,
    campaign: Campaign,
    actor: Actor | None,
    body: bytes,
    partial: bool,
    now: datetime,
    workbook: bool = False,
    sheet: str | None = None,
) -> Imported:
    """Store the file's figures and notes: a CSV file, or with `workbook` an .xlsx one
    (its first worksheet, or the one named `sheet`). Any bad row refuses the whole file
    (422 per cell, nothing stored) unless `partial`: then the good rows are imported and
    the bad ones, skipped whole, are listed. The rules reading the figures are left to
    the caller (`touched`)."""
    dictionary = await metric_dictionary.dictionary(session, workspace_id=campaign.workspace_id)
    metrics = {
        key: MetricSpec(m.key, m.name, m.unit.value, m.formula) for key, m in dictionary.items()
    }
    channels = {
        c.key: c.name for c in await session.scalars(in_workspace(Channel, campaign.workspace_id))
    }
    report, worksheet = _read(body, workbook, sheet, metrics, channels)
    rejected: dict[int, list[CellProblem]] = {r.line: r.errors for r in report.rows if r.errors}
    candidates = [r for r in report.rows if not r.errors]
    figures = sum(len(r.figures) for r in candidates)
    if figures > MAX_POINTS:
        raise Invalid(
            f"The file holds {figures:,} figures; at most {MAX_POINTS:,} per import: split it.",
            [FieldError("rows", f"more than {MAX_POINTS:,} figures", code="too_many_points")],
            code="invalid_file",
        )

    # In a savepoint, so that a refused file leaves nothing behind even if the caller's
    # transaction goes on, and so that a row refused only in part can be taken out whole.
    while True:
        savepoint = await session.begin_nested()
        try:
            applied = await _apply_rows(session, campaign=campaign, rows=candidates, now=now)
        except BaseException:
            await savepoint.rollback()
            raise
        refused = applied.refused(report.layout)
        rejected.update(refused)
        if partial and any(applied.accepted_on(line) for line in refused):
            await savepoint.rollback()  # again without those rows: a bad row is skipped whole
            candidates = [r for r in candidates if r.line not in refused]
            continue
        if rejected and not partial:
            await savepoint.rollback()
            raise _refusal(rejected, len(report.rows))
        await savepoint.commit()
        break

    imported = [r for r in candidates if r.line not in rejected]
    notes = await _log_notes(session, campaign=campaign, actor=actor, rows=imported)
    answer = DailyReportImportOut(
        worksheet=worksheet,
        batch_id=applied.batch.id if applied.batch else None,
        status=BatchStatus.of_outcome(len(report.rows), len(rejected)),
        rows_read=len(report.rows),
        rows_imported=len(imported),
        points_applied=applied.outcome.accepted if applied.outcome else 0,
        notes_logged=notes,
        rejected_rows=[
            RejectedRowOut(
                row=line,
                errors=[CellIssueOut(column=i.column, message=i.message) for i in rejected[line]],
            )
            for line in sorted(rejected)
        ],
        warnings=[
            ImportWarningOut(row=w.row, column=w.column, message=w.message)
            for r in imported
            for w in r.warnings
        ],
    )
    return Imported(answer, applied.outcome.touched if applied.outcome else {})
