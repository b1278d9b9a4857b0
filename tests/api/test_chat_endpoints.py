"""Chat bot endpoints (feishu, dingtalk, wecom) through /v1/notification-endpoints: their
addresses, the bot's signing secret (kept, never shown back) and how it is replaced."""

import httpx
import pytest

from tests.helpers import Tenant, assert_problem, fields_of

URL = "/v1/notification-endpoints"
# 127.0.0.0/8 is allowlisted in the tests: a local host stands in for the services' hosts.
FEISHU = "http://127.0.0.1:9/open-apis/bot/v2/hook/5e3d587e-d78e-4a07-bd07-265f269f86fd"
DINGTALK = "http://127.0.0.1:9/robot/send?access_token=8d1f0e3c2b4a5968"
WECOM = "http://127.0.0.1:9/cgi-bin/webhook/send?key=693a91f6-7a0c-4bc4-97a0"
FEISHU_SECRET = "mEsoNSxQ8gq2EJm9tWTwkd"


async def create(client: httpx.AsyncClient, tenant: Tenant, **body: object) -> httpx.Response:
    return await client.post(URL, json={"name": "618 group", **body}, headers=tenant.auth())


async def test_a_bots_secret_is_kept_but_never_shown_back(client, tenant: Tenant):
    created = await create(
        client, tenant, url=FEISHU, format="feishu", bot_secret=f"  {FEISHU_SECRET} "
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"] is None  # no Standard Webhooks secret: the bot signs with its own
    assert body["bot_secret_hint"] == "...Twkd"
    shown = await client.get(f"{URL}/{body['id']}", headers=tenant.auth())
    assert shown.json()["bot_secret_hint"] == "...Twkd"
    listed = await client.get(URL, headers=tenant.auth())
    for response in (created, shown, listed):
        assert FEISHU_SECRET not in response.text

    unsigned = (await create(client, tenant, url=WECOM, format="wecom")).json()
    assert (unsigned["secret"], unsigned["bot_secret_hint"]) == (None, None)
    webhook = (await create(client, tenant, url="http://127.0.0.1:9/hook")).json()
    assert webhook["secret"].startswith("whsec_")
    assert webhook["bot_secret_hint"] is None


async def test_the_bots_secret_is_replaced_by_patch_not_rotated(client, tenant: Tenant):
    endpoint = (
        await create(client, tenant, url=DINGTALK, format="dingtalk", bot_secret="SEC" + "a" * 64)
    ).json()
    rotated = await client.post(f"{URL}/{endpoint['id']}/rotate-secret", headers=tenant.auth())
    assert (
        "bot's security settings"
        in assert_problem(rotated, 409, "bot_secret_from_bot_settings")["detail"]
    )

    replaced = await client.patch(
        f"{URL}/{endpoint['id']}", json={"bot_secret": "SEC" + "b" * 60 + "c9d8"},
        headers=tenant.auth(),
    )  # fmt: skip
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["bot_secret_hint"] == "...c9d8"
    assert replaced.json()["secret_rotated_at"] is not None
    assert replaced.json()["version"] == endpoint["version"] + 1

    unsigned = await client.patch(
        f"{URL}/{endpoint['id']}", json={"bot_secret": None}, headers=tenant.auth()
    )
    assert unsigned.json()["bot_secret_hint"] is None  # signing (加签) turned off


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"url": "https://8.8.8.8/open-apis/bot/v2/hook/abc", "format": "feishu"},
         "https://open.feishu.cn/open-apis/bot/v2/hook/<token>"),
        ({"url": "http://127.0.0.1:9/hooks/feishu", "format": "feishu"}, "<token>"),
        ({"url": DINGTALK + "&timestamp=1718010012000&sign=abc", "format": "dingtalk"},
         "campaignops signs every request"),
        ({"url": "http://127.0.0.1:9/robot/send", "format": "dingtalk"}, "access_token=<token>"),
        ({"url": DINGTALK, "format": "wecom"}, "key=<key>"),
    ],
)  # fmt: skip
async def test_a_bot_url_must_be_its_services_webhook_address(client, tenant: Tenant, body, says):
    problem = assert_problem(await create(client, tenant, **body), 422)
    assert fields_of(problem) == {"body.url"}
    assert says in problem["errors"][0]["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": WECOM, "format": "wecom", "bot_secret": "a-wecom-secret"}, "body.bot_secret"),
        ({"url": "http://127.0.0.1:9/hook", "bot_secret": "a-webhook-secret"}, "body.bot_secret"),
        ({"url": FEISHU, "format": "feishu", "bot_secret": "short"}, "body.bot_secret"),
        ({"url": FEISHU, "format": "feishu", "bot_secret": "with a space"}, "body.bot_secret"),
        ({"url": FEISHU, "format": "feishu", "bot_secret": "x" * 101}, "body.bot_secret"),
    ],
)
async def test_a_bot_secret_only_where_the_service_signs(client, tenant: Tenant, body, field):
    assert fields_of(assert_problem(await create(client, tenant, **body), 422)) == {field}


async def test_a_bot_stays_a_bot(client, tenant: Tenant):
    bot = (
        await create(client, tenant, url=FEISHU, format="feishu", bot_secret=FEISHU_SECRET)
    ).json()
    hook = (await create(client, tenant, url="http://127.0.0.1:9/hook")).json()
    for endpoint, change in (
        (bot, {"format": "webhook"}),
        (hook, {"format": "feishu", "url": FEISHU}),
    ):
        refused = await client.patch(f"{URL}/{endpoint['id']}", json=change, headers=tenant.auth())
        assert fields_of(assert_problem(refused, 422)) == {"body.format"}

    # Another bot service: the address must be that service's, and the old bot's secret
    # means nothing to the new one.
    wrong = await client.patch(
        f"{URL}/{bot['id']}", json={"format": "dingtalk"}, headers=tenant.auth()
    )
    assert fields_of(assert_problem(wrong, 422)) == {"body.url"}
    moved = await client.patch(
        f"{URL}/{bot['id']}", json={"format": "dingtalk", "url": DINGTALK}, headers=tenant.auth()
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["format"], moved.json()["bot_secret_hint"]) == ("dingtalk", None)
