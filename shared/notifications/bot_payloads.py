"""What the chat bots receive, documented in the OpenAPI document's `webhooks` section.

The examples are rendered by the code that sends (`bots`), from one alert and one daily
report, with a sample secret and a fixed time: the documentation shows the bytes sent.
"""

from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from shared.notifications import bots, messages

_AT = datetime(2024, 6, 10, 9, 0, 12, tzinfo=UTC)
_SAMPLE_SECRET = "mEsoNSxQ8gq2EJm9tWTwkd"  # noqa: S105 - a made-up secret for the example
_ALERT: dict[str, Any] = {
    "subject_type": "alert",
    "subject_id": "01a2010c-c015-761b-9bc5-6ac427b850e0",
    "campaign_name": "618 大促",
    "link": "https://campaignops.example.com/v1/alerts/01a2010c-c015-761b-9bc5-6ac427b850e0",
    "severity": "critical",
    "status": "firing",
    "channel": "social_feed",
    "message": "negative_comments today is 51, above 50",
    "value": "51",
    "threshold": "50",
}
_REPORT: dict[str, Any] = {
    "subject_type": "campaign",
    "campaign_name": "618 大促",
    "link": "https://campaignops.example.com/v1/campaigns/01a2010c-3bd9-7716-be78-ba040ba1a6e8",
    "title": "【日报】618 大促 2024-06-10",
    "text": "**【日报】618 大促 2024-06-10**\n\n"
    "| 渠道 | 曝光量 | 点击率 | 转化率 | 新增用户 | 销售额 | 备注 |\n"
    "|---|---|---|---|---|---|---|\n"
    "| 社交信息流 | 50,000 | 2.1% | 3.5% | 175 | 35,000 | |\n"
    "| 线下门店 | 2,000 | - | 8.0% | 160 | 32,000 | 客流低于预期 20% |",
}


def _example(body: bytes) -> dict[str, Any]:
    document: dict[str, Any] = orjson.loads(body)
    return document


_ALERT_ZH = messages.message("alert.fired", _ALERT, language="zh")
_REPORT_ZH = messages.message("report.daily", _REPORT, language="zh")


class FeishuText(BaseModel):
    tag: Literal["plain_text"]
    content: str = Field(description="The title: the event and its subject")


class FeishuHeader(BaseModel):
    title: FeishuText
    template: Literal["red", "orange", "blue"] = Field(
        description="The header's colour: red critical, orange warning, blue otherwise"
    )


class FeishuMarkdown(BaseModel):
    tag: Literal["markdown"]
    content: str = Field(description="The facts, the text and a link, in Feishu's markdown")


class FeishuCard(BaseModel):
    header: FeishuHeader
    elements: list[FeishuMarkdown] = Field(min_length=1, max_length=1)


class DingTalkMarkdown(BaseModel):
    title: str = Field(description="What the chat list previews")
    text: str = Field(description="The message in DingTalk's markdown, its title as a heading")


class WeComMarkdown(BaseModel):
    content: str = Field(
        description="The message in WeCom's markdown (at most 4096 bytes), its title coloured "
        'by severity (`<font color="warning">`)'
    )


class FeishuMessage(BaseModel):
    """The `feishu` format: an `interactive` card to a Feishu (Lark) custom bot. With a
    `bot_secret` the body also carries `timestamp` (Unix seconds, as a string) and `sign` =
    base64(HMAC-SHA256 keyed by `"<timestamp>\\n<secret>"` over an empty message). Success
    is an answer `{"code": 0}`; any other code, even with HTTP 200, is a failed attempt
    (11232, rate limited: the next try waits a minute or more)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _example(bots.feishu_body(_ALERT_ZH, secret=_SAMPLE_SECRET, now=_AT)),
                _example(bots.feishu_body(_REPORT_ZH, secret="", now=_AT)),
            ]
        }
    )

    timestamp: str | None = Field(default=None, description="With a bot_secret: Unix seconds")
    sign: str | None = Field(default=None, description="With a bot_secret: the signature")
    msg_type: Literal["interactive"]
    card: FeishuCard = Field(
        description="`header` (the title, coloured by severity) and one `markdown` element"
    )


class DingTalkMessage(BaseModel):
    """The `dingtalk` format: a `markdown` message to a DingTalk custom robot. With a
    `bot_secret` the URL gains `&timestamp=<Unix ms>&sign=<URL-encoded base64(HMAC-SHA256
    keyed by the secret over "<timestamp>\\n<secret>")>`. Success is `{"errcode": 0}`;
    130101 (over 20 messages a minute) waits 10 minutes or more before the next try."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _example(bots.dingtalk_body(_ALERT_ZH)),
                _example(bots.dingtalk_body(_REPORT_ZH)),
            ]
        }
    )

    msgtype: Literal["markdown"]
    markdown: DingTalkMarkdown


class WeComMessage(BaseModel):
    """The `wecom` format: a `markdown` message to a WeCom group bot, unsigned (the `key` in
    its URL is the credential), its content at most 4096 bytes. Success is
    `{"errcode": 0}`; 45009 (over 20 messages a minute) waits a minute or more."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _example(bots.wecom_body(_ALERT_ZH)),
                _example(bots.wecom_body(_REPORT_ZH)),
            ]
        }
    )

    msgtype: Literal["markdown"]
    markdown: WeComMarkdown
