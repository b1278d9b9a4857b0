"""Reading the daily channel report from a CSV file: UTF-8 text (with or without Excel's
byte order mark), its delimiter told by the header's known words, quoted cells that may
span lines. The table itself is read by report_table.py.
"""

import csv
import io
from collections.abc import Iterator, Mapping

from shared.errors import FieldError, Invalid
from shared.ingestion.report_cells import MetricSpec
from shared.ingestion.report_table import (
    CHANNEL,
    DATE,
    Sheet,
    header_field,
    is_blank,
    parse_records,
)

DELIMITERS = (",", ";", "\t")


def decode(body: bytes) -> str:
    """UTF-8, with or without the byte order mark Excel writes."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(
            "The file is not UTF-8 text; save it as 'CSV UTF-8'.",
            [FieldError("body", f"byte {exc.start} is not UTF-8", code="not_utf8")],
            code="invalid_file",
        ) from exc
    if "\x00" in text:
        raise Invalid(
            "The file contains NUL characters (is it UTF-16?); save it as 'CSV UTF-8'.",
            [FieldError("body", "contains NUL characters", code="not_utf8")],
            code="invalid_file",
        )
    if not text.strip():
        raise Invalid(
            "The file is empty: send a header row and one row per channel per day.",
            [FieldError("body", "empty", code="empty_file")],
            code="invalid_file",
        )
    return text


def records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line number where the record starts, its cells); quoted cells may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    try:
        for cells in reader:
            yield line, cells
            line = reader.line_num + 1
    except csv.Error as exc:
        raise Invalid(
            f"Line {reader.line_num} cannot be read as CSV: {exc}.",
            [FieldError(f"rows.{reader.line_num}", str(exc), code="invalid_csv")],
            code="invalid_file",
        ) from exc


def detect_delimiter(text: str, metrics: Mapping[str, MetricSpec]) -> str:
    """The delimiter under which the header names both date and channel; else a comma.

    Reliable because the header's words are known: a semicolon file read with commas
    has one unknown column, `date;channel;...`.
    """
    for delimiter in DELIMITERS:
        header = next((cells for _, cells in records(text, delimiter) if not is_blank(cells)), [])
        if {DATE, CHANNEL} <= {header_field(c, metrics) for c in header}:
            return delimiter
    return ","


def parse_sheet(text: str, metrics: Mapping[str, MetricSpec], channels: Mapping[str, str]) -> Sheet:
    """Every row of the file; problems of the file as a whole (header, size) are a 422."""
    delimiter = detect_delimiter(text, metrics)
    return parse_records(records(text, delimiter), metrics, channels, delimiter=delimiter)
