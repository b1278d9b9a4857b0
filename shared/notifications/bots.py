"""The chat bots the manuals' teams use: Feishu (飞书) and DingTalk (钉钉) custom bots and
WeCom (企业微信) group bots. Their webhook addresses, their own signing, their JSON, and
how to read their answers.

- Feishu: POST https://open.feishu.cn/open-apis/bot/v2/hook/<token> (Lark:
  open.larksuite.com). With signature verification on, the body carries `timestamp`
  (seconds, as a string) and `sign` = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}",
  message=b"")); Feishu accepts a timestamp within an hour. We send an `interactive` card
  (a header and a markdown element). Requests are at most 20 KB; 100 a minute, 5 a second
  per bot. The answer is HTTP 200 whatever happened: `{"code": 0, ...}` is success (older
  answers say `StatusCode`), anything else is an error (19021: bad signature; 19024: a
  keyword missing; 9499: bad request; 11232: rate limited).
- DingTalk: POST https://oapi.dingtalk.com/robot/send?access_token=<token>. With 加签 the
  URL also carries `timestamp` (milliseconds) and `sign` = urlencoded
  base64(HMAC-SHA256(key=secret, message=f"{timestamp}\\n{secret}")). We send `markdown`
  (title and text). 20 messages a minute per robot; past that it refuses for 10 minutes
  (errcode 130101). Success is `{"errcode": 0}`; 310000 is a failed security check.
- WeCom: POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=<key>; no signing (the
  key is the credential). We send `markdown` (content at most 4096 bytes). 20 messages a
  minute per bot (errcode 45009 past that); success is `{"errcode": 0}`.
"""

import base64
import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlsplit

import orjson

from shared.notifications.messages import COLON, Dialect, Message, dialect, truncate_utf8
from shared.notifications.models import EndpointFormat

FEISHU_MAX_BYTES = 20_000  # a request body, in all (Feishu: 20 KB)
WECOM_MAX_BYTES = 4_096  # markdown.content (WeCom)
# DingTalk publishes no size for its webhook robots; its bot API takes 15,000 bytes of
# message parameters, which is the budget kept here for the whole body.
DINGTALK_MAX_BYTES = 15_000

# Answers that mean "too many messages, later": the next try waits at least this long.
THROTTLES: dict[EndpointFormat, dict[int, timedelta]] = {
    EndpointFormat.feishu: {11232: timedelta(minutes=1)},
    EndpointFormat.dingtalk: {130101: timedelta(minutes=10)},
    EndpointFormat.wecom: {45009: timedelta(minutes=1)},
}
FEISHU_TEMPLATES = {"critical": "red", "warning": "orange", "info": "blue"}
WECOM_COLOURS = {"critical": "warning", "warning": "warning", "info": "info"}


# --- addresses --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    hosts: tuple[str, ...]
    path: re.Pattern[str]
    query_key: str | None  # the one query parameter, which holds the bot's token
    example: str


_BOT_ID = r"[A-Za-z0-9_-]{1,200}"  # what the services issue as tokens and keys
SHAPES = {
    EndpointFormat.feishu: Shape(
        ("open.feishu.cn", "open.larksuite.com"),
        re.compile(rf"/open-apis/bot/v2/hook/{_BOT_ID}"),
        None,
        "https://open.feishu.cn/open-apis/bot/v2/hook/<token>",
    ),
    EndpointFormat.dingtalk: Shape(
        ("oapi.dingtalk.com",),
        re.compile(r"/robot/send"),
        "access_token",
        "https://oapi.dingtalk.com/robot/send?access_token=<token>",
    ),
    EndpointFormat.wecom: Shape(
        ("qyapi.weixin.qq.com",),
        re.compile(r"/cgi-bin/webhook/send"),
        "key",
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=<key>",
    ),
}


def url_problem(format: EndpointFormat, url: str, *, host_vouched: bool) -> str | None:
    """Why `url` is not a `format` bot's webhook address, or None when it is.

    `host_vouched`: the host lies inside NOTIFY_ALLOWED_NETWORKS (a private deployment, a
    relay, a test receiver), so any host passes there; the path and query must still be
    the service's, as they are what the service reads.
    """
    shape = SHAPES[format]
    expected = f"A {format.value} endpoint's URL is the bot's webhook address: {shape.example}."
    parts = urlsplit(url)
    if not host_vouched and (parts.scheme != "https" or parts.hostname not in shape.hosts):
        return expected
    if not shape.path.fullmatch(parts.path) or parts.fragment:
        return expected
    query = parse_qs(parts.query, keep_blank_values=True)
    if format == EndpointFormat.dingtalk and ({"timestamp", "sign"} & set(query)):
        return "Leave `timestamp` and `sign` out of the URL: campaignops signs every request."
    wanted = {shape.query_key} if shape.query_key else set()
    if set(query) != wanted or any(
        len(v) != 1 or not re.fullmatch(_BOT_ID, v[0]) for v in query.values()
    ):
        return expected
    return None


# --- signing ----------------------------------------------------------------------------------


def feishu_sign(secret: str, timestamp: int) -> str:
    """Feishu's signature: the key is "<timestamp>\\n<secret>" and the message empty."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature (before URL encoding): the secret signs "<timestamp>\\n<secret>"."""
    message = f"{timestamp_ms}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def signed_url(format: EndpointFormat, url: str, secret: str, now: datetime) -> str:
    """The address to call now: DingTalk's carries the signature; the others' are as given."""
    if format != EndpointFormat.dingtalk or not secret:
        return url
    timestamp = int(now.timestamp() * 1000)
    joiner = "&" if urlsplit(url).query else "?"
    signature = quote_plus(dingtalk_sign(secret, timestamp))
    return f"{url}{joiner}timestamp={timestamp}&sign={signature}"


# --- bodies -----------------------------------------------------------------------------------


def _parts(
    message: Message, to: Dialect, *, heading: str | None
) -> tuple[list[str], str, list[str]]:
    """(what comes first, the body that may be cut, the link that always stays)."""
    head = [heading] if heading else []
    head += [f"**{label}**{COLON}{value}" for label, value in message.facts]
    body = dialect(message.body, to) if message.body.strip() else ""
    tail = [f"[{message.link_text}]({message.link})" if message.link else "campaignops"]
    return head, body, tail


def _join(to: Dialect, head: list[str], body: str, tail: list[str]) -> str:
    separator = "\n\n" if to == Dialect.dingtalk else "\n"
    return separator.join([*head, *([body] if body else []), *tail])


def _fit(size: Callable[[str], int], body: str, max_bytes: int) -> str:
    """The longest cut of `body` (whole characters, an ellipsis) with size(cut) <= max_bytes.

    Measured on what is sent, as JSON escaping makes a body longer than its text.
    """
    if size(body) <= max_bytes:
        return body
    low, high, best = 0, min(len(body.encode()), max_bytes), ""
    while low <= high:
        middle = (low + high) // 2
        cut = truncate_utf8(body, middle)
        if size(cut) <= max_bytes:
            best, low = cut, middle + 1
        else:
            high = middle - 1
    return best


def feishu_body(message: Message, *, secret: str, now: datetime) -> bytes:
    """An `interactive` card: the title in the header (coloured by severity), the rest as
    card markdown; signed in the body when the bot has a secret."""
    signature: dict[str, Any] = {}
    if secret:
        timestamp = int(now.timestamp())
        signature = {"timestamp": str(timestamp), "sign": feishu_sign(secret, timestamp)}
    head, body, tail = _parts(message, Dialect.feishu, heading=None)

    def document(cut: str) -> bytes:
        content = _join(Dialect.feishu, head, cut, tail)
        card = {
            "header": {
                "title": {"tag": "plain_text", "content": message.title},
                "template": FEISHU_TEMPLATES.get(message.severity or "", "blue"),
            },
            "elements": [{"tag": "markdown", "content": content}],
        }
        return orjson.dumps(signature | {"msg_type": "interactive", "card": card})

    return document(_fit(lambda cut: len(document(cut)), body, FEISHU_MAX_BYTES))


def dingtalk_body(message: Message) -> bytes:
    """`markdown`: the title is what the chat list previews; the text repeats it as a heading."""
    head, body, tail = _parts(message, Dialect.dingtalk, heading=f"#### {message.title}")

    def document(cut: str) -> bytes:
        text = _join(Dialect.dingtalk, head, cut, tail)
        return orjson.dumps(
            {"msgtype": "markdown", "markdown": {"title": message.title, "text": text}}
        )

    return document(_fit(lambda cut: len(document(cut)), body, DINGTALK_MAX_BYTES))


def wecom_body(message: Message) -> bytes:
    """`markdown`, its content within WeCom's 4096 bytes; the severity in WeCom's colours."""
    colour = WECOM_COLOURS.get(message.severity or "")
    title = message.title
    heading = f'### <font color="{colour}">{title}</font>' if colour else f"### {title}"
    head, body, tail = _parts(message, Dialect.wecom, heading=heading)

    def content(cut: str) -> str:
        return _join(Dialect.wecom, head, cut, tail)

    fitted = content(_fit(lambda cut: len(content(cut).encode()), body, WECOM_MAX_BYTES))
    # Facts and title alone are far under the limit; this only guards a pathological payload.
    fitted = truncate_utf8(fitted, WECOM_MAX_BYTES)
    return orjson.dumps({"msgtype": "markdown", "markdown": {"content": fitted}})


# --- answers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    ok: bool
    error: str | None = None  # the service's code and message, for the attempt log
    throttle: timedelta | None = None  # rate limited: try again no sooner than this


def judge(format: EndpointFormat, body: bytes) -> Verdict:
    """Read a 2xx answer: these services answer 200 to failures too, so only a zero code
    is a success."""
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        answer = None
    if not isinstance(answer, dict):
        return Verdict(False, f"{format.value} answered without a JSON object")
    if format == EndpointFormat.feishu:
        name = "code"
        code = answer.get("code", answer.get("StatusCode"))
        text = answer.get("msg") or answer.get("StatusMessage") or ""
    else:
        name, code, text = "errcode", answer.get("errcode"), answer.get("errmsg") or ""
    if not isinstance(code, int) or isinstance(code, bool):
        return Verdict(False, f"{format.value} answered without a result code")
    if code == 0:
        return Verdict(True)
    error = f"{format.value} {name} {code}: {text}"[:500]
    return Verdict(False, error, THROTTLES[format].get(code))
