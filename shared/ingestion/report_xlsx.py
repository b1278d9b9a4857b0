"""Reading the daily channel report from an Excel workbook (.xlsx): each cell becomes the
text the CSV path reads, so a workbook and its CSV export give the same figures and the
same row-level errors (`rows.<worksheet row>.<column>`).

Pure: bytes in, (worksheet row number, cells as text) out. Only plain workbooks are
read. The archive is checked before openpyxl opens it: a macro-enabled (.xlsm, .xlsb),
legacy (.xls), password-protected or other kind of document is refused, and so is one
whose parts would inflate beyond `MAX_UNCOMPRESSED_BYTES` (a zip bomb). Python's zipfile
never inflates an entry past the size it declares, so the declared sizes bound the work.
openpyxl then streams the worksheet (read-only mode), parsing XML through defusedxml
(entity expansion refused), and at most `MAX_SHEET_ROWS` rows of `MAX_COLUMNS` columns
are read.
"""

import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import openpyxl
from defusedxml import ElementTree

from shared.errors import BadRequest, DomainError, FieldError, Invalid
from shared.ingestion.report_table import MAX_DATA_ROWS

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UNCOMPRESSED_BYTES = 32 * 1024 * 1024  # every part of the archive, inflated
MAX_ARCHIVE_ENTRIES = 1_000
MAX_SHEET_ROWS = 10_000  # worksheet rows, blank ones included
MAX_COLUMNS = 100
MAX_SHEET_NAME = 31  # Excel's own limit

_WORKBOOK_TYPES = {  # the main part of a plain workbook, or of a template
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
}
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and encrypted .xlsx files
_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')  # quoted text, escapes, [Red] in a format


class NotAWorkbook(BadRequest):
    """The body cannot be read as an .xlsx workbook at all (400)."""

    code = "invalid_workbook"


class UnsupportedWorkbook(Exception):
    """A spreadsheet or document of another kind than a plain .xlsx workbook (the API
    answers 415: it is not the media type the route takes)."""


def _too_large(detail: str) -> Invalid:
    return Invalid(
        detail,
        [FieldError("body", detail, code="workbook_too_large")],
        code="invalid_file",
    )


def check_archive(body: bytes) -> None:
    """Refuse what openpyxl should never open; the rest is left to it."""
    if body.startswith(_OLE_SIGNATURE):
        raise UnsupportedWorkbook(
            "The file is an Excel 97-2003 workbook (.xls) or a password-protected one: "
            "save it as an Excel Workbook (.xlsx) without a password."
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise NotAWorkbook(f"The body is not an .xlsx workbook (a zip archive): {exc}.") from exc
    if len(entries) > MAX_ARCHIVE_ENTRIES:
        raise _too_large(f"The workbook has more than {MAX_ARCHIVE_ENTRIES:,} parts.")
    inflated = sum(entry.file_size for entry in entries)
    if inflated > MAX_UNCOMPRESSED_BYTES:
        raise _too_large(
            f"The workbook inflates to {inflated:,} bytes; at most "
            f"{MAX_UNCOMPRESSED_BYTES:,}: keep only the report's worksheet."
        )
    names = {entry.filename for entry in entries}
    if "mimetype" in names and "[Content_Types].xml" not in names:
        raise UnsupportedWorkbook(
            "The file is an OpenDocument spreadsheet: save it as an Excel Workbook (.xlsx)."
        )
    try:
        manifest = ElementTree.fromstring(archive.read("[Content_Types].xml"))
    except Exception as exc:  # a missing, damaged or hostile manifest alike
        raise NotAWorkbook("The workbook's [Content_Types].xml cannot be read.") from exc
    types = {str(part.get("ContentType", "")) for part in manifest}
    if any("macroEnabled" in t or "vbaProject" in t for t in types) or any(
        name.casefold().endswith("vbaproject.bin") for name in names
    ):
        raise UnsupportedWorkbook(
            "The workbook is macro-enabled or binary (.xlsm, .xlsb): save it as an Excel "
            "Workbook (.xlsx)."
        )
    if not types & _WORKBOOK_TYPES:
        raise UnsupportedWorkbook("The file is not an Excel workbook (.xlsx).")


def percent_format(number_format: str) -> bool:
    """Whether Excel shows the number as a percentage (`0.0%`), its value then being the
    fraction (2.1% is stored as 0.021)."""
    return "%" in _LITERALS.sub("", number_format or "")


def _plain(number: Decimal) -> str:
    """`50000`, `2.1`: no exponent, no trailing zeros."""
    text = format(number.normalize(), "f")
    return text if text != "-0" else "0"


def cell_text(value: Any, number_format: str = "General") -> str:
    """A cell's value as the CSV path reads text: numbers as written in full, percentages
    with `%` (2.1%), days as 2024-06-10, an error (#DIV/0!) as itself."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, int | float):
        # repr: the shortest text giving back the same double, which is what Excel shows.
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not number.is_finite():
            return str(value)
        if percent_format(number_format):
            return f"{_plain(number.scaleb(2))}%"
        return _plain(number)
    return str(value)


def _worksheet(workbook: Any, name: str | None) -> Any:
    sheets = {sheet.title: sheet for sheet in workbook.worksheets}
    if not sheets:
        raise Invalid(
            "The workbook has no worksheet.",
            [FieldError("body", "no worksheet", code="empty_file")],
            code="invalid_file",
        )
    if name is None:
        return next(iter(sheets.values()))
    if name not in sheets:
        listed = ", ".join(f"'{title}'" for title in list(sheets)[:20])
        raise Invalid(
            f"The workbook has no worksheet '{name}'.",
            [
                FieldError(
                    "sheet",
                    f"no worksheet '{name}' in the workbook (it has {listed})",
                    code="unknown_sheet",
                    location="query",
                )
            ],
        )
    return sheets[name]


def _rows(sheet: Any) -> Iterator[tuple[int, list[str]]]:
    # Tools other than Excel may declare a wrong size: read what the sheet holds.
    declared = sheet.max_column
    if declared is not None and declared > MAX_COLUMNS:
        raise _too_large(f"The worksheet is {declared} columns wide; at most {MAX_COLUMNS}.")
    sheet.reset_dimensions()
    for number, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS), start=1):
        if number > MAX_SHEET_ROWS:
            raise _too_large(
                f"The worksheet goes on past row {MAX_SHEET_ROWS:,}; the report has at most "
                f"{MAX_DATA_ROWS:,} rows: delete the rows below it."
            )
        texts = [cell_text(cell.value, cell.number_format) for cell in cells]
        while texts and not texts[-1]:
            texts.pop()
        yield number, texts


def read_workbook(
    body: bytes, *, sheet: str | None = None
) -> tuple[str, list[tuple[int, list[str]]]]:
    """The worksheet's name (the first, unless `sheet` names one) and its rows as text.

    A body that is no workbook, or a damaged one, is `NotAWorkbook` (400); another kind
    of spreadsheet `UnsupportedWorkbook` (415); limits and an unknown sheet `Invalid`.
    """
    check_archive(body)
    try:
        with warnings.catch_warnings():
            # openpyxl warns of what it does not keep (data validation, styles): not ours.
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(
                io.BytesIO(body), read_only=True, data_only=True, keep_links=False
            )
            try:
                worksheet = _worksheet(workbook, sheet)
                rows = list(_rows(worksheet))
            finally:
                workbook.close()
    except (DomainError, UnsupportedWorkbook):
        raise
    except Exception as exc:  # whatever a damaged file makes openpyxl or zipfile raise
        raise NotAWorkbook(
            f"The workbook cannot be read ({type(exc).__name__}); open it in Excel and save "
            "it again as an Excel Workbook (.xlsx)."
        ) from exc
    return str(worksheet.title), rows
