"""The expense settlement, through the API: planned (baseline and current plan) against the
expenses per category and channel, explanations, verify and settle by finance, sign-off by
management, frozen expenses and the reopening that unfreezes them.

The campaign is the brief's 618 push (test_change_requests): 1,000,000 planned. An approved
change request moved 50,000 from the offline store (200,000) to the social feed (250,000).
Then it spent, and completed:

    category           baseline  current    actual   variance %
    labour               150000   150000    151000      0.67
    materials             80000    80000     60000    -25.00
    promotion_media      550000   550000    580000      5.45
    third_party          120000   120000    120000      0.00
    contingency          100000   100000         0   -100.00
    other                     0        0      8000      (none)
    channel offline       200000   150000    150000      0.00
    channel social_feed   250000   300000    330000     10.00
    no channel            550000   550000    439000    -20.18
    total                1000000  1000000    919000     -8.10
"""

import base64
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from sqlalchemy import select

from shared.actor import Role
from shared.campaigns.models import Campaign
from shared.events import kinds
from shared.events.models import Event
from shared.settlements import service as settlements
from shared.settlements.files import MAX_ATTACHMENT_BYTES
from tests.api import test_campaign_lifecycle as lifecycle
from tests.api.test_campaign_lifecycle import Team, action
from tests.api.test_change_requests import (
    Running,
    decide_request,
    move,
    requested,
    running_campaign,
)
from tests.helpers import Tenant, add_member, assert_problem, created, fields_of

team = lifecycle.team  # the brief's people, approvers bound to API keys

EXPENSES = [
    ("labour", "151000", None),
    ("materials", "60000", None),
    ("promotion_media", "150000", "offline_store"),
    ("promotion_media", "330000", "social_feed"),
    ("promotion_media", "100000", None),
    ("third_party_services", "120000", None),
    ("other", "8000", None),
]
AT_FIVE = [
    "materials",
    "promotion_media",
    "contingency",
    "other",
    "channel:social_feed",
    "no_channel",
]
AT_TEN = ["materials", "contingency", "other", "no_channel"]


@dataclass
class Spent:
    running: Running
    expenses: list[dict[str, Any]]
    finance: dict[str, str]  # an approver key bound to a member (the default finance role)
    management: dict[str, str]  # an admin key bound to a member
    management_id: str

    @property
    def settlement(self) -> str:
        return f"{self.running.base}/settlement"


async def bound_key(client, tenant: Tenant, role: str, title: str) -> tuple[str, dict[str, str]]:
    member = await add_member(client, tenant, name=f"{title} 王", title=title)
    made = await client.post(
        "/v1/api-keys",
        json={"name": f"{title} key", "role": role, "member_id": member["id"]},
        headers=tenant.auth(),
    )
    assert made.status_code == 201, made.text
    return member["id"], {"Authorization": f"Bearer {made.json()['key']}"}


async def spend(client, tenant: Tenant, team: Team, *, complete: bool = True) -> Spent:
    running = await running_campaign(client, tenant, team)
    store_to_feed = await requested(
        client,
        tenant,
        running,
        move(running, "Offline store promotion", "Social feed ads", "50000"),
        plan_version=1,
    )
    applied = await decide_request(client, running, store_to_feed, team.department_head)
    assert applied.json()["status"] == "applied", applied.text
    expenses = []
    for category, amount, channel in EXPENSES:
        body = {"category": category, "amount": amount, "spent_on": "2024-06-10"}
        if channel:
            body["channel_key"] = channel
        expenses.append(await created(client, tenant, f"{running.base}/expenses", body))
    if complete:
        assert (await action(client, tenant, running.id, "complete")).status_code == 200
    _, finance = await bound_key(client, tenant, "approver", "Finance")
    management_id, management = await bound_key(client, tenant, "admin", "CFO")
    return Spent(running, expenses, finance, management, management_id)


@pytest.fixture
async def spent(client, tenant: Tenant, team: Team) -> Spent:
    return await spend(client, tenant, team)


async def read(client, tenant: Tenant, spent: Spent) -> dict[str, Any]:
    response = await client.get(spent.settlement, headers=tenant.auth(Role.viewer))
    assert response.status_code == 200, response.text
    assert response.headers["etag"]
    body: dict[str, Any] = response.json()
    return body


async def explain(client, tenant: Tenant, spent: Spent, key: str, text: str) -> httpx.Response:
    response: httpx.Response = await client.put(
        f"{spent.settlement}/lines/{key}/explanation",
        json={"text": text},
        headers=tenant.auth(Role.editor),
    )
    return response


async def step(client, spent: Spent, name: str, auth, body=None) -> httpx.Response:
    response: httpx.Response = await client.post(
        f"{spent.settlement}/{name}", json=body, headers=auth
    )
    return response


async def explain_all(client, tenant: Tenant, spent: Spent, keys=AT_FIVE) -> None:
    for key in keys:
        response = await explain(client, tenant, spent, key, f"{key}: 因渠道调整 (explained)")
        assert response.status_code == 200, response.text


async def settled(client, tenant: Tenant, spent: Spent) -> dict[str, Any]:
    await explain_all(client, tenant, spent)
    assert (await step(client, spent, "verify", spent.finance)).status_code == 200
    response = await step(client, spent, "settle", spent.finance)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def by_key(lines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {line["key"]: line for line in lines}


async def test_planned_against_actual_per_category_and_channel(client, tenant, spent: Spent):
    shown = await read(client, tenant, spent)
    assert shown["status"] == "open"
    assert shown["currency"] == "CNY"
    assert shown["threshold_percent"] == "5.00"
    categories = by_key(shown["categories"])
    assert list(categories) == [
        "labour",
        "materials",
        "promotion_media",
        "third_party_services",
        "contingency",
        "other",
    ]
    promo = categories["promotion_media"]
    assert (promo["baseline_planned"], promo["planned"], promo["actual"]) == (
        "550000.00",
        "550000.00",
        "580000.00",
    )
    assert (promo["variance"], promo["variance_percent"]) == ("30000.00", "5.45")
    assert categories["labour"]["variance_percent"] == "0.67"
    assert categories["labour"]["needs_explanation"] is False
    assert categories["materials"]["variance_percent"] == "-25.00"
    assert categories["contingency"]["variance_percent"] == "-100.00"
    other = categories["other"]
    assert (other["planned"], other["actual"], other["variance_percent"]) == (
        "0.00",
        "8000.00",
        None,
    )
    assert "Nothing was planned" in other["variance_note"]
    assert other["needs_explanation"] is True

    # The budget move shows in both plans: the baseline as approved, the current as moved.
    channels = by_key(shown["channels"])
    assert list(channels) == ["channel:offline_store", "channel:social_feed", "no_channel"]
    store, feed = channels["channel:offline_store"], channels["channel:social_feed"]
    assert (store["baseline_planned"], store["planned"], store["plan_change"]) == (
        "200000.00",
        "150000.00",
        "-50000.00",
    )
    assert (store["variance"], store["needs_explanation"]) == ("0.00", False)
    assert (feed["baseline_planned"], feed["planned"], feed["actual"]) == (
        "250000.00",
        "300000.00",
        "330000.00",
    )
    assert (feed["variance_percent"], feed["needs_explanation"]) == ("10.00", True)
    assert channels["no_channel"]["variance_percent"] == "-20.18"

    assert shown["totals"] == {
        "baseline_planned": "1000000.00",
        "planned": "1000000.00",
        "actual": "919000.00",
        "variance": "-81000.00",
        "variance_percent": "-8.10",
    }
    assert shown["missing_explanations"] == AT_FIVE
    assert shown["allowed_actions"] == ["verify"]
    assert shown["records"] == []


async def test_settling_needs_every_explanation_then_freezes_the_account(
    client, tenant, spent: Spent, session
):
    assert (await step(client, spent, "verify", spent.finance)).status_code == 200
    refused = await step(client, spent, "settle", spent.finance)
    problem = assert_problem(refused, 422, "explanations_missing")
    assert fields_of(problem) == {f"body.lines.{key}.explanation" for key in AT_FIVE}

    await explain_all(client, tenant, spent, AT_FIVE[:-1])
    still = await step(client, spent, "settle", spent.finance)
    assert fields_of(assert_problem(still, 422)) == {"body.lines.no_channel.explanation"}

    answered = await explain(client, tenant, spent, "no_channel", "应急预算未动用 (reserve unused)")
    assert answered.status_code == 200, answered.text
    line = by_key(answered.json()["channels"])["no_channel"]
    assert line["explanation"]["text"] == "应急预算未动用 (reserve unused)"
    assert line["explanation_missing"] is False

    done = await step(client, spent, "settle", spent.finance)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "settled"
    assert body["record_number"] == 1
    assert body["settled_at"]
    assert body["expenses_settled_at"]
    assert body["missing_explanations"] == []
    assert body["allowed_actions"] == ["sign_off", "reopen"]
    assert [r["number"] for r in body["records"]] == [1]

    record = await client.get(f"{spent.settlement}/records/1", headers=tenant.auth(Role.viewer))
    assert record.status_code == 200, record.text
    frozen = by_key(record.json()["statement"]["categories"])
    assert frozen["other"]["explanation"]["text"].startswith("other: 因渠道调整")
    campaign = await client.get(spent.running.base, headers=tenant.auth(Role.viewer))
    assert campaign.json()["expenses_settled_at"] == body["expenses_settled_at"]

    events = (
        await session.scalars(
            select(Event).where(
                Event.campaign_id == uuid.UUID(spent.running.id),
                Event.kind == kinds.CAMPAIGN_SETTLED,
            )
        )
    ).all()
    assert [e.data["actual"] for e in events] == ["919000.00"]
    assert events[0].data["record_number"] == 1
    assert events[0].data["planned"] == "1000000.00"

    # Settled: explanations are frozen too.
    late = await explain(client, tenant, spent, "labour", "too late")
    assert_problem(late, 409, "settlement_closed")


async def test_the_workspace_threshold_decides_which_lines_need_one(client, tenant, spent: Spent):
    policy = await client.get("/v1/settlement-policy", headers=tenant.auth(Role.viewer))
    assert policy.json() == {
        "threshold_percent": "5.00",
        "finance_role": "approver",
        "management_role": "admin",
        "is_default": True,
    }
    body = {"threshold_percent": "10"}
    assert_problem(
        await client.put("/v1/settlement-policy", json=body, headers=tenant.auth(Role.approver)),
        403,
    )
    changed = await client.put("/v1/settlement-policy", json=body, headers=tenant.auth())
    assert changed.status_code == 200, changed.text
    assert changed.json()["threshold_percent"] == "10.00"
    assert changed.json()["is_default"] is False
    shown = await read(client, tenant, spent)
    assert shown["threshold_percent"] == "10.00"
    assert shown["missing_explanations"] == AT_TEN
    feed = by_key(shown["channels"])["channel:social_feed"]
    assert (feed["variance_percent"], feed["needs_explanation"]) == ("10.00", False)

    await explain_all(client, tenant, spent, AT_TEN)
    assert (await step(client, spent, "verify", spent.finance)).status_code == 200
    assert (await step(client, spent, "settle", spent.finance)).status_code == 200

    bad = await client.put(
        "/v1/settlement-policy",
        json={"threshold_percent": "101", "finance_role": "viewer"},
        headers=tenant.auth(),
    )
    assert fields_of(assert_problem(bad, 422)) == {"body.threshold_percent"}
    viewer = await client.put(
        "/v1/settlement-policy", json={"finance_role": "viewer"}, headers=tenant.auth()
    )
    assert fields_of(assert_problem(viewer, 422)) == {"body.finance_role"}


async def test_settled_expenses_are_frozen_until_reopened_with_a_reason(
    client, tenant, spent: Spent
):
    await settled(client, tenant, spent)
    expense = spent.expenses[0]
    path = f"{spent.running.base}/expenses/{expense['id']}"
    editor = tenant.auth(Role.editor)
    new = {"category": "labour", "amount": "1000", "spent_on": "2024-06-11"}
    assert_problem(
        await client.post(f"{spent.running.base}/expenses", json=new, headers=editor),
        409,
        "expenses_settled",
    )
    assert_problem(
        await client.patch(path, json={"amount": "1.00"}, headers=editor), 409, "expenses_settled"
    )
    assert_problem(await client.delete(path, headers=editor), 409, "expenses_settled")

    no_reason = await step(client, spent, "reopen", spent.finance, {})
    assert fields_of(assert_problem(no_reason, 422)) == {"body.reason"}
    reason = "迟到的发票: a late invoice for the pop-up store rent"
    reopened = await step(client, spent, "reopen", spent.finance, {"reason": reason})
    assert reopened.status_code == 200, reopened.text
    body = reopened.json()
    assert body["status"] == "open"
    assert body["expenses_settled_at"] is None
    assert body["record_number"] is None
    [record] = body["records"]
    assert (record["number"], record["reopen_reason"]) == (1, reason)

    fixed = await client.patch(path, json={"amount": "152000.00"}, headers=editor)
    assert fixed.status_code == 200, fixed.text
    log = await client.get(
        f"{spent.running.base}/activity", params={"kind": "decision"}, headers=editor
    )
    assert any(reason in (entry["note"] or "") for entry in log.json()["items"])

    # Settling again makes record 2, from the corrected figures.
    assert (await step(client, spent, "verify", spent.finance)).status_code == 200
    again = await step(client, spent, "settle", spent.finance)
    assert again.status_code == 200, again.text
    assert again.json()["record_number"] == 2
    assert by_key(again.json()["categories"])["labour"]["actual"] == "152000.00"
    assert [r["number"] for r in again.json()["records"]] == [1, 2]


async def test_an_expense_changed_after_verification_needs_another(client, tenant, spent: Spent):
    await explain_all(client, tenant, spent)
    assert (await step(client, spent, "verify", spent.finance)).status_code == 200
    path = f"{spent.running.base}/expenses/{spent.expenses[0]['id']}"
    changed = await client.patch(
        path, json={"invoice_reference": "发票 No. 4403"}, headers=tenant.auth(Role.editor)
    )
    assert changed.json()["invoice_reference"] == "发票 No. 4403"
    assert_problem(await step(client, spent, "settle", spent.finance), 409, "verification_stale")
    assert (await step(client, spent, "verify", spent.finance)).status_code == 200
    assert (await step(client, spent, "settle", spent.finance)).status_code == 200


async def test_who_may_settle_and_sign_off(client, tenant, spent: Spent, session):
    await explain_all(client, tenant, spent)
    editor = tenant.auth(Role.editor)
    assert_problem(await step(client, spent, "verify", editor), 403, "forbidden")
    unbound = tenant.auth(Role.approver)  # the role, but no member to record it against
    assert_problem(await step(client, spent, "verify", unbound), 403, "member_required")
    assert_problem(await step(client, spent, "settle", spent.finance), 409, "not_verified")
    assert (await step(client, spent, "verify", spent.finance)).status_code == 200
    assert_problem(await step(client, spent, "settle", editor), 403)
    assert (await step(client, spent, "settle", spent.finance)).status_code == 200

    comment = {"comment": "同意结算, filed with management"}
    assert_problem(await step(client, spent, "sign-off", spent.finance, comment), 403)
    no_comment = await step(client, spent, "sign-off", spent.management, {})
    assert fields_of(assert_problem(no_comment, 422)) == {"body.comment"}
    signed = await step(client, spent, "sign-off", spent.management, comment)
    assert signed.status_code == 200, signed.text
    body = signed.json()
    assert body["status"] == "signed_off"
    assert body["signed_off_by_member_id"] == spent.management_id
    assert body["sign_off_comment"] == comment["comment"]
    assert_problem(await step(client, spent, "sign-off", spent.management, comment), 409)

    campaign = await session.get(Campaign, uuid.UUID(spent.running.id))
    at = await settlements.signed_off_at(session, campaign=campaign)
    assert at is not None
    assert at.isoformat().startswith(body["signed_off_at"][:19])

    reopened = await step(client, spent, "reopen", spent.finance, {"reason": "Late invoice"})
    assert reopened.json()["signed_off_at"] is None
    [record] = reopened.json()["records"]
    assert record["signed_off_at"] == body["signed_off_at"]  # the history keeps it
    session.expire_all()
    campaign = await session.get(Campaign, uuid.UUID(spent.running.id))
    assert await settlements.signed_off_at(session, campaign=campaign) is None


async def test_only_a_completed_campaign_is_settled(client, tenant: Tenant, team: Team):
    running = await spend(client, tenant, team, complete=False)
    assert (await read(client, tenant, running))["allowed_actions"] == []
    problem = await step(client, running, "verify", running.finance)
    assert_problem(problem, 409, "campaign_not_completed")
    assert_problem(await step(client, running, "settle", running.finance), 409)


async def test_another_workspace_sees_nothing(client, tenant, other_tenant, spent: Spent):
    theirs = other_tenant.auth()
    assert_problem(await client.get(spent.settlement, headers=theirs), 404)
    assert_problem(
        await client.put(
            f"{spent.settlement}/lines/labour/explanation", json={"text": "x"}, headers=theirs
        ),
        404,
    )
    unknown_line = await explain(client, tenant, spent, "channel:nowhere", "x")
    assert_problem(unknown_line, 404)
    assert_problem(await client.get(f"{spent.settlement}/records/1", headers=tenant.auth()), 404)


async def test_expenses_carry_invoice_and_contract_references(client, tenant, spent: Spent):
    path = f"{spent.running.base}/expenses/{spent.expenses[1]['id']}"
    set_refs = await client.patch(
        path,
        json={"invoice_reference": "发票 No. 44031234", "contract_reference": "HT-2024-031"},
        headers=tenant.auth(Role.editor),
    )
    assert set_refs.status_code == 200, set_refs.text
    shown = (await client.get(path, headers=tenant.auth(Role.viewer))).json()
    assert (shown["invoice_reference"], shown["contract_reference"]) == (
        "发票 No. 44031234",
        "HT-2024-031",
    )
    too_long = await client.patch(
        path, json={"contract_reference": "x" * 101}, headers=tenant.auth(Role.editor)
    )
    assert fields_of(assert_problem(too_long, 422)) == {"body.contract_reference"}


# --- evidence: files attached to expenses ---------------------------------------------------------

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(64))
HTML = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"


def attachments_of(spent: Spent, index: int = 0) -> str:
    return f"{spent.running.base}/expenses/{spent.expenses[index]['id']}/attachments"


async def upload(
    client, auth, path: str, body: bytes, content_type: str, **params: str
) -> httpx.Response:
    response: httpx.Response = await client.post(
        path, content=body, params=params, headers=auth | {"Content-Type": content_type}
    )
    return response


def filename_star(disposition: str) -> str:
    encoded = disposition.split("filename*=UTF-8''", 1)[1].split(";", 1)[0]
    return unquote(encoded)


async def test_a_file_round_trips_with_its_checksum_and_chinese_name(client, tenant, spent: Spent):
    path, editor = attachments_of(spent), tenant.auth(Role.editor)
    name = "发票-2024-0610 (feed).pdf"
    digest = hashlib.sha256(PDF).hexdigest()
    made = await upload(client, editor, path, PDF, "application/pdf", filename=name, sha256=digest)
    assert made.status_code == 201, made.text
    attachment = made.json()
    assert (attachment["filename"], attachment["media_type"]) == (name, "application/pdf")
    assert (attachment["size_bytes"], attachment["sha256"]) == (len(PDF), digest)
    assert made.headers["location"].endswith(attachment["id"])

    listed = await client.get(path, headers=tenant.auth(Role.viewer))
    assert [a["id"] for a in listed.json()["items"]] == [attachment["id"]]
    assert "content" not in listed.json()["items"][0]

    got = await client.get(f"{path}/{attachment['id']}/content", headers=tenant.auth(Role.viewer))
    assert got.status_code == 200
    assert got.content == PDF
    assert hashlib.sha256(got.content).hexdigest() == attachment["sha256"]
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert filename_star(disposition) == name
    expected = base64.b64encode(hashlib.sha256(PDF).digest()).decode()
    assert got.headers["repr-digest"] == f"sha-256=:{expected}:"

    damaged = await upload(
        client, editor, path, PDF, "application/pdf", filename="a.pdf", sha256="0" * 64
    )
    problem = assert_problem(damaged, 422)
    assert fields_of(problem) == {"query.sha256"}
    assert problem["errors"][0]["type"] == "checksum_mismatch"


async def test_html_is_never_served_as_a_page(client, tenant, spent: Spent):
    path, editor = attachments_of(spent), tenant.auth(Role.editor)
    as_csv = await upload(client, editor, path, HTML, "text/csv", filename="x.html")
    assert_problem(as_csv, 415, "type_mismatch")
    as_html = await upload(client, editor, path, HTML, "text/html", filename="x.html")
    assert_problem(as_html, 415, "unsupported_media_type")
    # A real PDF named x.html is kept, and served as a PDF to save, not a page to render.
    kept = await upload(client, editor, path, PDF, "application/pdf", filename="x.html")
    assert kept.status_code == 201, kept.text
    got = await client.get(f"{path}/{kept.json()['id']}/content", headers=editor)
    assert got.headers["content-type"] == "application/pdf"
    assert "html" not in got.headers["content-type"]
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"


async def test_types_sizes_and_names_are_checked(client, tenant, spent: Spent):
    path, editor = attachments_of(spent), tenant.auth(Role.editor)
    mismatch = await upload(client, editor, path, PNG, "application/pdf", filename="scan.pdf")
    assert "look like image/png" in assert_problem(mismatch, 415, "type_mismatch")["detail"]
    zip_file = await upload(
        client, editor, path, b"PK\x03\x04rest", "application/zip", filename="a"
    )
    assert_problem(zip_file, 415, "unsupported_media_type")
    too_big = await upload(
        client,
        editor,
        path,
        b"%PDF-" + b"0" * MAX_ATTACHMENT_BYTES,
        "application/pdf",
        filename="big.pdf",
    )
    assert_problem(too_big, 413, "payload_too_large")
    nameless = await upload(client, editor, path, PDF, "application/pdf")
    assert fields_of(assert_problem(nameless, 422)) == {"query.filename"}
    a_path = await upload(client, editor, path, PDF, "application/pdf", filename="../x.pdf")
    assert fields_of(assert_problem(a_path, 422)) == {"query.filename"}
    empty = await upload(client, editor, path, b"", "application/pdf", filename="empty.pdf")
    assert_problem(empty, 422)
    png = await upload(client, editor, path, PNG, "image/png", filename="小票.png")
    assert png.status_code == 201, png.text
    assert_problem(
        await upload(client, tenant.auth(Role.viewer), path, PNG, "image/png", filename="v.png"),
        403,
    )
    listed = await client.get(path, headers=editor)
    assert [a["filename"] for a in listed.json()["items"]] == ["小票.png"]


async def test_another_workspace_gets_404_for_expenses_and_files(
    client, tenant, other_tenant, spent: Spent
):
    path = attachments_of(spent)
    made = await upload(client, tenant.auth(), path, PDF, "application/pdf", filename="a.pdf")
    one = f"{path}/{made.json()['id']}"
    theirs = other_tenant.auth()
    assert_problem(await client.get(path, headers=theirs), 404)
    assert_problem(await client.get(one, headers=theirs), 404)
    assert_problem(await client.get(f"{one}/content", headers=theirs), 404)
    assert_problem(await client.delete(one, headers=theirs), 404)
    assert_problem(
        await upload(client, theirs, path, PDF, "application/pdf", filename="b.pdf"), 404
    )
    # Another expense's attachment path is no way in either.
    elsewhere = f"{attachments_of(spent, 1)}/{made.json()['id']}"
    assert_problem(await client.get(elsewhere, headers=tenant.auth()), 404)
    unknown = f"{spent.running.base}/expenses/{uuid.uuid4()}/attachments"
    assert_problem(await client.get(unknown, headers=tenant.auth()), 404)
    assert (await client.get(one, headers=tenant.auth())).status_code == 200


async def test_files_are_removed_before_settlement_only(client, tenant, spent: Spent):
    path, editor = attachments_of(spent), tenant.auth(Role.editor)
    first = (await upload(client, editor, path, PDF, "application/pdf", filename="a.pdf")).json()
    second = (await upload(client, editor, path, PNG, "image/png", filename="b.png")).json()
    stale = await client.delete(f"{path}/{first['id']}", headers=editor | {"If-Match": '"9"'})
    assert_problem(stale, 412)
    assert (await client.delete(f"{path}/{first['id']}", headers=editor)).status_code == 204
    assert_problem(await client.get(f"{path}/{first['id']}/content", headers=editor), 404)

    await settled(client, tenant, spent)
    assert_problem(
        await client.delete(f"{path}/{second['id']}", headers=editor), 409, "expenses_settled"
    )
    late = await upload(client, editor, path, PDF, "application/pdf", filename="c.pdf")
    assert_problem(late, 409, "expenses_settled")
    still = await client.get(f"{path}/{second['id']}/content", headers=editor)
    assert still.content == PNG
