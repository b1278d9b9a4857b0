"""The daily channel report as a table, whichever file it came in (CSV or a workbook):
the header names the columns, each row gives one channel's figures for one day.

Pure: (line number, cells as text) records in; rows of figures, cell errors and warnings
out, so it is tested without a database. Rates (CTR, conversion) are not stored: the
service keeps counts and computes rates from them. A rate column is turned back into its
numerator with the denominator of the same row (clicks = impressions x CTR), so the daily
report reads the same rate back.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from shared.errors import FieldError, Invalid
from shared.ingestion.report_cells import (
    Amount,
    CellError,
    MetricSpec,
    in_unit,
    normalise,
    parse_amount,
    parse_day,
    ratio_parts,
    resolve_channel,
    storable,
)

# The limits of one import. The body limit is enforced before the body is read (see
# services/api/middleware.py BodyRule); rows and figures are counted while parsing.
MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_DATA_ROWS = 5_000
MAX_NOTE_CHARS = 10_000  # as a log entry written by hand

DATE, CHANNEL, NOTE = "date", "channel", "note"
# The manuals' Table 3 in Chinese: 日期, 渠道, 备注 and the figures beside them.
FIELD_ALIASES = {"日期": DATE, "渠道": CHANNEL, "备注": NOTE}
# The brief's own column names for metrics of the standard dictionary, in English ("new
# users" and "CTR" need none: they match a name and a key) and in Chinese.
HEADER_ALIASES = {
    "sales": "gmv",
    "conversion": "conversion_rate",
    "曝光量": "impressions",
    "点击量": "clicks",
    "点击率": "ctr",
    "转化量": "conversions",
    "转化率": "conversion_rate",
    "订单量": "orders",
    "新增用户": "new_users",
    "销售额": "gmv",
    "收入": "revenue",
    "花费": "spend",
    "负面评论": "negative_comments",
    "搜索量": "search_volume",
    "访客量": "visitors",
    "投入产出比": "roi",
    "获客成本": "cpa",
    "客单价": "aov",
}


# --- the header -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    index: int
    header: str  # as written, to name the column back to the person who wrote it
    field: str  # date, channel, note or a metric key
    metric: MetricSpec | None = None
    ratio: tuple[str, str] | None = None  # (numerator, denominator) of a rate column


@dataclass(frozen=True)
class Layout:
    line: int
    date: Column
    channel: Column
    note: Column | None
    metrics: tuple[Column, ...]
    width: int
    unnamed: tuple[int, ...]  # columns without a header: only empty cells allowed there


def header_field(header: str, metrics: Mapping[str, MetricSpec]) -> str | None:
    """What a header names: date, channel, note or a metric key; None when unknown."""
    name = normalise(header)
    name = FIELD_ALIASES.get(name, name)
    if name in (DATE, CHANNEL, NOTE):
        return name
    if name in metrics:
        return name
    for metric in metrics.values():
        if normalise(metric.name) == name:
            return metric.key
    alias = HEADER_ALIASES.get(name)
    return alias if alias in metrics else None


def read_header(cells: list[str], line: int, metrics: Mapping[str, MetricSpec]) -> Layout:
    """The columns, or a 422 naming every unknown, repeated or missing one."""
    problems: list[FieldError] = []
    seen: dict[str, str] = {}
    columns: dict[str, Column] = {}
    metric_columns: list[Column] = []
    unnamed: list[int] = []
    for index, raw in enumerate(cells):
        header = raw.strip()
        if not header:
            unnamed.append(index)
            continue
        name = header_field(header, metrics)
        if name is None:
            known = ", ".join(sorted(metrics))
            problems.append(
                FieldError(
                    f"rows.{line}.{header}",
                    f"unknown column '{header}': use date (日期), channel (渠道), note (备注) "
                    f"or a metric of the dictionary ({known})",
                    code="unknown_column",
                )
            )
            continue
        if name in seen:
            problems.append(
                FieldError(
                    f"rows.{line}.{header}",
                    f"'{header}' repeats column '{seen[name]}'",
                    code="duplicate_column",
                )
            )
            continue
        seen[name] = header
        metric = metrics.get(name) if name not in (DATE, CHANNEL, NOTE) else None
        column = Column(
            index, header, name, metric, ratio_parts(metric, metrics) if metric else None
        )
        columns[name] = column
        if metric is not None:
            metric_columns.append(column)
    for required in (DATE, CHANNEL):
        if required not in columns:
            problems.append(
                FieldError(
                    f"rows.{line}.{required}",
                    f"the header has no {required} column",
                    code="missing_column",
                )
            )
    if problems:
        raise Invalid(
            f"The header row cannot be read: {problems[0].message}"
            + (f" (and {len(problems) - 1} more)." if len(problems) > 1 else "."),
            problems,
            code="invalid_header",
        )
    return Layout(
        line=line,
        date=columns[DATE],
        channel=columns[CHANNEL],
        note=columns.get(NOTE),
        metrics=tuple(metric_columns),
        width=len(cells),
        unnamed=tuple(unnamed),
    )


# --- rows -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellProblem:
    """What is wrong with a cell (an error) or was not stored from it (a warning)."""

    row: int  # line number in the file
    column: str
    message: str
    code: str = "invalid_cell"


@dataclass(frozen=True)
class Figure:
    value: Decimal
    column: str  # the header it was read (or computed) from


@dataclass
class Row:
    line: int
    day: date | None = None
    channel: str | None = None
    note: str | None = None
    figures: dict[str, Figure] = field(default_factory=dict)  # metric key -> figure
    errors: list[CellProblem] = field(default_factory=list)
    warnings: list[CellProblem] = field(default_factory=list)

    def error(self, column: str, message: str) -> None:
        self.errors.append(CellProblem(self.line, column, message))


def parse_row(line: int, cells: list[str], layout: Layout, channels: Mapping[str, str]) -> Row:
    """One row's figures; every bad cell is an error, every rate left unstored a warning."""
    row = Row(line)

    def cell(column: Column) -> str:
        return cells[column.index] if column.index < len(cells) else ""

    stray = [i for i in layout.unnamed if i < len(cells) and cells[i].strip()]
    stray += [i for i in range(layout.width, len(cells)) if cells[i].strip()]
    for index in stray:
        row.error(f"column {index + 1}", "a value in a column without a header")
    try:
        row.day = parse_day(cell(layout.date))
    except CellError as exc:
        row.error(layout.date.header, str(exc))
    try:
        row.channel = resolve_channel(cell(layout.channel), channels)
    except CellError as exc:
        row.error(layout.channel.header, str(exc))
    if layout.note is not None:
        note = cell(layout.note).strip()
        if len(note) > MAX_NOTE_CHARS:
            row.error(layout.note.header, f"longer than {MAX_NOTE_CHARS:,} characters")
        row.note = note or None

    rates: list[tuple[Column, Amount, Decimal]] = []
    for column in layout.metrics:
        assert column.metric is not None
        try:
            amount = parse_amount(cell(column))
            if amount is None:
                continue
            if column.metric.formula is not None and column.ratio is None:
                raise CellError(
                    f"{column.metric.key} is computed ({column.metric.formula}), not a ratio "
                    "of two figures: import its inputs instead"
                )
            value = in_unit(amount, column.metric)
            if column.ratio is None:
                row.figures[column.field] = Figure(storable(value), column.header)
            elif value < 0:
                raise CellError(f"'{amount.text}' is negative: a rate cannot be")
            else:
                rates.append((column, amount, value))
        except CellError as exc:
            row.error(column.header, str(exc))
    _resolve_rates(row, rates)
    return row


def _resolve_rates(row: Row, rates: list[tuple[Column, Amount, Decimal]]) -> None:
    """Each rate becomes its numerator, in dependency order: a denominator may itself be
    the numerator of another rate (conversions = clicks x conversion, clicks = impressions
    x CTR). A rate without its denominator in the row is skipped with a warning."""
    pending = list(rates)
    progressed = True
    while pending and progressed:
        progressed = False
        for item in list(pending):
            column, amount, rate = item
            assert column.ratio is not None
            numerator, denominator = column.ratio
            base = row.figures.get(denominator)
            if base is None:
                continue
            pending.remove(item)
            progressed = True
            if base.value == 0:
                row.warnings.append(
                    CellProblem(
                        row.line,
                        column.header,
                        f"{column.header} {amount.text} not stored: {denominator} is 0 in this row",
                    )
                )
                continue
            product = base.value * rate
            given = row.figures.get(numerator)
            if given is not None:
                # Both given: keep the count, refuse a rate that does not describe it.
                if abs(given.value - product) > abs(base.value) * amount.tolerance:
                    row.error(
                        column.header,
                        f"{amount.text} does not match {numerator} / {denominator} in this "
                        f"row ({given.value} / {base.value})",
                    )
                continue
            try:
                row.figures[numerator] = Figure(storable(product), column.header)
            except CellError as exc:
                row.error(column.header, str(exc))
    for column, amount, _ in pending:
        assert column.ratio is not None
        row.warnings.append(
            CellProblem(
                row.line,
                column.header,
                f"{column.header} {amount.text} not stored: no {column.ratio[1]} in this "
                "row to measure it against",
            )
        )


# --- the table -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sheet:
    layout: Layout
    rows: list[Row]
    delimiter: str | None  # None: read from a workbook's cells, not from CSV text


def is_blank(cells: list[str]) -> bool:
    return not any(c.strip() for c in cells)


def parse_records(
    table: Iterable[tuple[int, list[str]]],
    metrics: Mapping[str, MetricSpec],
    channels: Mapping[str, str],
    *,
    delimiter: str | None,
) -> Sheet:
    """The report from (line number, cells as text) records, a CSV file's or a
    worksheet's: the first non-blank one is the header."""
    lines = (record for record in table if not is_blank(record[1]))
    first_record = next(lines, None)
    if first_record is None:  # only empty cells: `,,,` lines
        raise Invalid(
            "The file is empty: send a header row and one row per channel per day.",
            [FieldError("body", "only empty cells", code="empty_file")],
            code="invalid_file",
        )
    header_line, header = first_record
    layout = read_header(header, header_line, metrics)
    rows: list[Row] = []
    first_seen: dict[tuple[date, str], int] = {}
    for line, cells in lines:
        if len(rows) == MAX_DATA_ROWS:
            raise Invalid(
                f"At most {MAX_DATA_ROWS:,} rows per import; split the file.",
                [FieldError("rows", f"more than {MAX_DATA_ROWS:,} rows", code="too_many_rows")],
                code="invalid_file",
            )
        row = parse_row(line, cells, layout, channels)
        if row.day is not None and row.channel is not None:
            first = first_seen.setdefault((row.day, row.channel), line)
            if first != line:
                row.error(
                    layout.channel.header,
                    f"{row.day.isoformat()} {row.channel} is already on line {first}: one row "
                    "per channel per day",
                )
        rows.append(row)
    if not rows:
        raise Invalid(
            "The file has a header but no rows.",
            [FieldError("rows", "no rows under the header", code="empty_file")],
            code="invalid_file",
        )
    return Sheet(layout, rows, delimiter)
