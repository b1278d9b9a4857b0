"""Reading the daily channel report's cells and rows, without a database: numbers, days,
rates and their parts, channels, headers."""

from datetime import date
from decimal import Decimal

import pytest

from shared.errors import Invalid
from shared.ingestion.report_cells import (
    CellError,
    MetricSpec,
    in_unit,
    parse_amount,
    parse_day,
    parse_number,
    ratio_parts,
    resolve_channel,
)
from shared.ingestion.report_csv import parse_sheet
from shared.ingestion.report_table import parse_row, read_header
from tests.ingestion.test_report_csv import METRICS

CHANNELS = {"social_feed": "Social feed", "offline_store": "Offline store", "tv": "Television"}
HEADER = "date,channel,impressions,CTR,conversion,new users,sales,note"


def brief_csv(day: date) -> str:
    return (
        f"{HEADER}\n"
        f'{day},social feed,"50,000",2.1%,3.5%,175,"35,000",\n'
        f'{day},offline store,"2,000",-,8.0%,160,"32,000",traffic 20% under expectation\n'
    )


@pytest.mark.parametrize(
    ("cell", "value"),
    [("50,000", Decimal(50000)), ("50000", Decimal(50000)), (" 2.5 ", Decimal("2.5")),
     ("1,234,567.25", Decimal("1234567.25")), ("-", None), ("", None), ("  ", None)],
)  # fmt: skip
def test_numbers_take_thousands_separators_and_dash_is_no_figure(cell, value):
    assert parse_number(cell) == value


@pytest.mark.parametrize("cell", ["1,00", "5O,000", "1.000,5", "50 000", "2,1", "1e6", "."])
def test_numbers_that_could_be_misread_are_refused(cell):
    with pytest.raises(CellError, match="not a number"):
        parse_number(cell)


def test_percentages_are_fractions_and_plain_rates_above_one_are_refused():
    ctr = METRICS["ctr"]
    written = parse_amount("2.1%")
    assert written is not None
    assert written.percent
    assert in_unit(written, ctr) == Decimal("0.021")
    fraction = parse_amount("0.021")
    assert fraction is not None
    assert in_unit(fraction, ctr) == Decimal("0.021")
    ambiguous = parse_amount("2.1")
    assert ambiguous is not None
    with pytest.raises(CellError, match=r"write 2\.1% or 0\.021"):
        in_unit(ambiguous, ctr)
    counted = parse_amount("5%")
    assert counted is not None
    with pytest.raises(CellError, match="not a percentage"):
        in_unit(counted, METRICS["impressions"])
    assert parse_amount("-") is None


def test_days_and_channels():
    assert parse_day("2024-06-10") == parse_day("2024/06/10") == date(2024, 6, 10)
    for bad in ("10/06/2024", "2024-02-30", "2024-06/10", ""):
        with pytest.raises(CellError):
            parse_day(bad)
    for written in ("social_feed", "social feed", "Social feed", "SOCIAL  FEED"):
        assert resolve_channel(written, CHANNELS) == "social_feed"
    assert resolve_channel("television", CHANNELS) == "tv"
    with pytest.raises(CellError, match="no channel 'radio'"):
        resolve_channel("radio", CHANNELS)


def test_rates_are_simple_ratios_of_base_metrics():
    assert ratio_parts(METRICS["ctr"], METRICS) == ("clicks", "impressions")
    assert ratio_parts(METRICS["conversion_rate"], METRICS) == ("conversions", "clicks")
    odd = MetricSpec("margin", "Margin", "ratio", "(revenue - spend) / revenue")
    assert ratio_parts(odd, METRICS | {"margin": odd}) is None
    assert ratio_parts(METRICS["clicks"], METRICS) is None


def test_the_brief_rows_become_counts_with_rates_resolved_in_dependency_order():
    sheet = parse_sheet(brief_csv(date(2024, 6, 10)), METRICS, CHANNELS)
    social, offline = sheet.rows
    assert social.line == 2
    assert not social.errors
    assert not social.warnings
    assert {k: f.value for k, f in social.figures.items()} == {
        "impressions": Decimal(50000),
        "clicks": Decimal(1050),  # 50,000 x 2.1%
        "conversions": Decimal("36.75"),  # 1,050 x 3.5%: exact, so 3.5% reads back
        "new_users": Decimal(175),
        "gmv": Decimal(35000),
    }
    assert offline.note == "traffic 20% under expectation"
    assert {k: f.value for k, f in offline.figures.items()} == {
        "impressions": Decimal(2000),
        "new_users": Decimal(160),
        "gmv": Decimal(32000),
    }
    assert [(w.row, w.column, w.message) for w in offline.warnings] == [
        (3, "conversion", "conversion 8.0% not stored: no clicks in this row to measure it against")
    ]
    # The conversion column before the CTR column: the same figures.
    layout = read_header(["date", "channel", "conversion", "ctr", "impressions"], 1, METRICS)
    row = parse_row(5, ["2024-06-10", "social_feed", "3.5%", "2.1%", "50,000"], layout, CHANNELS)
    assert row.figures["conversions"].value == Decimal("36.75")


def test_a_rate_and_its_count_must_agree():
    layout = read_header(["date", "channel", "impressions", "clicks", "ctr"], 1, METRICS)
    agreeing = parse_row(2, ["2024-06-10", "tv", "50000", "1050", "2.1%"], layout, CHANNELS)
    assert not agreeing.errors
    assert agreeing.figures["clicks"].value == 1050
    clashing = parse_row(3, ["2024-06-10", "tv", "50000", "2000", "2.1%"], layout, CHANNELS)
    assert [(e.column, e.message) for e in clashing.errors] == [
        ("ctr", "2.1% does not match clicks / impressions in this row (2000 / 50000)")
    ]


def test_header_problems_name_the_column():
    with pytest.raises(Invalid) as unknown:
        read_header(["Date", "Channel", "likes", "Sales", "GMV"], 1, METRICS)
    assert {(e.field, e.code) for e in unknown.value.errors} == {
        ("rows.1.likes", "unknown_column"),
        ("rows.1.GMV", "duplicate_column"),
    }
    with pytest.raises(Invalid) as missing:
        read_header(["date", "impressions"], 1, METRICS)
    assert [e.field for e in missing.value.errors] == ["rows.1.channel"]
    layout = read_header(["DATE", "channel", "Click-through rate", "new-users"], 1, METRICS)
    assert [c.field for c in layout.metrics] == ["ctr", "new_users"]


def test_semicolons_and_rows_per_line():
    text = (
        "date;channel;impressions;note\n"
        '2024-06-10;tv;"1,000";"two\nlines"\n'
        "\n"
        "2024-06-11;tv;5.5;\n"
        "2024-06-10;television;7;\n"
    )
    sheet = parse_sheet(text, METRICS, CHANNELS)
    assert sheet.delimiter == ";"
    assert [r.line for r in sheet.rows] == [2, 5, 6]
    assert sheet.rows[0].figures["impressions"].value == 1000
    assert [e.message for e in sheet.rows[2].errors] == [
        "2024-06-10 tv is already on line 2: one row per channel per day"
    ]
