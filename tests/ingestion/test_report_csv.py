"""Reading the brief's daily channel report (their Table 3) from CSV, without a database.

Complements the parsing tests in tests/api/test_daily_report_import.py (numbers, percents,
days, channels, rate resolution, header problems, semicolons): here the file as a whole
(encodings, blank lines, limits), every problem of a row at once with its row and
column, rates that cannot be stored, duplicates and the brief's Chinese header.
"""

from datetime import date
from decimal import Decimal

import pytest

from shared.errors import Invalid
from shared.ingestion.report_cells import MetricSpec, parse_day
from shared.ingestion.report_csv import decode, parse_sheet
from shared.ingestion.report_table import MAX_DATA_ROWS, Row, parse_row, read_header
from shared.metrics.standard import STANDARD_METRICS

METRICS = {
    m["key"]: MetricSpec(m["key"], m["name"], m["unit"], m.get("formula")) for m in STANDARD_METRICS
}
CHANNELS = {"social_feed": "Social feed", "offline_store": "Offline store"}


def figures(row: Row) -> dict[str, Decimal]:
    return {key: figure.value for key, figure in row.figures.items()}


def problems(row: Row) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.message) for e in row.errors]


def one_row(header: list[str], cells: list[str], line: int = 2) -> Row:
    return parse_row(line, cells, read_header(header, 1, METRICS), CHANNELS)


def file_problem(text: str) -> tuple[str, str, list[tuple[str, str]]]:
    with pytest.raises(Invalid) as error:
        parse_sheet(text, METRICS, CHANNELS)
    return error.value.code, error.value.detail, [(e.field, e.code) for e in error.value.errors]


# --- the brief's table ----------------------------------------------------------------------


def test_the_brief_table_with_its_chinese_headers_reads_like_the_english_one():
    text = (
        "日期,渠道,曝光量,点击率,转化率,新增用户,销售额,备注\n"
        '2024-06-10,social feed,"50,000",2.1%,3.5%,175,"35,000",\n'
        '2024-06-10,offline store,"2,000",-,8.0%,160,"32,000",客流低于预期20%\n'
    )
    social, offline = parse_sheet(text, METRICS, CHANNELS).rows
    assert figures(social) == {
        "impressions": 50_000,
        "clicks": 1050,
        "conversions": Decimal("36.75"),
        "new_users": 175,
        "gmv": 35_000,
    }
    assert offline.note == "客流低于预期20%"


def test_channels_may_be_named_in_chinese():
    chinese = {"social_feed": "社交信息流", "offline_store": "线下门店"}
    layout = read_header(["date", "channel", "impressions"], 1, METRICS)
    row = parse_row(2, ["2024-06-10", "线下门店", "2,000"], layout, chinese)
    assert row.channel == "offline_store"
    assert figures(row) == {"impressions": 2000}
    assert row.errors == []


# --- the file -------------------------------------------------------------------------------


def test_the_byte_order_mark_excel_writes_is_not_part_of_the_first_header():
    text = decode("\ufeffdate,channel,impressions\n2024-06-10,social_feed,50000\n".encode())
    [row] = parse_sheet(text, METRICS, CHANNELS).rows
    assert row.day == date(2024, 6, 10)
    assert figures(row) == {"impressions": 50_000}


@pytest.mark.parametrize(
    ("body", "code", "detail"),
    [
        ("date,channel\n".encode("utf-16"), "not_utf8",
         "The file is not UTF-8 text; save it as 'CSV UTF-8'."),
        ("date,channel\n2024-06-10,销售\n".encode("gb18030"), "not_utf8",
         "The file is not UTF-8 text; save it as 'CSV UTF-8'."),
        (b"date,channel\x00\n", "not_utf8",
         "The file contains NUL characters (is it UTF-16?); save it as 'CSV UTF-8'."),
        (b"", "empty_file",
         "The file is empty: send a header row and one row per channel per day."),
        (b" \r\n\r\n", "empty_file",
         "The file is empty: send a header row and one row per channel per day."),
    ],
)  # fmt: skip
def test_a_file_that_is_not_utf8_text_or_is_empty_is_refused_as_a_whole(body, code, detail):
    with pytest.raises(Invalid) as error:
        decode(body)
    assert (error.value.code, error.value.detail) == ("invalid_file", detail)
    assert [(e.field, e.code) for e in error.value.errors] == [("body", code)]


def test_a_tab_separated_file_with_blank_lines_keeps_the_file_line_numbers():
    text = "\n\ndate\tchannel\timpressions\n2024-06-10\tsocial feed\t50,000\n\n2024-06-11\ttv\t1\n"
    sheet = parse_sheet(text, METRICS, CHANNELS)
    assert (sheet.delimiter, sheet.layout.line) == ("\t", 3)
    assert [r.line for r in sheet.rows] == [4, 6]
    assert problems(sheet.rows[1]) == [(6, "channel", "no channel 'tv' in this workspace")]


@pytest.mark.parametrize(
    ("text", "detail", "errors"),
    [
        ("date,channel,impressions\n\n,,\n", "The file has a header but no rows.",
         [("rows", "empty_file")]),
        (",,,\n,,\n", "The file is empty: send a header row and one row per channel per day.",
         [("body", "empty_file")]),
    ],
)  # fmt: skip
def test_a_file_without_rows_is_refused(text, detail, errors):
    assert file_problem(text) == ("invalid_file", detail, errors)


def test_at_most_5000_rows_per_import():
    header = "date,channel,impressions\n"
    rows = [f"2024-06-{1 + i % 30:02d},ch{i // 30},1\n" for i in range(MAX_DATA_ROWS + 1)]
    many = {f"ch{n}": f"Channel {n}" for n in range(MAX_DATA_ROWS // 30 + 1)}
    full = parse_sheet(header + "".join(rows[:MAX_DATA_ROWS]), METRICS, many)
    assert len(full.rows) == 5000
    assert not any(r.errors for r in full.rows)
    with pytest.raises(Invalid) as error:
        parse_sheet(header + "".join(rows), METRICS, many)
    assert error.value.detail == "At most 5,000 rows per import; split the file."
    assert [(e.field, e.code) for e in error.value.errors] == [("rows", "too_many_rows")]


# --- a row ----------------------------------------------------------------------------------


def test_every_bad_cell_of_a_row_is_named_by_its_row_and_its_header_as_written():
    header = ["Date", "Channel", "Impressions", "", "Note"]
    row = one_row(header, ["2024-13-01", "radio", "5O,000", "x", "ok", "stray"], line=7)
    assert problems(row) == [
        (7, "column 4", "a value in a column without a header"),
        (7, "column 6", "a value in a column without a header"),
        (7, "Date", "'2024-13-01' is not a day of the calendar"),
        (7, "Channel", "no channel 'radio' in this workspace"),
        (7, "Impressions",
         "'5O,000' is not a number: write 50000 or 50,000 (a point before decimals)"),
    ]  # fmt: skip
    assert row.figures == {}


def test_a_short_row_is_missing_its_cells_not_shifted():
    row = one_row(["date", "channel", "impressions"], ["2024-06-10"])
    assert problems(row) == [(2, "channel", "no channel: write its key or name")]


def test_a_note_longer_than_a_log_entry_is_refused():
    row = one_row(["date", "channel", "note"], ["2024-06-10", "social_feed", "x" * 10_001])
    assert problems(row) == [(2, "note", "longer than 10,000 characters")]


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("2024-6-1", date(2024, 6, 1)),  # Excel drops the leading zeros
        ("2024/6/18", date(2024, 6, 18)),
        ("2024-02-29", date(2024, 2, 29)),  # 2024 is a leap year
    ],
)
def test_days_are_year_month_day_with_or_without_leading_zeros(written, day):
    assert parse_day(written) == day


@pytest.mark.parametrize("written", ["2024.06.10", "20240610", "10 June 2024", "2024年6月10日"])
def test_other_day_spellings_are_refused_with_an_example(written):
    row = one_row(["date", "channel"], [written, "social_feed"])
    assert problems(row) == [(2, "date", f"'{written}' is not a date: write 2024-06-10")]


def test_figures_keep_six_decimals_rounded_half_up_and_eighteen_digits_at_most():
    kept = one_row(["date", "channel", "sales"], ["2024-06-10", "social_feed", "35000.1234565"])
    assert figures(kept) == {"gmv": Decimal("35000.123457")}
    huge = one_row(["date", "channel", "sales"], ["2024-06-10", "social_feed", "1" + "0" * 18])
    assert problems(huge) == [
        (2, "sales",
         "1000000000000000000 is too large to store (at most 18 digits before the point)"),
    ]  # fmt: skip


# --- rates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("clicks", "agrees"), [(1075, True), (1076, False), (1025, True)])
def test_a_rate_rounded_as_written_still_agrees_with_its_count(clicks, agrees):
    # 2.1% stands for 2.05%..2.15%: on 50,000 impressions, 1,025 to 1,075 clicks.
    row = one_row(
        ["date", "channel", "impressions", "clicks", "CTR"],
        ["2024-06-10", "social_feed", "50,000", str(clicks), "2.1%"],
    )
    assert (row.errors == []) is agrees
    assert figures(row)["clicks"] == clicks  # the count written is what is kept


def test_a_rate_on_a_zero_denominator_is_not_stored_and_says_why():
    # The offline store showed nothing on a closed day; its CTR cell still says 2.1%.
    header = ["date", "channel", "impressions", "CTR"]
    row = one_row(header, ["2024-06-10", "offline_store", "0", "2.1%"])
    assert row.errors == []
    assert figures(row) == {"impressions": 0}
    assert [(w.row, w.column, w.message) for w in row.warnings] == [
        (2, "CTR", "CTR 2.1% not stored: impressions is 0 in this row")
    ]


def test_a_negative_rate_is_refused():
    header = ["date", "channel", "impressions", "CTR"]
    row = one_row(header, ["2024-06-10", "social_feed", "1000", "-2%"])
    assert problems(row) == [(2, "CTR", "'-2%' is negative: a rate cannot be")]


def test_a_computed_metric_that_is_not_a_ratio_of_two_figures_cannot_be_imported():
    margin = MetricSpec("margin", "Margin", "ratio", "(revenue - spend) / revenue")
    layout = read_header(["date", "channel", "margin"], 1, METRICS | {"margin": margin})
    row = parse_row(2, ["2024-06-10", "social_feed", "20%"], layout, CHANNELS)
    assert problems(row) == [
        (2, "margin", "margin is computed ((revenue - spend) / revenue), not a ratio of two "
         "figures: import its inputs instead"),
    ]  # fmt: skip


@pytest.mark.xfail(
    strict=True,
    reason="ROI is unit 'ratio', so a plain 5.2 is refused as 'not a fraction: write 5.2% "
    "or 0.052'; following that advice stores revenue 520 instead of 52,000",
)
def test_an_roi_of_5_2_on_10000_spent_is_52000_of_revenue():
    # The brief's evaluation writes ROI as 1:5.2; in a report column it is 5.2.
    header = ["date", "channel", "spend", "ROI"]
    row = one_row(header, ["2024-06-10", "social_feed", "10,000", "5.2"])
    assert row.errors == []
    assert figures(row) == {"spend": 10_000, "revenue": 52_000}


# --- one row per channel per day ------------------------------------------------------------


def test_the_same_channel_and_day_twice_is_refused_however_the_day_is_written():
    text = (
        "date,channel,impressions\n"
        "2024-06-10,social_feed,50000\n"
        "2024-06-10,offline_store,2000\n"  # another channel, the same day
        "2024-06-11,social_feed,48000\n"  # the same channel, the next day
        "2024/6/10,social_feed,50000\n"
    )
    rows = parse_sheet(text, METRICS, CHANNELS).rows
    assert [problems(r) for r in rows] == [
        [],
        [],
        [],
        [(5, "channel",
          "2024-06-10 social_feed is already on line 2: one row per channel per day")],
    ]  # fmt: skip
