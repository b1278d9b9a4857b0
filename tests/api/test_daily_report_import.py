"""CSV import of the brief's daily channel report: parsing alone, then through the API."""

import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select

from shared.actor import Role
from shared.ingestion import apply, daily_report_import
from shared.ingestion.models import IngestBatch
from shared.ingestion.report_cells import MetricSpec
from shared.metrics.standard import STANDARD_METRICS
from shared.timeutil import utcnow
from tests.helpers import Tenant, assert_problem, fields_of
from tests.worker.test_ingestion import setup

METRICS = {
    m["key"]: MetricSpec(m["key"], m["name"], m["unit"], m.get("formula")) for m in STANDARD_METRICS
}
CHANNELS = {"social_feed": "Social feed", "offline_store": "Offline store", "tv": "Television"}
HEADER = "date,channel,impressions,CTR,conversion,new users,sales,note"
CSV = {"content-type": "text/csv; charset=utf-8"}


def brief_csv(day: date) -> str:
    return (
        f"{HEADER}\n"
        f'{day},social feed,"50,000",2.1%,3.5%,175,"35,000",\n'
        f'{day},offline store,"2,000",-,8.0%,160,"32,000",traffic 20% under expectation\n'
    )


# --- through the API ------------------------------------------------------------------------


def campaign_day(days_ago: int) -> date:
    return utcnow().astimezone(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=days_ago)


async def daily_figures(
    client: httpx.AsyncClient, tenant: Tenant, cid: str, day: date
) -> dict[str, dict[str, Decimal | None]]:
    report = await client.get(
        f"/v1/campaigns/{cid}/daily-report",
        params={"date": day.isoformat()},
        headers=tenant.auth(Role.viewer),
    )
    assert report.status_code == 200, report.text
    return {
        row["channel"]: {k: None if v is None else Decimal(v) for k, v in row["figures"].items()}
        for row in report.json()["rows"]
        if row["channel"] is not None
    }


async def log_notes(client: httpx.AsyncClient, tenant: Tenant, cid: str) -> list[str]:
    log = await client.get(f"/v1/campaigns/{cid}/log", headers=tenant.auth())
    return [entry["note"] for entry in log.json()["items"]]


async def post_csv(
    client: httpx.AsyncClient,
    tenant: Tenant,
    cid: str,
    body: str | bytes,
    headers: dict[str, str] = CSV,
    **params: Any,
) -> httpx.Response:
    return await client.post(
        f"/v1/campaigns/{cid}/metric-points/import",
        content=body.encode() if isinstance(body, str) else body,
        params={k: str(v).lower() for k, v in params.items()},
        headers=tenant.auth(Role.editor) | headers,
    )


EMPTY = {"impressions": None, "ctr": None, "conversion_rate": None, "new_users": None, "gmv": None}


@pytest.mark.committed
async def test_the_brief_report_imports_and_reads_back_the_same_figures(
    client, tenant: Tenant, session
):
    cid = (await setup(client, tenant, session))["campaign"]["id"]
    day = campaign_day(1)
    imported = await post_csv(client, tenant, cid, brief_csv(day))
    assert imported.status_code == 201, imported.text
    answer = imported.json()
    assert answer["status"] == "applied"
    assert (answer["rows_read"], answer["rows_imported"], answer["points_applied"]) == (2, 2, 8)
    assert answer["notes_logged"] == 1
    assert answer["rejected_rows"] == []
    assert answer["warnings"] == [
        {
            "row": 3,
            "column": "conversion",
            "message": "conversion 8.0% not stored: no clicks in this row to measure it against",
        }
    ]
    expected = {
        "social_feed": {
            "impressions": Decimal(50000),
            "ctr": Decimal("0.021"),
            "conversion_rate": Decimal("0.035"),
            "new_users": Decimal(175),
            "gmv": Decimal(35000),
        },
        "offline_store": {
            "impressions": Decimal(2000),
            "ctr": None,
            "conversion_rate": None,
            "new_users": Decimal(160),
            "gmv": Decimal(32000),
        },
    }
    assert await daily_figures(client, tenant, cid, day) == expected
    batch = await client.get(f"/v1/ingest/batches/{answer['batch_id']}", headers=tenant.auth())
    assert batch.json()["status"] == "applied"
    notes = await log_notes(client, tenant, cid)
    assert notes == [f"Daily report {day}, offline_store: traffic 20% under expectation"]

    # The same file again (Excel's export this time: a byte order mark, application/csv):
    # the day's figures are replaced, not added to, and the note is not repeated.
    again = await post_csv(
        client,
        tenant,
        cid,
        b"\xef\xbb\xbf" + brief_csv(day).encode(),
        headers={"content-type": "application/csv"},
    )
    assert again.status_code == 201, again.text
    assert again.json()["notes_logged"] == 0
    assert await daily_figures(client, tenant, cid, day) == expected
    assert await log_notes(client, tenant, cid) == notes


@pytest.mark.committed
async def test_the_brief_report_with_its_chinese_headers_imports_the_same_figures(
    client, tenant: Tenant, session
):
    cid = (await setup(client, tenant, session))["campaign"]["id"]
    day = campaign_day(1)
    chinese = brief_csv(day).replace(HEADER, "日期,渠道,曝光量,点击率,转化率,新增用户,销售额,备注")
    imported = await post_csv(client, tenant, cid, chinese)
    assert imported.status_code == 201, imported.text
    assert imported.json()["rows_imported"] == 2
    assert imported.json()["warnings"][0]["column"] == "转化率"
    figures = await daily_figures(client, tenant, cid, day)
    assert figures["social_feed"]["ctr"] == Decimal("0.021")
    assert figures["social_feed"]["gmv"] == Decimal(35000)
    assert figures["offline_store"]["new_users"] == Decimal(160)


async def test_one_bad_row_refuses_the_file_unless_partial(client, tenant: Tenant, session):
    cid = (await setup(client, tenant, session))["campaign"]["id"]
    day = campaign_day(2)
    body = (
        f"{HEADER}\n"
        f'{day},social feed,"50,000",2.1%,3.5%,175,"35,000",all good\n'
        f'{day},offline store,"5O,000",2.1,-,160,"32,000",typos\n'
        f"{day},tv,100,-,-,1,10,\n"
        f"{campaign_day(40)},social feed,100,-,-,1,10,\n"
    )
    refused = await post_csv(client, tenant, cid, body)
    problem = assert_problem(refused, 422, "invalid_rows")
    assert fields_of(problem) == {
        "body.rows.3.impressions",
        "body.rows.3.CTR",
        "body.rows.4.channel",  # tv is not attached to the campaign
        "body.rows.5.date",  # outside the late-data window
    }
    messages = {e["field"]: e["detail"] for e in problem["errors"]}
    assert "write 2.1% or 0.021" in messages["rows.3.CTR"]
    assert "not attached" in messages["rows.4.channel"]
    assert "late-data window" in messages["rows.5.date"]
    assert await daily_figures(client, tenant, cid, day) == {
        "offline_store": EMPTY,
        "social_feed": EMPTY,
    }
    assert await session.scalar(select(func.count()).select_from(IngestBatch)) == 0
    assert await log_notes(client, tenant, cid) == []

    partial = await post_csv(client, tenant, cid, body, partial=True)
    assert partial.status_code == 201, partial.text
    answer = partial.json()
    assert answer["status"] == "partially_applied"
    assert (answer["rows_read"], answer["rows_imported"], answer["points_applied"]) == (4, 1, 5)
    assert [(r["row"], [e["column"] for e in r["errors"]]) for r in answer["rejected_rows"]] == [
        (3, ["impressions", "CTR"]),
        (4, ["channel"]),
        (5, ["date"]),
    ]
    figures = await daily_figures(client, tenant, cid, day)
    assert figures["social_feed"]["impressions"] == 50000
    assert figures["offline_store"] == EMPTY  # a bad row is skipped whole
    assert await log_notes(client, tenant, cid) == [f"Daily report {day}, social_feed: all good"]


@pytest.mark.committed
async def test_what_the_endpoint_refuses_before_reading_rows(client, tenant: Tenant, session):
    cid = (await setup(client, tenant, session))["campaign"]["id"]
    day = campaign_day(1)
    good = brief_csv(day)
    for content_type in ("text/plain", "application/json", "multipart/form-data; boundary=x"):
        wrong = await post_csv(client, tenant, cid, good, headers={"content-type": content_type})
        assert_problem(wrong, 415, "unsupported_media_type")
    empty_untyped = await client.post(
        f"/v1/campaigns/{cid}/metric-points/import", headers=tenant.auth()
    )
    assert_problem(empty_untyped, 415)
    viewer = await client.post(
        f"/v1/campaigns/{cid}/metric-points/import",
        content=good.encode(),
        headers=tenant.auth(Role.viewer) | CSV,
    )
    assert_problem(viewer, 403)

    unknown = await post_csv(client, tenant, cid, f"{HEADER},likes\n{day},tv,1,-,-,1,1,,5\n")
    assert fields_of(assert_problem(unknown, 422, "invalid_header")) == {"body.rows.1.likes"}
    latin1 = await post_csv(
        client, tenant, cid, good.replace("traffic", "trafic é").encode("cp1252")
    )
    assert_problem(latin1, 422, "invalid_file")
    assert_problem(await post_csv(client, tenant, cid, "\ufeff"), 422, "invalid_file")
    assert_problem(await post_csv(client, tenant, cid, f"{HEADER}\n,,,\n"), 422, "invalid_file")

    # Larger than the API's usual 1 MiB, within the import's 2 MiB: read, and refused
    # for its rows; above 2 MiB: refused unread.
    row = f"{day},social feed,1,-,-,1,1,{'x' * 200}\n"
    many = HEADER + "\n" + row * 6_000
    assert 1_048_576 < len(many) < 2 * 1_048_576
    too_many = assert_problem(await post_csv(client, tenant, cid, many), 422, "invalid_file")
    assert fields_of(too_many) == {"body.rows"}
    huge = HEADER + "\n" + row * 11_000
    assert_problem(await post_csv(client, tenant, cid, huge), 413, "payload_too_large")
    assert await session.scalar(select(func.count()).select_from(IngestBatch)) == 0


@pytest.mark.committed
async def test_semicolon_files_without_notes_and_a_retry_with_the_same_key(
    client, tenant: Tenant, session
):
    cid = (await setup(client, tenant, session))["campaign"]["id"]
    day = campaign_day(3)
    body = f"\ufeffDate;Channel;Impressions;Clicks\n{day};Offline store;2000;30\n"
    key = {"Idempotency-Key": f"import-{uuid.uuid4()}"}
    first = await post_csv(client, tenant, cid, body, headers=CSV | key)
    assert first.status_code == 201, first.text
    assert first.json()["points_applied"] == 2
    replay = await post_csv(client, tenant, cid, body, headers=CSV | key)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    figures = await daily_figures(client, tenant, cid, day)
    assert figures["offline_store"]["ctr"] == Decimal("0.015")


@pytest.mark.committed
async def test_a_row_refused_only_in_part_is_skipped_whole(
    client, tenant: Tenant, session, monkeypatch
):
    """apply_batch judges points one by one; a row is imported whole or not at all."""
    cid = (await setup(client, tenant, session))["campaign"]["id"]
    day = campaign_day(1)
    real_apply = apply.apply_batch
    calls = 0

    async def apply_refusing_one_point(db, *, batch_id, now):
        nonlocal calls
        calls += 1
        if calls == 1:  # as if gmv had left the dictionary meanwhile, for the first row
            batch = await db.get(IngestBatch, batch_id)
            first_gmv = next(i for i, p in enumerate(batch.points) if p["metric"] == "gmv")
            batch.points = [
                p | {"metric": "gone"} if i == first_gmv else p for i, p in enumerate(batch.points)
            ]
            await db.flush()
        return await real_apply(db, batch_id=batch_id, now=now)

    monkeypatch.setattr(daily_report_import, "apply_batch", apply_refusing_one_point)
    imported = await post_csv(client, tenant, cid, brief_csv(day), partial=True)
    assert imported.status_code == 201, imported.text
    answer = imported.json()
    assert calls == 2
    assert answer["rejected_rows"] == [
        {"row": 2, "errors": [{"column": "sales", "message": "not stored: unknown metric 'gone'"}]}
    ]
    assert (answer["rows_imported"], answer["points_applied"]) == (1, 3)
    figures = await daily_figures(client, tenant, cid, day)
    assert figures["social_feed"] == EMPTY
    assert figures["offline_store"]["gmv"] == 32000


@pytest.mark.committed
async def test_a_figure_that_would_overflow_the_day_is_422_naming_its_cell(
    client, tenant: Tenant, session
):
    cid = (await setup(client, tenant, session))["campaign"]["id"]
    day = campaign_day(1)
    noon = datetime.combine(day, time(12), ZoneInfo("Asia/Shanghai"))
    by_hour = [{"channel": "social_feed", "metric": "gmv", "ts": noon.isoformat(),
                "value": 600_000_000_000_000_000}]  # fmt: skip
    entered = await client.post(
        f"/v1/campaigns/{cid}/metric-points", json={"points": by_hour}, headers=tenant.auth()
    )
    assert entered.status_code == 201, entered.text
    body = (
        f"{HEADER}\n"
        f'{day},social feed,"50,000",2.1%,-,175,"600,000,000,000,000,000",\n'
        f'{day},offline store,"2,000",-,-,160,"32,000",\n'
    )
    refused = await post_csv(client, tenant, cid, body)
    problem = assert_problem(refused, 422, "invalid_rows")
    assert fields_of(problem) == {"body.rows.2.sales"}
    assert "day's total would exceed" in problem["errors"][0]["detail"]
    assert (await daily_figures(client, tenant, cid, day))["offline_store"] == EMPTY

    partial = await post_csv(client, tenant, cid, body, partial=True)
    assert partial.status_code == 201, partial.text
    assert [r["row"] for r in partial.json()["rejected_rows"]] == [2]
    figures = await daily_figures(client, tenant, cid, day)
    assert figures["social_feed"]["gmv"] == 600_000_000_000_000_000
    assert figures["offline_store"]["gmv"] == 32000
