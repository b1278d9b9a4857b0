"""The campaign's pages over HTTP: HTML under strict headers, what they show of the
brief's campaign, escaping of whatever a campaign holds, tenancy, and share links
(create, list, revoke, expire by an injected clock) that open them without an API key."""

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import DBAPIError

from services.api.routers import pages
from shared.actor import Role
from shared.notifications import messages
from shared.report_pages.labels import Labels
from shared.reports import service as reports
from shared.reports.schedule import ReportKind
from shared.timeutil import utcnow
from tests.api.test_reports import report_campaign
from tests.helpers import (
    Tenant,
    assert_problem,
    captured_logs,
    created,
    fields_of,
    register_channels,
)
from tests.report_pages import sample

PAGE_NAMES = ["report", "evaluation", "proposal", "settlement", "retrospective"]
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
T0 = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)


@pytest.fixture
def clock(app) -> Any:
    """The pages' and links' clock, set by the test: `clock.now = ...`."""

    class Clock:
        now = T0

    app.dependency_overrides[pages.current_time] = lambda: Clock.now
    yield Clock
    app.dependency_overrides.pop(pages.current_time, None)


@pytest.fixture
async def briefs_campaign(client, tenant: Tenant, runtime) -> sample.Sample:
    today = utcnow().astimezone(sample.SHANGHAI).date()
    return await sample.build(
        client, tenant.auth(), runtime.sessionmaker, runtime.job_queue, today=today
    )


def assert_page(response: httpx.Response, *, shared: bool = False) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "private, no-store"
    assert re.fullmatch(r"data;dur=[0-9.]+, render;dur=[0-9.]+", response.headers["server-timing"])
    assert ("x-robots-tag" in response.headers) is shared
    html = response.text
    assert "<script" not in html  # the pages run no script at all
    assert 'style="' not in html  # nor inline style: the policy would block it
    return html


async def share(client, tenant: Tenant, campaign_id: str, **body: Any) -> dict[str, Any]:
    made = await client.post(
        f"/v1/campaigns/{campaign_id}/share-links", json=body, headers=tenant.auth(Role.editor)
    )
    assert made.status_code == 201, made.text
    result: dict[str, Any] = made.json()
    return result


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


async def test_the_briefs_campaign_in_five_pages(client, tenant: Tenant, briefs_campaign):
    base = briefs_campaign.base
    viewer = tenant.auth(Role.viewer)
    html = {
        name: assert_page(await client.get(f"{base}/pages/{name}", headers=viewer))
        for name in PAGE_NAMES
    }
    for name, page in html.items():
        assert "夏季防晒新品上市 2024" in page, name
        assert re.search(r"CMP-\d{4}-\d{4}", page), name
        assert f'aria-current="page">{Labels("zh")[name]}<' in page, name
    report = html["report"]
    assert report.count('class="progress"') == 4
    schedule = (await client.get(f"{base}/schedule", headers=viewer)).json()
    critical = set(re.findall(r'data-task="(M-\d+)" data-critical="true"', report))
    assert critical == {row["code"] for row in schedule["rows"] if row["critical"]}
    assert " → ".join(schedule["critical_path"]) in report
    assert report.count('<path class="series"') == 12  # 5 metrics, 2 or 3 channels each
    evaluation = html["evaluation"]
    for rate in ("90.00%", "124.00%", "150.00%", "130.00%"):
        assert rate in evaluation
    assert "1:5.2" in evaluation  # ROI as the manuals write it
    assert "提前两周锁定 KOC 档期" in evaluation
    assert html["proposal"].count('data-signed="true"') == 2
    assert 'data-settlement-status="signed_off"' in html["settlement"]
    assert html["retrospective"].count("<tr data-item>") == 3
    english = await client.get(f"{base}/pages/report", params={"lang": "en"}, headers=viewer)
    assert ">Goal progress<" in assert_page(english)
    assert english.headers["content-language"] == "en"
    assert 'href="evaluation?lang=en"' in english.text  # the navigation keeps the choice


async def test_pages_speak_the_workspaces_language_unless_asked(client, tenant: Tenant):
    campaign = await created(client, tenant, "/v1/campaigns", {"name": "618", "kind": "promotion"})
    report = f"/v1/campaigns/{campaign['id']}/pages/report"
    chinese = await client.get(report, headers=tenant.auth())
    assert ">目标进度<" in assert_page(chinese)
    assert chinese.headers["content-language"] == "zh-CN"
    switched = await client.patch("/v1/workspace", json={"language": "en"}, headers=tenant.auth())
    assert switched.status_code == 200, switched.text
    assert ">Goal progress<" in assert_page(await client.get(report, headers=tenant.auth()))
    asked = await client.get(report, params={"lang": "zh-CN"}, headers=tenant.auth())
    assert ">目标进度<" in assert_page(asked)


async def test_the_stylesheet_is_served_versioned_and_nothing_else_is(
    client, briefs_campaign, tenant
):
    page = await client.get(f"{briefs_campaign.base}/pages/report", headers=tenant.auth())
    [href] = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page.text)
    css = await client.get(href)
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert css.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "@page" in css.text
    assert "size: A4" in css.text
    assert "Noto Sans CJK SC" in css.text
    assert (await client.get("/pages/assets/pages-000000000000.css")).status_code == 404


HOSTILE = '<script>alert("x")</script> & "618" {{ 7*7 }}'


async def test_a_hostile_campaign_shows_as_text_on_every_page(client, tenant: Tenant):
    await register_channels(client, tenant, {"evil": "<img src=x onerror=alert(1)>"})
    campaign = await created(
        client,
        tenant,
        "/v1/campaigns",
        {
            "name": HOSTILE,
            "kind": "promotion",
            "background": "</td></tr></table><iframe src=//evil.example>",
            "start_date": "2024-06-01",
            "end_date": "2024-06-18",
        },
    )
    base = f"/v1/campaigns/{campaign['id']}"
    attached = await client.put(
        f"{base}/channels", json={"channel_keys": ["evil"]}, headers=tenant.auth(Role.editor)
    )
    assert attached.status_code == 200, attached.text
    await created(
        client,
        tenant,
        f"{base}/budget-lines",
        {"category": "promotion_media", "planned_amount": "100", "channel_key": "evil",
         "note": "<b>bold</b>"},
    )  # fmt: skip
    link = await share(client, tenant, campaign["id"])
    for name in PAGE_NAMES:  # a draft: every page renders, with its empty states
        for response, shared in (
            (await client.get(f"{base}/pages/{name}", headers=tenant.auth()), False),
            (await client.get(path_of(link["urls"][name])), True),
        ):
            html = assert_page(response, shared=shared)
            assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;618&#34;" in html
            assert "{{ 7*7 }}" in html  # shown, not evaluated
            assert "<img" not in html
            assert "<iframe" not in html
            assert "<b>" not in html


async def test_another_workspaces_campaign_and_links_are_404(
    client, tenant: Tenant, other_tenant: Tenant
):
    campaign = await created(client, tenant, "/v1/campaigns", {"name": "618", "kind": "promotion"})
    link = await share(client, tenant, campaign["id"])
    base = f"/v1/campaigns/{campaign['id']}"
    foreign = other_tenant.auth()
    for name in PAGE_NAMES:
        assert_problem(await client.get(f"{base}/pages/{name}", headers=foreign), 404)
    assert_problem(await client.get(f"{base}/share-links", headers=foreign), 404)
    assert_problem(await client.post(f"{base}/share-links", json={}, headers=foreign), 404)
    assert_problem(await client.get(f"{base}/share-links/{link['id']}", headers=foreign), 404)
    revoke = await client.post(f"{base}/share-links/{link['id']}/revoke", headers=foreign)
    assert_problem(revoke, 404)
    # A link belongs to its campaign: another campaign's path does not find it.
    mine = await created(client, tenant, "/v1/campaigns", {"name": "双11", "kind": "promotion"})
    elsewhere = f"/v1/campaigns/{mine['id']}/share-links/{link['id']}"
    assert_problem(await client.get(elsewhere, headers=tenant.auth()), 404)
    assert (await client.get(f"{base}/share-links/{link['id']}", headers=tenant.auth())).json()[
        "active"
    ]


async def test_viewers_read_pages_and_links_editors_make_and_revoke_them(client, tenant: Tenant):
    campaign = await created(client, tenant, "/v1/campaigns", {"name": "618", "kind": "promotion"})
    base = f"/v1/campaigns/{campaign['id']}"
    viewer = tenant.auth(Role.viewer)
    assert_page(await client.get(f"{base}/pages/report", headers=viewer))
    assert_problem(await client.post(f"{base}/share-links", json={}, headers=viewer), 403)
    link = await share(client, tenant, campaign["id"])
    listed = await client.get(f"{base}/share-links", headers=viewer)
    assert [item["id"] for item in listed.json()["items"]] == [link["id"]]
    revoke = await client.post(f"{base}/share-links/{link['id']}/revoke", headers=viewer)
    assert_problem(revoke, 403)
    assert_problem(await client.get(f"{base}/pages/report"), 401)  # no key, no page


async def test_a_link_opens_the_pages_until_it_expires_by_the_clock(client, tenant: Tenant, clock):
    campaign = await created(client, tenant, "/v1/campaigns", {"name": "618", "kind": "promotion"})
    base = f"/v1/campaigns/{campaign['id']}"
    made = await client.post(
        f"{base}/share-links",
        json={"label": "管理层周报", "expires_in_hours": 24},
        headers=tenant.auth(Role.editor),
    )
    assert made.status_code == 201, made.text
    assert made.headers["cache-control"] == "no-store"
    link = made.json()
    assert made.headers["location"] == f"{base}/share-links/{link['id']}"
    assert link["token"].startswith(f"cos_{link['prefix']}_")
    assert datetime.fromisoformat(link["expires_at"]) == T0 + timedelta(hours=24)
    assert set(link["urls"]) == set(PAGE_NAMES)
    assert link["urls"]["report"].endswith(f"/pages/s/{link['token']}/report")

    report = path_of(link["urls"]["report"])
    assert "618" in assert_page(await client.get(report), shared=True)  # no API key
    clock.now = T0 + timedelta(hours=24) - timedelta(seconds=1)
    assert_page(await client.get(path_of(link["urls"]["settlement"])), shared=True)
    shown = (await client.get(f"{base}/share-links/{link['id']}", headers=tenant.auth())).json()
    assert "token" not in shown
    assert shown["active"] is True
    assert datetime.fromisoformat(shown["last_used_at"]) == clock.now
    assert shown["label"] == "管理层周报"

    clock.now = T0 + timedelta(hours=24)
    assert_problem(await client.get(report), 404, "share_link_not_valid")
    expired = await client.get(
        f"{base}/share-links", params={"active": "false"}, headers=tenant.auth()
    )
    assert [(i["id"], i["active"]) for i in expired.json()["items"]] == [(link["id"], False)]
    active = await client.get(
        f"{base}/share-links", params={"active": "true"}, headers=tenant.auth()
    )
    assert active.json()["items"] == []


async def test_a_revoked_link_stops_at_once_and_revoking_again_changes_nothing(
    client, tenant: Tenant, clock
):
    campaign = await created(client, tenant, "/v1/campaigns", {"name": "618", "kind": "promotion"})
    base = f"/v1/campaigns/{campaign['id']}"
    link = await share(client, tenant, campaign["id"], expires_in_hours=2160)
    report = path_of(link["urls"]["report"])
    assert_page(await client.get(report), shared=True)
    clock.now = T0 + timedelta(minutes=5)
    revoke = f"{base}/share-links/{link['id']}/revoke"
    first = await client.post(revoke, headers=tenant.auth(Role.editor))
    assert first.status_code == 200, first.text
    assert first.json()["active"] is False
    assert datetime.fromisoformat(first.json()["revoked_at"]) == clock.now
    assert_problem(await client.get(report), 404, "share_link_not_valid")
    clock.now = T0 + timedelta(minutes=10)
    again = await client.post(revoke, headers=tenant.auth(Role.editor))
    assert again.json()["revoked_at"] == first.json()["revoked_at"]


async def test_unknown_malformed_revoked_and_expired_tokens_answer_the_same(
    client, tenant: Tenant, clock
):
    campaign = await created(client, tenant, "/v1/campaigns", {"name": "618", "kind": "promotion"})
    revoked = await share(client, tenant, campaign["id"])
    await client.post(
        f"/v1/campaigns/{campaign['id']}/share-links/{revoked['id']}/revoke",
        headers=tenant.auth(Role.editor),
    )
    expiring = await share(client, tenant, campaign["id"], expires_in_hours=1)
    clock.now = T0 + timedelta(hours=2)
    forged = revoked["token"][:-4] + "AAAA"
    tokens = [revoked["token"], expiring["token"], forged, "cos_0000000000_" + "x" * 43, "nope"]
    answers = []
    for token in tokens:
        problem = assert_problem(await client.get(f"/pages/s/{token}/report"), 404)
        answers.append({k: v for k, v in problem.items() if k not in ("instance", "request_id")})
    assert all(answer == answers[0] for answer in answers)
    assert answers[0]["code"] == "share_link_not_valid"
    assert "618" not in str(answers[0])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"expires_in_hours": 0}, "body.expires_in_hours"),
        ({"expires_in_hours": 2161}, "body.expires_in_hours"),  # over 90 days
        ({"expires_in_hours": "24"}, "body.expires_in_hours"),
        ({"label": ""}, "body.label"),
        ({"label": "x" * 201}, "body.label"),
        ({"lifetime": 24}, "body.lifetime"),
    ],
)
async def test_a_bad_link_is_422_naming_the_field_and_nothing_is_made(
    client, tenant: Tenant, body, field
):
    campaign = await created(client, tenant, "/v1/campaigns", {"name": "618", "kind": "promotion"})
    base = f"/v1/campaigns/{campaign['id']}/share-links"
    refused = await client.post(base, json=body, headers=tenant.auth(Role.editor))
    assert fields_of(assert_problem(refused, 422)) == {field}
    assert (await client.get(base, headers=tenant.auth())).json()["items"] == []


async def test_bad_page_requests_are_422_naming_the_parameter(client, tenant: Tenant):
    campaign = await created(client, tenant, "/v1/campaigns", {"name": "618", "kind": "promotion"})
    base = f"/v1/campaigns/{campaign['id']}"
    link = await share(client, tenant, campaign["id"])
    for path, params, field in (
        (f"{base}/pages/budget", {}, "path.page"),
        (f"{base}/pages/report", {"lang": "fr"}, "query.lang"),
        ("/v1/campaigns/not-an-id/pages/report", {}, "path.campaign_id"),
        (f"/pages/s/{link['token']}/budget", {}, "path.page"),
    ):
        response = await client.get(path, params=params, headers=tenant.auth())
        assert fields_of(assert_problem(response, 422)) == {field}, path
    keyed = await client.post(
        f"{base}/share-links",
        json={},
        headers=tenant.auth(Role.editor) | {"Idempotency-Key": "link-1"},
    )
    assert_problem(keyed, 422, "idempotency_not_supported")
    unknown = await client.get(f"/v1/campaigns/{uuid.uuid4()}/pages/report", headers=tenant.auth())
    assert_problem(unknown, 404)


async def test_a_sent_report_carries_a_link_that_opens_the_report_page(
    client, tenant: Tenant, session, sessionmaker, clock
):
    """The weekly report reaches a chat group, where nobody has an API key: its message
    links the campaign's report page through a share link of its own, for two weeks."""
    cid = (await report_campaign(client, tenant, session, start=date(2024, 6, 3)))["id"]
    monday = datetime.combine(date(2024, 6, 17), time(9, 5), tzinfo=sample.SHANGHAI)
    async with sessionmaker() as worker, worker.begin():
        run = await reports.send_report(
            worker,
            campaign_id=uuid.UUID(cid),
            kind=ReportKind.weekly,
            period_start=date(2024, 6, 10),
            now=monday,
        )
    assert run is not None
    content = (await client.get(f"/v1/reports/{run.id}", headers=tenant.auth())).json()["content"]
    link = content["pages_link"]
    assert messages.message("report.weekly", content, language="zh").link == link
    assert re.fullmatch(r"http://[^/]+/pages/s/cos_[0-9a-f]{10}_[\w-]{43}/report", link)
    clock.now = monday + timedelta(days=1)
    page = assert_page(await client.get(path_of(link)), shared=True)
    assert "618 大促" in page
    [made] = (await client.get(f"/v1/campaigns/{cid}/share-links", headers=tenant.auth())).json()[
        "items"
    ]
    assert made["label"] == content["title"]
    assert made["created_by_api_key_id"] is None
    assert datetime.fromisoformat(made["expires_at"]) == monday + timedelta(days=14)
    clock.now = monday + timedelta(days=14)
    assert_problem(await client.get(path_of(link)), 404, "share_link_not_valid")


async def test_the_share_token_never_reaches_the_log(client, tenant: Tenant, monkeypatch):
    campaign = await created(client, tenant, "/v1/campaigns", {"name": "618", "kind": "promotion"})
    link = await share(client, tenant, campaign["id"])
    with captured_logs(monkeypatch) as logs:
        assert_page(await client.get(path_of(link["urls"]["report"])), shared=True)
        revoked = await client.post(
            f"/v1/campaigns/{campaign['id']}/share-links/{link['id']}/revoke",
            headers=tenant.auth(Role.editor),
        )
        assert revoked.status_code == 200, revoked.text
        assert_problem(await client.get(path_of(link["urls"]["report"])), 404)
    paths = [entry["path"] for entry in logs if entry.get("event") == "request"]
    assert paths.count("/pages/s/<token>/report") == 2
    assert link["token"] not in repr(logs)


async def test_a_share_token_stays_out_of_the_log_of_an_unexpected_error(app, client, monkeypatch):
    token = "cos_0123456789_" + "x" * 43

    async def explode(token: str) -> None:
        # A database error that is not an outage: answered (and logged) by the handlers.
        raise DBAPIError("SELECT 1", None, Exception("boom"))

    app.add_api_route("/pages/s/{token}/test/explode", explode, methods=["GET"])
    with captured_logs(monkeypatch) as logs:
        assert_problem(await client.get(f"/pages/s/{token}/test/explode"), 500, "internal_error")
    assert any(entry.get("event") == "unhandled error" for entry in logs)
    assert token not in repr(logs)
