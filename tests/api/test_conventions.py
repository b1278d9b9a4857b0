"""Conventions every endpoint follows: problems, request ids, pagination, ETag/If-Match."""

import json
import logging

import httpx
import pytest
from sqlalchemy import text

from services.api.app import create_app
from services.api.deps import DbSession
from shared import logs
from shared.workspaces import service
from tests.helpers import Tenant, add_member, assert_problem, fields_of, serving


async def test_unknown_route_is_a_problem(client):
    problem = assert_problem(await client.get("/v1/nowhere"), 404, "not_found")
    assert problem["instance"] == "/v1/nowhere"


async def test_wrong_method_is_405_with_allow(client, tenant: Tenant):
    response = await client.put("/v1/members", json={}, headers=tenant.auth())
    assert_problem(response, 405, "method_not_allowed")
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}


async def test_malformed_json_is_400(client, tenant: Tenant):
    response = await client.post(
        "/v1/members",
        content=b'{"name": "Li", ',
        headers=tenant.auth() | {"content-type": "application/json"},
    )
    assert_problem(response, 400, "malformed_json")


async def test_non_json_body_is_415(client, tenant: Tenant):
    response = await client.post(
        "/v1/members", content=b"name=Li", headers=tenant.auth() | {"content-type": "text/plain"}
    )
    assert_problem(response, 415, "unsupported_media_type")


async def test_oversized_body_is_413_without_reading_it(client, tenant: Tenant):
    big = b'{"name": "' + b"x" * 1_100_000 + b'"}'
    response = await client.post(
        "/v1/members", content=big, headers=tenant.auth() | {"content-type": "application/json"}
    )
    assert_problem(response, 413, "payload_too_large")


async def test_oversized_streamed_body_is_413(client, tenant: Tenant):
    async def chunks():
        for _ in range(20):
            yield b"x" * 100_000

    response = await client.post(
        "/v1/members",
        content=chunks(),
        headers=tenant.auth() | {"content-type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)


async def test_query_validation_names_the_parameter(client, tenant: Tenant):
    response = await client.get("/v1/members", params={"limit": 500}, headers=tenant.auth())
    problem = assert_problem(response, 422, "validation_error")
    assert fields_of(problem) == {"query.limit"}
    assert problem["errors"][0].get("pointer") is None


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "0", "1718000000", "2024-6-1"])
async def test_days_outside_the_calendar_we_compute_in_are_422(client, tenant: Tenant, day):
    created = await client.post(
        "/v1/campaigns", json={"name": "618", "kind": "promotion"}, headers=tenant.auth()
    )
    cid = created.json()["id"]
    report = await client.get(
        f"/v1/campaigns/{cid}/daily-report", params={"date": day}, headers=tenant.auth()
    )
    assert fields_of(assert_problem(report, 422)) == {"query.date"}
    body = await client.post(
        "/v1/campaigns",
        json={"name": "618", "kind": "promotion", "start_date": int(day) if day.isdigit() else day},
        headers=tenant.auth(),
    )
    assert fields_of(assert_problem(body, 422)) == {"body.start_date"}
    fine = await client.get(
        f"/v1/campaigns/{cid}/daily-report", params={"date": "2024-06-10"}, headers=tenant.auth()
    )
    assert fine.status_code == 200, fine.text


@pytest.mark.parametrize("moment", ["9999-12-31T23:00:00-14:00", "0", "1718000000"])
async def test_instants_outside_the_calendar_we_compute_in_are_422(client, tenant, moment):
    for path, parameter in (("/v1/events", "since"), ("/v1/alerts", "until")):
        response = await client.get(path, params={parameter: moment}, headers=tenant.auth())
        assert fields_of(assert_problem(response, 422)) == {f"query.{parameter}"}


async def test_bad_path_id_is_422_naming_it(client, tenant: Tenant):
    response = await client.get("/v1/members/not-a-uuid", headers=tenant.auth())
    assert fields_of(assert_problem(response, 422)) == {"path.member_id"}


async def test_request_id_is_echoed_or_made(client):
    given = await client.get("/healthz", headers={"X-Request-ID": "frontend-42"})
    assert given.headers["x-request-id"] == "frontend-42"
    made = await client.get("/healthz")
    assert len(made.headers["x-request-id"]) == 32
    unsafe = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert unsafe.headers["x-request-id"] != "bad id\twith spaces"


async def test_unexpected_error_is_500_problem_without_trace_and_rolls_back(app, client, tenant):
    async def explode(session: DbSession) -> None:
        await service.create_member(
            session, workspace_id=tenant.workspace_id, name="Ghost", email="ghost@example.com"
        )
        raise RuntimeError("secret internals")

    app.add_api_route("/v1/test-explode", explode, methods=["POST"])
    response = await client.post("/v1/test-explode", headers={"X-Request-ID": "trace-me"})
    problem = assert_problem(response, 500, "internal_error")
    assert problem["request_id"] == "trace-me"
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    members = await client.get("/v1/members", params={"q": "ghost"}, headers=tenant.auth())
    assert members.json()["items"] == []


async def test_pagination_walks_every_item_once_in_creation_order(client, tenant: Tenant):
    created = [(await add_member(client, tenant, name=f"Member {i}"))["id"] for i in range(7)]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/members", params=params, headers=tenant.auth())).json()
        seen += [m["id"] for m in page["items"]]
        pages += 1
        if pages == 1:  # a row added mid-walk shows up at the end, nothing repeats
            created.append((await add_member(client, tenant, name="Late"))["id"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == created
    assert pages == 3


@pytest.mark.parametrize("cursor", ["garbage", "eyJ2IjogOX0", "e30", "%%%"])
async def test_bad_cursor_is_400(client, tenant: Tenant, cursor):
    response = await client.get("/v1/members", params={"cursor": cursor}, headers=tenant.auth())
    assert_problem(response, 400, "bad_request")


async def test_etag_and_if_match(client, tenant: Tenant):
    member = await add_member(client, tenant)
    path = f"/v1/members/{member['id']}"
    first = await client.get(path, headers=tenant.auth())
    etag = first.headers["etag"]
    assert etag == f'"{member["version"]}"'

    ok = await client.patch(
        path, json={"title": "Lead"}, headers=tenant.auth() | {"If-Match": etag}
    )
    assert ok.status_code == 200
    assert ok.headers["etag"] != etag

    stale = await client.patch(
        path, json={"title": "Overwritten"}, headers=tenant.auth() | {"If-Match": etag}
    )
    problem = assert_problem(stale, 412, "precondition_failed")
    assert problem["current_version"] == ok.json()["version"]
    weak = await client.patch(
        path,
        json={"title": "Weak"},
        headers=tenant.auth() | {"If-Match": f"W/{ok.headers['etag']}"},
    )
    assert_problem(weak, 412)
    stale_delete = await client.delete(path, headers=tenant.auth() | {"If-Match": etag})
    assert_problem(stale_delete, 412)
    assert (await client.get(path, headers=tenant.auth())).json()["title"] == "Lead"

    star = await client.patch(
        path, json={"title": "Any"}, headers=tenant.auth() | {"If-Match": "*"}
    )
    assert star.status_code == 200


async def test_workspace_update_validates_and_honours_if_match(client, tenant: Tenant):
    current = await client.get("/v1/workspace", headers=tenant.auth())
    bad = await client.patch(
        "/v1/workspace",
        json={"default_timezone": "Mars/Olympus", "default_currency": "yuan"},
        headers=tenant.auth(),
    )
    assert fields_of(assert_problem(bad, 422)) == {"body.default_timezone", "body.default_currency"}
    ok = await client.patch(
        "/v1/workspace",
        json={"default_timezone": "Europe/Berlin"},
        headers=tenant.auth() | {"If-Match": current.headers["etag"]},
    )
    assert ok.json()["default_timezone"] == "Europe/Berlin"
    stale = await client.patch(
        "/v1/workspace",
        json={"name": "Late"},
        headers=tenant.auth() | {"If-Match": current.headers["etag"]},
    )
    assert_problem(stale, 412)


async def test_cors_lets_a_configured_frontend_read_our_headers(settings, runtime):
    configured = settings.model_copy(update={"cors_origins": ["https://plan.example.com"]})
    app = create_app(configured, runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        preflight = await client.options(
            "/v1/members",
            headers={
                "Origin": "https://plan.example.com",
                "Access-Control-Request-Method": "PATCH",
                "Access-Control-Request-Headers": "authorization,if-match,idempotency-key",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://plan.example.com"
        simple = await client.get("/healthz", headers={"Origin": "https://plan.example.com"})
        exposed = simple.headers["access-control-expose-headers"].lower()
        assert "etag" in exposed
        assert "x-request-id" in exposed
        foreign = await client.get("/healthz", headers={"Origin": "https://evil.example.com"})
        assert "access-control-allow-origin" not in foreign.headers


@pytest.mark.committed
async def test_a_failed_commit_never_answers_success(app, client, tenant):
    """The response waits for the commit: a commit that fails is a 500, not a 201."""

    async def deferred_clash(session: DbSession) -> dict[str, str]:
        await service.create_member(
            session, workspace_id=tenant.workspace_id, name="Ghost", email="ghost@example.com"
        )
        # A deferred unique constraint is only checked by COMMIT.
        await session.execute(
            text("CREATE TEMP TABLE clash (x int UNIQUE DEFERRABLE INITIALLY DEFERRED)")
        )
        await session.execute(text("INSERT INTO clash VALUES (1), (1)"))
        return {"status": "created"}

    app.add_api_route("/v1/test-deferred", deferred_clash, methods=["POST"], status_code=201)
    response = await client.post("/v1/test-deferred")
    assert_problem(response, 500)
    members = await client.get("/v1/members", params={"q": "ghost"}, headers=tenant.auth())
    assert members.json()["items"] == []


async def test_a_500_is_logged_once_with_the_request_id_the_client_quotes(app, capsys):
    async def explode() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/v1/test-explode", explode, methods=["GET"])
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    logs.configure("INFO", "json")
    try:  # a real server, as in production: uvicorn logs what reaches it
        async with serving(app, log_config=None) as url, httpx.AsyncClient() as http:
            response = await http.get(f"{url}/v1/test-explode")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    problem = assert_problem(response, 500, "internal_error")
    output = capsys.readouterr().err
    assert "Exception in ASGI application" not in output
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    [error] = [line for line in lines if "exception" in line]
    assert error["request_id"] == problem["request_id"]
    assert (error["level"], error["event"]) == ("error", "unhandled error")
    assert "RuntimeError: secret internals" in error["exception"]


async def test_logs_are_json_lines_carrying_the_request_id(client, tenant, capsys):
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    logs.configure("INFO", "json")
    try:
        await client.get("/v1/members", headers=tenant.auth() | {"X-Request-ID": "log-me-1"})
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]
    access = [line for line in lines if line.get("event") == "request"]
    assert access, lines
    assert access[-1]["request_id"] == "log-me-1"
    assert access[-1]["route"] == "/v1/members"
    assert access[-1]["status"] == 200
    assert access[-1]["workspace_id"] == str(tenant.workspace_id)


async def test_nul_characters_are_refused_not_crashing(client, tenant: Tenant):
    body = {"name": "Li\u0000Na", "email": "li@example.com"}
    response = await client.post("/v1/members", json=body, headers=tenant.auth())
    assert fields_of(assert_problem(response, 422)) == {"body.name"}
    search = await client.get("/v1/members", params={"q": "a\u0000"}, headers=tenant.auth())
    assert_problem(search, 422, "invalid_text")
