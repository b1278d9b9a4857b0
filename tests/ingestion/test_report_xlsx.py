"""The daily channel report as an .xlsx workbook: cells read as the CSV path reads text,
and files that are not plain workbooks refused before openpyxl opens them."""

import io
import zipfile
from datetime import date, datetime, time
from typing import Any

import openpyxl
import pytest

from shared.errors import Invalid
from shared.ingestion import report_xlsx
from shared.ingestion.report_csv import parse_sheet
from shared.ingestion.report_table import parse_records
from shared.ingestion.report_xlsx import (
    NotAWorkbook,
    UnsupportedWorkbook,
    cell_text,
    percent_format,
    read_workbook,
)
from tests.ingestion.test_report_csv import METRICS

CHANNELS = {"social_feed": "Social feed", "offline_store": "Offline store"}
CHINESE = ["日期", "渠道", "曝光量", "点击率", "转化率", "新增用户", "销售额", "备注"]
ENGLISH = ["date", "channel", "impressions", "CTR", "conversion", "new users", "sales", "note"]
NOTE = "traffic 20% under expectation"


def workbook_bytes(
    rows: list[list[Any]],
    *,
    title: str = "Sheet1",
    percent_columns: tuple[int, ...] = (),
    before: tuple[str, ...] = (),
) -> bytes:
    """A workbook made as Excel users make them: `percent_columns` (0-based) formatted as
    percentages, and `before`: worksheets in front of the report's."""
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    for name in before:
        book.create_sheet(name, 0).append(["not the report"])
    first.title = title
    for row in rows:
        first.append(row)
    for column in percent_columns:
        for (cell,) in first.iter_rows(min_row=2, min_col=column + 1, max_col=column + 1):
            if isinstance(cell.value, float):
                cell.number_format = "0.0%"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def table3(header: list[str], day: date | datetime = date(2024, 6, 10)) -> bytes:
    """The brief's Table 3: rates as fractions formatted as %, figures as numbers."""
    return workbook_bytes(
        [
            header,
            [day, "social feed", 50_000, 0.021, 0.035, 175, 35_000, None],
            [day, "offline store", 2_000, "-", 0.08, 160, 32_000, NOTE],
        ],
        percent_columns=(3, 4),
    )


def test_the_brief_table_in_chinese_reads_as_its_csv():
    name, table = read_workbook(table3(CHINESE))
    assert name == "Sheet1"
    assert table == [
        (1, CHINESE),
        (2, ["2024-06-10", "social feed", "50000", "2.1%", "3.5%", "175", "35000"]),
        (3, ["2024-06-10", "offline store", "2000", "-", "8%", "160", "32000", NOTE]),
    ]
    from_workbook = parse_records(table, METRICS, CHANNELS, delimiter=None)
    csv = (
        ",".join(ENGLISH) + "\n"
        '2024-06-10,social feed,"50,000",2.1%,3.5%,175,"35,000",\n'
        f'2024-06-10,offline store,"2,000",-,8.0%,160,"32,000",{NOTE}\n'
    )
    from_csv = parse_sheet(csv, METRICS, CHANNELS)
    assert [(r.day, r.channel, r.note, {k: f.value for k, f in r.figures.items()})
            for r in from_workbook.rows] == [
        (r.day, r.channel, r.note, {k: f.value for k, f in r.figures.items()})
        for r in from_csv.rows
    ]  # fmt: skip
    [social, _] = from_workbook.rows
    assert social.figures["clicks"].value == 1050  # 50,000 x 2.1%


def test_the_english_headers_and_excel_datetimes_read_the_same():
    _, table = read_workbook(table3(ENGLISH, datetime.combine(date(2024, 6, 10), time(0))))
    assert table[1][1][0] == "2024-06-10"
    sheet = parse_records(table, METRICS, CHANNELS, delimiter=None)
    assert [r.errors for r in sheet.rows] == [[], []]


@pytest.mark.parametrize(
    ("value", "number_format", "text"),
    [
        (None, "General", ""),
        (50_000, "#,##0", "50000"),
        (0.021, "0.0%", "2.1%"),
        (0.021, "General", "0.021"),
        (0.08, "0%", "8%"),
        (1.5e-7, "General", "0.00000015"),
        (35000.0, "General", "35000"),
        (-0.0, "General", "0"),
        (1e20, "General", "100000000000000000000"),
        (0.1 + 0.2, "General", "0.30000000000000004"),  # the double Excel holds, exactly
        (True, "General", "TRUE"),
        (date(2024, 6, 10), "yyyy-mm-dd", "2024-06-10"),
        (datetime.combine(date(2024, 6, 10), time(17)), "yyyy-mm-dd hh:mm", "2024-06-10 17:00:00"),
        (time(17, 0), "hh:mm", "17:00:00"),
        ("#DIV/0!", "General", "#DIV/0!"),
        ("50,000", "@", "50,000"),
    ],
)
def test_each_cell_reads_as_the_text_a_csv_would_hold(value, number_format, text):
    assert cell_text(value, number_format) == text


def test_only_a_real_percent_sign_makes_a_percentage():
    assert percent_format("0.00%")
    assert percent_format("0.0%;[Red]-0.0%")
    assert not percent_format('0.0"%"')  # a literal in quotes
    assert not percent_format("0.0\\%")  # an escaped one
    assert not percent_format("General")


def test_errors_name_the_worksheet_row():
    body = workbook_bytes(
        [ENGLISH, [], ["2024-06-10", "social feed", "5O,000", None, None, 1, 2, None]]
    )
    _, table = read_workbook(body)
    [row] = parse_records(table, METRICS, CHANNELS, delimiter=None).rows
    assert row.line == 3  # the blank row 2 is not skipped in the count
    assert [(e.row, e.column) for e in row.errors] == [(3, "impressions")]


def test_a_worksheet_is_chosen_by_name_else_the_first():
    body = workbook_bytes([CHINESE], title="日报", before=("Notes",))
    assert read_workbook(body)[0] == "Notes"
    assert read_workbook(body, sheet="日报") == ("日报", [(1, CHINESE)])
    with pytest.raises(Invalid) as unknown:
        read_workbook(body, sheet="Weekly")
    [error] = unknown.value.errors
    assert (error.location, error.field) == ("query", "sheet")
    assert "'Notes', '日报'" in error.message


def rezip(body: bytes, replace: dict[str, bytes | None], add: dict[str, bytes]) -> bytes:
    """The workbook with some parts replaced (None: removed) or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(body)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            content = replace.get(entry.filename, source.read(entry.filename))
            if content is not None:
                target.writestr(entry, content, compress_type=zipfile.ZIP_DEFLATED)
        for name, content in add.items():
            target.writestr(name, content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def content_types(body: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return archive.read("[Content_Types].xml")


def test_macros_old_formats_and_other_documents_are_refused_as_another_type():
    plain = table3(CHINESE)
    macro_type = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    xlsm = rezip(
        plain,
        {"[Content_Types].xml": content_types(plain).replace(
            b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            macro_type,
        )},
        {"xl/vbaProject.bin": b"\x00" * 64},
    )  # fmt: skip
    with pytest.raises(UnsupportedWorkbook, match="macro-enabled"):
        read_workbook(xlsm)
    with pytest.raises(UnsupportedWorkbook, match="macro-enabled"):
        read_workbook(rezip(plain, {}, {"xl/vbaProject.bin": b"\x00" * 64}))
    with pytest.raises(UnsupportedWorkbook, match=r"\.xls"):
        read_workbook(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    docx = rezip(
        plain,
        {"[Content_Types].xml": content_types(plain).replace(
            b"spreadsheetml.sheet.main+xml", b"wordprocessingml.document.main+xml"
        )},
        {},
    )  # fmt: skip
    with pytest.raises(UnsupportedWorkbook, match="not an Excel workbook"):
        read_workbook(docx)
    ods = io.BytesIO()
    with zipfile.ZipFile(ods, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    with pytest.raises(UnsupportedWorkbook, match="OpenDocument"):
        read_workbook(ods.getvalue())


@pytest.mark.parametrize(
    "damage",
    [
        lambda body: b"date,channel\n2024-06-10,tv\n",  # CSV sent as a workbook
        lambda body: body[: len(body) // 2],  # cut short
        lambda body: rezip(body, {"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row"}, {}),
        lambda body: rezip(body, {"xl/workbook.xml": None}, {}),
        lambda body: rezip(body, {"[Content_Types].xml": b"not xml"}, {}),
    ],
)
def test_a_damaged_workbook_is_not_a_workbook(damage):
    with pytest.raises(NotAWorkbook):
        read_workbook(damage(table3(CHINESE)))


def test_xml_entities_are_refused():
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row>'
        b"</sheetData></worksheet>"
    )
    with pytest.raises(NotAWorkbook):
        read_workbook(rezip(table3(CHINESE), {"xl/worksheets/sheet1.xml": laughs}, {}))


def test_a_zip_bomb_is_refused_before_it_inflates():
    body = rezip(table3(CHINESE), {}, {"xl/media/padding.bin": b"\x00" * (40 * 1024 * 1024)})
    assert len(body) < 200_000  # what the 2 MiB body limit lets through
    with pytest.raises(Invalid) as refused:
        read_workbook(body)
    assert refused.value.errors[0].code == "workbook_too_large"


def test_a_worksheet_too_long_or_too_wide_is_refused(monkeypatch):
    monkeypatch.setattr(report_xlsx, "MAX_SHEET_ROWS", 5)
    long = workbook_bytes([CHINESE] + [[None]] * 5 + [["2024-06-10", "tv"]])
    with pytest.raises(Invalid, match="past row 5"):
        read_workbook(long)
    wide = openpyxl.Workbook()
    sheet = wide.active
    assert sheet is not None
    sheet.cell(row=1, column=report_xlsx.MAX_COLUMNS + 1, value="extra")
    out = io.BytesIO()
    wide.save(out)
    with pytest.raises(Invalid, match="columns wide"):
        read_workbook(out.getvalue())
