# ruff: noqa: RUF001 - the messages are written with Chinese full-width punctuation
"""What each chat format shows (slack, feishu, dingtalk, wecom): one message, four dialects,
each within its service's size limit; and how the bots' addresses and answers are read."""

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from shared.integrations import signing
from shared.notifications import bots, formats, messages
from shared.notifications.messages import Dialect
from shared.notifications.models import EndpointFormat, NotificationEndpoint

AT = datetime(2024, 6, 10, 9, 0, 12, tzinfo=UTC)
LINK = "https://campaignops.example.com/v1/alerts/01a2010c-c015-761b-9bc5-6ac427b850e0"
ALERT: dict[str, Any] = {
    "subject_type": "alert",
    "subject_id": "01a2010c-c015-761b-9bc5-6ac427b850e0",
    "campaign_name": "618 大促",
    "link": LINK,
    "severity": "critical",
    "status": "firing",
    "channel": "social_feed",
    "message": "negative_comments today is 51, above 50",
    "value": "51",
    "threshold": "50",
}
REPORT: dict[str, Any] = {
    "subject_type": "campaign",
    "campaign_name": "618 大促",
    "link": "https://campaignops.example.com/v1/campaigns/01a2010c-3bd9-7716-be78-ba040ba1a6e8",
    "title": "【日报】618 大促 2024-06-10",
    "text": "**【日报】618 大促 2024-06-10**\n\n"
    "## 渠道\n"
    "| 渠道 | 曝光量 | 点击率 | 备注 |\n"
    "|---|---:|---|---|\n"
    "| 社交信息流 | 50,000 | 2.1% | |\n"
    "| 线下门店 | 2,000 | - | 客流低于预期 20% |\n\n"
    "完成率 **90%**，详见 [目标进度](https://campaignops.example.com/v1/goals)",
}


def endpoint(format: EndpointFormat, secret: str = "") -> NotificationEndpoint:
    if format not in (EndpointFormat.feishu, EndpointFormat.dingtalk, EndpointFormat.wecom):
        secret = signing.new_secret()
    return NotificationEndpoint(
        format=format, url="https://chat.example.com/", secret=secret, routing_key=None
    )


def sent(format: EndpointFormat, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The JSON body as it goes out."""
    out = formats.outgoing(
        endpoint(format), kind=kind, payload=payload, webhook_id="msg_1", created_at=AT, now=AT
    )
    body: dict[str, Any] = orjson.loads(out.body)
    return body


def test_an_alert_reads_the_same_in_every_chat_format():
    slack = sent(EndpointFormat.slack, "alert.fired", ALERT)
    assert (
        slack["text"]
        == "[critical] Alert firing: negative_comments today is 51, above 50 (618 大促)"
    )
    fields = [f["text"] for f in slack["blocks"][1]["fields"]]
    assert fields[:3] == ["*Severity*\ncritical", "*Campaign*\n618 大促", "*Channel*\nsocial_feed"]
    assert "*Value*\n51" in fields
    assert "*Threshold*\n50" in fields
    assert slack["blocks"][-1]["elements"][0]["text"] == f"<{LINK}|Open in campaignops>"

    title = "【严重】告警触发：negative_comments today is 51, above 50（618 大促）"
    feishu = sent(EndpointFormat.feishu, "alert.fired", ALERT)
    assert feishu["msg_type"] == "interactive"
    assert "sign" not in feishu  # no bot secret, no signature
    assert feishu["card"]["header"]["title"]["content"] == title
    assert feishu["card"]["header"]["template"] == "red"
    [element] = feishu["card"]["elements"]
    assert element["tag"] == "markdown"
    assert element["content"].split("\n") == [
        "**活动**：618 大促",
        "**渠道**：social_feed",
        "**当前值**：51",
        "**阈值**：50",
        "**状态**：firing",
        f"[在 campaignops 中查看]({LINK})",
    ]

    dingtalk = sent(EndpointFormat.dingtalk, "alert.fired", ALERT)
    assert dingtalk["msgtype"] == "markdown"
    assert dingtalk["markdown"]["title"] == title  # what the chat list previews
    text = dingtalk["markdown"]["text"]
    assert text.startswith(f"#### {title}\n\n**活动**：618 大促\n\n")  # DingTalk needs blank lines
    assert text.endswith(f"[在 campaignops 中查看]({LINK})")

    wecom = sent(EndpointFormat.wecom, "alert.fired", ALERT)
    content = wecom["markdown"]["content"]
    assert content.startswith(f'### <font color="warning">{title}</font>\n**活动**：618 大促\n')
    assert "**当前值**：51\n**阈值**：50" in content


def test_a_report_shows_its_own_title_and_markdown_in_each_dialect():
    rows = [
        "- **社交信息流** · 曝光量: 50,000 · 点击率: 2.1%",
        "- **线下门店** · 曝光量: 2,000 · 点击率: - · 备注: 客流低于预期 20%",
    ]
    feishu = sent(EndpointFormat.feishu, "report.daily", REPORT)
    assert feishu["card"]["header"]["title"]["content"] == "【日报】618 大促 2024-06-10"
    assert feishu["card"]["header"]["template"] == "blue"
    content = feishu["card"]["elements"][0]["content"]
    # The title line is not repeated; headings become bold (Feishu cards have none);
    # the table becomes one line per channel.
    assert content.split("\n")[:3] == ["**渠道**", *rows]
    assert "完成率 **90%**，详见 [目标进度](https://campaignops.example.com/v1/goals)" in content
    assert content.endswith(f"[在 campaignops 中查看]({REPORT['link']})")
    assert "|" not in content
    assert "【日报】618 大促 2024-06-10" not in content

    dingtalk = sent(EndpointFormat.dingtalk, "report.daily", REPORT)["markdown"]
    assert dingtalk["title"] == "【日报】618 大促 2024-06-10"
    assert dingtalk["text"].split("\n\n")[:4] == [
        "#### 【日报】618 大促 2024-06-10",
        "## 渠道",
        *rows,
    ]

    wecom = sent(EndpointFormat.wecom, "report.daily", REPORT)["markdown"]["content"]
    assert wecom.split("\n")[:4] == ["### 【日报】618 大促 2024-06-10", "## 渠道", *rows]

    slack = sent(EndpointFormat.slack, "report.daily", REPORT)
    assert slack["text"] == "【日报】618 大促 2024-06-10"
    body = slack["blocks"][1]["text"]["text"]
    assert body.split("\n")[:3] == [
        "*渠道*",
        "- *社交信息流* · 曝光量: 50,000 · 点击率: 2.1%",
        "- *线下门店* · 曝光量: 2,000 · 点击率: - · 备注: 客流低于预期 20%",
    ]
    assert "完成率 *90%*，详见 <https://campaignops.example.com/v1/goals|目标进度>" in body


def test_an_escalation_of_several_alerts_lists_them():
    group = {
        "subject_type": "campaign",
        "subject_id": "01a2010c-3bd9-7716-be78-ba040ba1a6e8",
        "campaign_name": "618 大促",
        "severity": "critical",
        "message": "2 alerts: a; b",
        "escalation_level": 2,
        "alerts": [
            {"severity": "critical", "message": "no data from offline_store", "value": None},
            {"severity": "warning", "message": "CTR 20% under target", "value": "0.012",
             "threshold": "0.015"},
        ],
    }  # fmt: skip
    wecom = sent(EndpointFormat.wecom, "alert.escalated", group)["markdown"]["content"]
    assert "告警升级：2 alerts: a; b（618 大促）" in wecom
    assert "**升级级别**：2" in wecom
    assert "- 【严重】no data from offline_store\n" in wecom
    assert "- 【警告】CTR 20% under target（当前值 0.012 / 阈值 0.015）" in wecom
    # Without a link in the payload, the subject's address under PUBLIC_BASE_URL.
    assert "/v1/campaigns/01a2010c-3bd9-7716-be78-ba040ba1a6e8)" in wecom


@pytest.mark.parametrize("cut", range(0, 40))
def test_truncation_never_splits_a_character(cut):
    text = "日报 a😀b\n告警" * 4
    kept = messages.truncate_utf8(text, cut)
    assert len(kept.encode()) <= cut
    assert kept == "" or kept.endswith("…") or kept == text
    assert text.startswith(kept.removesuffix("…").rstrip())
    line = "日报a😀b告警" * 2  # no line to end on: every whole character that fits is kept
    fits = ""
    for character in line:
        if len((fits + character + "…").encode()) > cut:
            break
        fits += character
    expected = line if len(line.encode()) <= cut else (fits + "…" if cut > 3 else "")
    assert messages.truncate_utf8(line, cut) == expected


def test_long_messages_stay_within_each_service_limit():
    rows = "\n".join(
        f'| 渠道{i} | {i * 1000:,} | 客流低于预期，需要关注 "{i}" |' for i in range(2000)
    )
    report = REPORT | {"text": "| 渠道 | 曝光量 | 备注 |\n|---|---|---|\n" + rows}
    link_line = f"[在 campaignops 中查看]({REPORT['link']})"
    for format, limit, text_of in (
        (
            EndpointFormat.feishu,
            bots.FEISHU_MAX_BYTES,
            lambda d: d["card"]["elements"][0]["content"],
        ),
        (EndpointFormat.dingtalk, bots.DINGTALK_MAX_BYTES, lambda d: d["markdown"]["text"]),
    ):
        body = formats.outgoing(
            endpoint(format, secret="s3cret-s3cret"),
            kind="report.daily",
            payload=report,
            webhook_id="msg_1",
            created_at=AT,
            now=AT,
        ).body
        assert limit - 200 < len(body) <= limit, format  # cut close to the limit, not far below
        text = text_of(orjson.loads(body))  # whole characters only, or this would not decode
        assert "…" in text
        assert text.endswith(link_line)  # the link survives the cut
    content = sent(EndpointFormat.wecom, "report.daily", report)["markdown"]["content"]
    assert 4000 < len(content.encode()) <= bots.WECOM_MAX_BYTES
    assert content.endswith(f"…\n{link_line}")
    slack = sent(EndpointFormat.slack, "report.daily", report)
    assert len(slack["blocks"][1]["text"]["text"]) <= formats.SLACK_SECTION_CHARS


def test_table_dialects_leave_other_markdown_alone():
    assert messages.dialect("> 注意 **库存**", Dialect.feishu) == "注意 **库存**"
    assert messages.dialect("> a < b & c", Dialect.slack) == "> a &lt; b &amp; c"
    assert messages.dialect("a | b, not a table", Dialect.wecom) == "a | b, not a table"


@pytest.mark.parametrize(
    ("format", "url"),
    [
        (EndpointFormat.feishu, "https://open.feishu.cn/open-apis/bot/v2/hook/5e3d587e-d78e-4a07"),
        (EndpointFormat.feishu, "https://open.larksuite.com/open-apis/bot/v2/hook/abc123"),
        (EndpointFormat.dingtalk, "https://oapi.dingtalk.com/robot/send?access_token=8d1f0e3c"),
        (EndpointFormat.wecom, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a-91f6"),
    ],
)
def test_bot_addresses_of_the_services_are_accepted(format, url):
    assert bots.url_problem(format, url, host_vouched=False) is None


FEISHU_HOOK = "https://open.feishu.cn/open-apis/bot/v2/hook/"
DINGTALK_SEND = "https://oapi.dingtalk.com/robot/send"
WECOM_SEND = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"


@pytest.mark.parametrize(
    ("format", "url", "says"),
    [
        (EndpointFormat.feishu, "https://open.feishu.cn.evil.example/open-apis/bot/v2/hook/a",
         "open.feishu.cn"),
        (EndpointFormat.feishu, FEISHU_HOOK.replace("https", "http") + "abc", "https://"),
        (EndpointFormat.feishu, FEISHU_HOOK, "<token>"),
        (EndpointFormat.feishu, FEISHU_HOOK + "a?x=1", "<token>"),
        (EndpointFormat.dingtalk, DINGTALK_SEND, "access_token"),
        (EndpointFormat.dingtalk, DINGTALK_SEND + "?access_token=a&timestamp=1&sign=x",
         "timestamp"),
        (EndpointFormat.dingtalk, WECOM_SEND + "?key=a", "oapi.dingtalk.com"),
        (EndpointFormat.wecom, WECOM_SEND + "?key=", "key="),
        (EndpointFormat.wecom, WECOM_SEND + "?key=a#b", "key="),
    ],
)  # fmt: skip
def test_other_addresses_are_refused_saying_what_is_expected(format, url, says):
    problem = bots.url_problem(format, url, host_vouched=False)
    assert problem is not None
    assert says in problem


def test_a_vouched_host_still_needs_the_services_path():
    url = "http://10.20.0.5:8080/open-apis/bot/v2/hook/abc"
    assert bots.url_problem(EndpointFormat.feishu, url, host_vouched=True) is None
    wrong = "http://10.20.0.5:8080/hook/abc"
    assert bots.url_problem(EndpointFormat.feishu, wrong, host_vouched=True) is not None


@pytest.mark.parametrize(
    ("format", "answer", "ok", "error", "throttle"),
    [
        (EndpointFormat.feishu, {"code": 0, "msg": "success", "data": {}}, True, None, None),
        (EndpointFormat.feishu, {"Extra": None, "StatusCode": 0, "StatusMessage": "success"}, True,
         None, None),
        (EndpointFormat.feishu, {"code": 19021, "msg": "sign match fail"}, False,
         "feishu code 19021: sign match fail", None),
        (EndpointFormat.feishu, {"code": 11232, "msg": "frequency limited"}, False,
         "feishu code 11232: frequency limited", timedelta(minutes=1)),
        (EndpointFormat.dingtalk, {"errcode": 0, "errmsg": "ok"}, True, None, None),
        (EndpointFormat.dingtalk, {"errcode": 310000, "errmsg": "sign not match"}, False,
         "dingtalk errcode 310000: sign not match", None),
        (EndpointFormat.dingtalk, {"errcode": 130101, "errmsg": "send too fast"}, False,
         "dingtalk errcode 130101: send too fast", timedelta(minutes=10)),
        (EndpointFormat.wecom, {"errcode": 45009, "errmsg": "api freq out of limit"}, False,
         "wecom errcode 45009: api freq out of limit", timedelta(minutes=1)),
        (EndpointFormat.wecom, {"errmsg": "ok"}, False, "wecom answered without a result code",
         None),
        (EndpointFormat.wecom, {"errcode": False}, False, "wecom answered without a result code",
         None),
    ],
)  # fmt: skip
def test_bot_answers_succeed_only_with_a_zero_code(format, answer, ok, error, throttle):
    verdict = bots.judge(format, orjson.dumps(answer))
    assert (verdict.ok, verdict.error, verdict.throttle) == (ok, error, throttle)


def test_an_answer_that_is_not_json_is_a_failure():
    verdict = bots.judge(EndpointFormat.dingtalk, b"<html>502 Bad Gateway</html>")
    assert (verdict.ok, verdict.error) == (False, "dingtalk answered without a JSON object")


def test_chat_bots_carry_no_standard_webhooks_signature():
    out = formats.outgoing(
        endpoint(EndpointFormat.dingtalk, secret="SECabcdefabcdef0123"),
        kind="alert.fired",
        payload=ALERT,
        webhook_id="msg_1",
        created_at=AT,
        now=AT,
    )
    assert set(out.headers) == {"content-type", "user-agent", "webhook-id"}
    assert out.url.startswith("https://chat.example.com/?timestamp=1718010012000&sign=")


def test_a_message_without_a_link_points_at_its_subject():
    base = messages.subject_link("campaign", "c1")
    assert base is not None
    base = base.removesuffix("/v1/campaigns/c1")
    change = {"subject_type": "change_request", "subject_id": "r1", "campaign_id": "c1"}
    assert messages.message("change_request.applied", change).link == (
        f"{base}/v1/campaigns/c1/change-requests/r1"
    )
    report = {"subject_type": "report", "subject_id": "run1", "title": "日报", "text": "-"}
    assert messages.message("report.daily", report).link == f"{base}/v1/reports/run1"
    assert messages.message("test", {"subject_type": "notification_endpoint"}).link is None
