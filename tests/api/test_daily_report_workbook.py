"""The daily channel report as an .xlsx workbook through the API: the same figures, notes
and row-level errors as its CSV, and files that are not plain workbooks refused."""

from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from shared.actor import Role
from shared.ingestion.models import IngestBatch
from shared.ingestion.report_xlsx import XLSX_MEDIA_TYPE
from tests.api.test_daily_report_import import (
    EMPTY,
    brief_csv,
    campaign_day,
    daily_figures,
    log_notes,
    post_csv,
)
from tests.helpers import Tenant, assert_problem, fields_of
from tests.ingestion.test_report_xlsx import (
    CHINESE,
    ENGLISH,
    NOTE,
    content_types,
    rezip,
    table3,
    workbook_bytes,
)
from tests.worker.test_ingestion import setup

XLSX = {"content-type": XLSX_MEDIA_TYPE}


async def post_workbook(
    client: httpx.AsyncClient, tenant: Tenant, cid: str, body: bytes, **params: Any
) -> httpx.Response:
    return await post_csv(client, tenant, cid, body, headers=XLSX, **params)


@pytest.mark.committed
async def test_the_brief_table_in_chinese_then_in_english_imports_as_its_csv(
    client, tenant: Tenant, session
):
    cid = (await setup(client, tenant, session))["campaign"]["id"]
    day = campaign_day(1)
    imported = await post_workbook(client, tenant, cid, table3(CHINESE, day))
    assert imported.status_code == 201, imported.text
    answer = imported.json()
    assert (answer["worksheet"], answer["status"]) == ("Sheet1", "applied")
    assert (answer["rows_read"], answer["rows_imported"], answer["points_applied"]) == (2, 2, 8)
    assert answer["warnings"] == [
        {
            "row": 3,
            "column": "转化率",
            "message": "转化率 8% not stored: no clicks in this row to measure it against",
        }
    ]
    from_workbook = await daily_figures(client, tenant, cid, day)
    assert from_workbook["social_feed"] == {
        "impressions": Decimal(50000),
        "ctr": Decimal("0.021"),  # the cell showing 2.1%
        "conversion_rate": Decimal("0.035"),
        "new_users": Decimal(175),
        "gmv": Decimal(35000),
    }
    assert await log_notes(client, tenant, cid) == [f"Daily report {day}, offline_store: {NOTE}"]

    # The CSV of the same table, then the workbook with English headers: nothing changes.
    for again in (
        await post_csv(client, tenant, cid, brief_csv(day)),
        await post_workbook(client, tenant, cid, table3(ENGLISH, day)),
    ):
        assert again.status_code == 201, again.text
        assert again.json()["notes_logged"] == 0
        assert await daily_figures(client, tenant, cid, day) == from_workbook


async def test_bad_cells_are_named_by_worksheet_row_unless_partial(client, tenant: Tenant, session):
    cid = (await setup(client, tenant, session))["campaign"]["id"]
    day = campaign_day(2)
    body = workbook_bytes(
        [
            ["Daily report, 618 push"],  # a title above the table: the header is row 3
            [],
            ENGLISH,
            [day, "social feed", 50_000, 0.021, 0.035, 175, 35_000, "all good"],
            [day, "offline store", "5O,000", 3, None, 160, 32_000, "typos"],
            [],
            [day, "social feed", 100, None, None, 1, 10, None],
        ],
        percent_columns=(3, 4),
    )
    refused = await post_workbook(client, tenant, cid, body)
    problem = assert_problem(refused, 422, "invalid_header")
    assert fields_of(problem) == {"body.rows.1.Daily report, 618 push", "body.rows.1.date",
                                  "body.rows.1.channel"}  # fmt: skip
    # Without the title rows: the cells are named by their worksheet rows.
    body = workbook_bytes(
        [
            ENGLISH,
            [day, "social feed", 50_000, 0.021, 0.035, 175, 35_000, "all good"],
            [day, "offline store", "5O,000", 3, None, 160, 32_000, "typos"],
            [],
            [day, "social feed", 100, None, None, 1, 10, None],
        ],
        percent_columns=(3, 4),
    )
    problem = assert_problem(await post_workbook(client, tenant, cid, body), 422, "invalid_rows")
    assert fields_of(problem) == {
        "body.rows.3.impressions",
        "body.rows.3.CTR",  # a plain 3 where a fraction or a percentage belongs
        "body.rows.5.channel",  # social feed on 2024-06-10 again (row 2)
    }
    assert await session.scalar(select(func.count()).select_from(IngestBatch)) == 0

    partial = await post_workbook(client, tenant, cid, body, partial=True)
    assert partial.status_code == 201, partial.text
    rejected = [
        (r["row"], [e["column"] for e in r["errors"]]) for r in partial.json()["rejected_rows"]
    ]
    assert rejected == [(3, ["impressions", "CTR"]), (5, ["channel"])]
    figures = await daily_figures(client, tenant, cid, day)
    assert figures["social_feed"]["ctr"] == Decimal("0.021")
    assert figures["offline_store"] == EMPTY


async def test_a_named_worksheet_is_read_and_a_csv_has_none(client, tenant: Tenant, session):
    cid = (await setup(client, tenant, session))["campaign"]["id"]
    day = campaign_day(1)
    book = workbook_bytes(
        [CHINESE, [day, "social feed", 50_000, 0.021, None, 175, 35_000, None]],
        title="日报",
        before=("Notes",),
        percent_columns=(3,),
    )
    first = assert_problem(await post_workbook(client, tenant, cid, book), 422, "invalid_header")
    assert "body.rows.1.not the report" in fields_of(first)
    named = await post_workbook(client, tenant, cid, book, sheet="日报")
    assert named.status_code == 201, named.text
    assert (named.json()["worksheet"], named.json()["points_applied"]) == ("日报", 4)
    unknown = assert_problem(await post_workbook(client, tenant, cid, book, sheet="Weekly"), 422)
    assert fields_of(unknown) == {"query.sheet"}
    too_long = assert_problem(await post_workbook(client, tenant, cid, book, sheet="x" * 32), 422)
    assert fields_of(too_long) == {"query.sheet"}
    csv_with_sheet = await post_csv(client, tenant, cid, brief_csv(day), sheet="日报")
    assert fields_of(assert_problem(csv_with_sheet, 422)) == {"query.sheet"}


async def test_what_is_not_a_plain_workbook_is_refused_safely(client, tenant: Tenant, session):
    cid = (await setup(client, tenant, session))["campaign"]["id"]
    day = campaign_day(1)
    good = table3(CHINESE, day)

    damaged = (b"", b"PK\x03\x04garbage", good[: len(good) // 2], brief_csv(day).encode())
    for body in damaged:
        assert_problem(await post_workbook(client, tenant, cid, body), 400, "invalid_workbook")
    xlsm = rezip(
        good,
        {"[Content_Types].xml": content_types(good).replace(
            b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        )},
        {"xl/vbaProject.bin": b"\x00" * 64},
    )  # fmt: skip
    macro = assert_problem(await post_workbook(client, tenant, cid, xlsm), 415)
    assert (macro["code"], "macro-enabled" in macro["detail"]) == ("unsupported_workbook", True)
    xls = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024
    assert_problem(await post_workbook(client, tenant, cid, xls), 415, "unsupported_workbook")
    old_type = await post_csv(
        client, tenant, cid, good, headers={"content-type": "application/vnd.ms-excel"}
    )
    assert_problem(old_type, 415, "unsupported_media_type")

    bomb = rezip(good, {}, {"xl/media/padding.bin": b"\x00" * (40 * 1024 * 1024)})
    too_large = assert_problem(await post_workbook(client, tenant, cid, bomb), 422, "invalid_file")
    assert [(e["field"], e["type"]) for e in too_large["errors"]] == [
        ("body", "workbook_too_large")
    ]
    assert await session.scalar(select(func.count()).select_from(IngestBatch)) == 0
    viewer = await client.post(
        f"/v1/campaigns/{cid}/metric-points/import",
        content=good,
        headers=tenant.auth(Role.viewer) | XLSX,
    )
    assert_problem(viewer, 403)
