"""A table as a file: CSV (UTF-8 with a BOM, safe to open in a spreadsheet) or an Excel
workbook (typed cells, streamed by XlsxWriter in constant memory). Pure: no database."""

import csv
import io
import re
import unicodedata
from datetime import date
from decimal import Decimal

import xlsxwriter

from shared.exports.table import Column, Kind, Table, Value, cell_value

# A spreadsheet reads a cell starting with one of these as a formula (CSV injection): such
# a text cell gets a leading apostrophe, which spreadsheets show as text. Numbers keep
# their sign: they are written by us, never taken from a person's text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # Excel reads a CSV as UTF-8 only when it starts with the byte order mark

# Excel's own limits.
MAX_SHEET_NAME = 31
MAX_CELL_CHARS = 32_767

NUMBER_FORMATS = {
    Kind.integer: "0",
    Kind.money: "#,##0.00",
    Kind.percent: "0.00",
    Kind.fraction: "0.00%",
    Kind.date: "yyyy-mm-dd",
}
DEFAULT_WIDTHS = {
    Kind.text: 16,
    Kind.integer: 8,
    Kind.number: 12,
    Kind.money: 16,
    Kind.percent: 10,
    Kind.fraction: 10,
    Kind.date: 12,
}
MAX_WIDTH = 60


def csv_text(kind: Kind, value: Value) -> str:
    """A cell as CSV text: numbers as plain decimals, days as YYYY-MM-DD, text escaped."""
    value = cell_value(kind, value)
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def write_csv(table: Table) -> bytes:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_text(Kind.text, c.header) for c in table.columns])
    kinds = [c.kind for c in table.columns]
    for row in table.rows:
        writer.writerow([csv_text(kind, value) for kind, value in zip(kinds, row, strict=True)])
    return out.getvalue().encode("utf-8")


def display_width(text: str) -> int:
    """Characters as a spreadsheet's column shows them: Chinese ones take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def column_width(column: Column) -> int:
    wanted = column.width or DEFAULT_WIDTHS[column.kind]
    return min(MAX_WIDTH, max(wanted, display_width(column.header) + 2))


def sheet_name(title: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", "_", title)[:MAX_SHEET_NAME] or "Sheet1"


def write_xlsx(table: Table) -> bytes:
    """One worksheet: the header row frozen and filtered, then the rows, each cell typed."""
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,  # rows go to a temporary file as they are written
            # Text stays text, whatever it looks like ("=1+1", "http://...", "0012").
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    workbook.set_properties({"title": table.title, "creator": "campaignops"})
    sheet = workbook.add_worksheet(sheet_name(table.title))
    header = workbook.add_format(
        {"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True, "valign": "top"}
    )
    formats = {kind: workbook.add_format({"num_format": f}) for kind, f in NUMBER_FORMATS.items()}
    for index, column in enumerate(table.columns):
        sheet.set_column(index, index, column_width(column))
    sheet.freeze_panes(1, 0)
    for index, column in enumerate(table.columns):
        sheet.write_string(0, index, column.header, header)
    for number, row in enumerate(table.rows, start=1):
        for index, (column, raw) in enumerate(zip(table.columns, row, strict=True)):
            value = cell_value(column.kind, raw)
            if value is None or value == "":
                continue
            if isinstance(value, str):
                sheet.write_string(number, index, value[:MAX_CELL_CHARS])
            elif isinstance(value, date):
                sheet.write_datetime(number, index, value, formats[Kind.date])
            else:  # int or Decimal: XlsxWriter writes a Decimal's own digits, exactly
                sheet.write_number(number, index, value, formats.get(column.kind))
    sheet.autofilter(0, 0, max(len(table.rows), 1), len(table.columns) - 1)
    workbook.close()
    return out.getvalue()
