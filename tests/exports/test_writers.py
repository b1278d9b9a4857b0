"""The file writers without HTTP or a database: what a spreadsheet sees of each cell, the
CSV injection rule, figures in their plain shape, names a file system takes."""

import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from shared.exports import writers
from shared.exports.service import filename
from shared.exports.table import Column, Kind, Table, plain
from shared.workspaces import labels
from shared.workspaces.models import Language

TABLE = Table(
    "任务分配表",
    [
        Column("编号"),
        Column("计划开始", Kind.date),
        Column("金额", Kind.money),
        Column("点击率", Kind.fraction),
        Column("达成率 (%)", Kind.percent),
        Column("进度 (%)", Kind.integer),
        Column("新增用户", Kind.number),
    ],
    [
        [
            "=1+1",
            date(2024, 6, 10),
            Decimal("888.18"),
            Decimal("0.021000"),
            Decimal("90"),
            80,
            Decimal("180000.000000"),
        ],
        ["-2 篇", None, Decimal("-69111.82"), None, None, None, None],
    ],
)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_starting_like_a_formula_gets_an_apostrophe(start):
    assert writers.csv_text(Kind.text, f"{start}SUM(A1:A9)") == f"'{start}SUM(A1:A9)"


@pytest.mark.parametrize("text", ["KOC 种草", "M-001", "a=b", " =1", "'quoted", ""])
def test_other_text_is_kept_as_written(text):
    assert writers.csv_text(Kind.text, text) == text


def test_numbers_keep_their_sign_and_their_digits():
    assert writers.csv_text(Kind.money, Decimal("-69111.82")) == "-69111.82"
    assert writers.csv_text(Kind.money, Decimal("250000")) == "250000.00"
    assert writers.csv_text(Kind.percent, Decimal("-20.9")) == "-20.90"
    assert writers.csv_text(Kind.fraction, Decimal("0.060000")) == "0.06"
    assert writers.csv_text(Kind.number, Decimal("1E+3")) == "1000"
    assert writers.csv_text(Kind.integer, -3) == "-3"
    assert writers.csv_text(Kind.date, date(2024, 6, 10)) == "2024-06-10"
    assert writers.csv_text(Kind.money, None) == ""


@pytest.mark.parametrize(
    ("value", "shown"),
    [("180000.000000", "180000"), ("0.021000", "0.021"), ("5.2", "5.2"), ("1E+3", "1000")],
)
def test_figures_lose_trailing_zeros_never_in_exponent_form(value, shown):
    assert str(plain(Decimal(value))) == shown


def test_csv_is_utf8_with_a_bom_and_crlf_lines():
    content = writers.write_csv(TABLE)
    assert content.startswith(b"\xef\xbb\xbf\xe7\xbc\x96\xe5\x8f\xb7,")  # BOM, then 编号
    assert content.count(b"\r\n") == 3
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert rows[1] == ["'=1+1", "2024-06-10", "888.18", "0.021", "90.00", "80", "180000"]
    assert rows[2] == ["'-2 篇", "", "-69111.82", "", "", "", ""]


def test_the_workbook_types_each_cell():
    content = writers.write_xlsx(TABLE)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    assert sheet.title == "任务分配表"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:G3"
    formula, day, money, rate, achieved, progress, users = sheet[2]
    assert (formula.data_type, formula.value) == ("s", "=1+1")  # text, not a formula
    assert isinstance(day.value, datetime)  # a date cell (Excel stores days as numbers)
    assert (day.value.date(), day.number_format) == (date(2024, 6, 10), "yyyy-mm-dd")
    assert (money.value, money.number_format) == (888.18, "#,##0.00")
    assert (rate.value, rate.number_format) == (0.021, "0.00%")
    assert (achieved.value, achieved.number_format) == (90, "0.00")
    assert (progress.value, progress.number_format) == (80, "0")
    assert users.value == 180000
    assert [c.value for c in sheet[3]] == ["-2 篇", None, -69111.82, None, None, None, None]
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    # The decimal's own digits (a float would store 888.1799999999999).
    assert "<v>888.18</v>" in xml
    assert "<v>-69111.82</v>" in xml
    assert "<f>" not in xml


def test_columns_are_wide_enough_for_their_header():
    assert writers.display_width("进度 (%)") == 8
    assert writers.column_width(Column("协同部门和外部合作伙伴")) == 24  # 11 wide characters
    assert writers.column_width(Column("Code", width=10)) == 10
    assert writers.column_width(Column("x" * 200)) == writers.MAX_WIDTH


def test_file_names_keep_any_script_but_nothing_a_file_system_refuses():
    assert (
        filename("夏季护肤新品上市 618", "任务分配表", "xlsx")
        == "夏季护肤新品上市 618-任务分配表.xlsx"
    )
    assert filename('A/B: "C"?', "Daily report", "csv", "2024-06-01_2024-06-30") == (
        "A_B_ _C__-Daily report-2024-06-01_2024-06-30.csv"
    )
    assert filename("\x00 ..", "", "csv") == "_.csv"


def test_labels_read_in_both_languages_and_fall_back_to_the_key():
    assert labels.header("progress", Language.zh_cn) == "进度 (%)"
    assert labels.header("progress", Language.en) == "Progress (%)"
    assert labels.header("completion", Language.en, metric="GMV") == "Completion GMV (%)"
    assert labels.value("task_status", "in_review", Language.zh_cn) == "待验收"
    assert labels.value("task_status", "someday", Language.en) == "someday"
    assert labels.joined(["商务", "法务"], Language.zh_cn) == "商务、法务"
