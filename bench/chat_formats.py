"""A Feishu, a DingTalk and a WeCom message as sent, with their signatures checked.

    .venv/bin/python -m bench.chat_formats

Starts a local receiver that stands in for the three services (on 127.0.0.1, so it
allowlists 127.0.0.0/8 as the tests do) and sends one alert notification to a bot of each
format through the sender's own call (`shared.notifications.sender.call`: the same
message rendering, signing, SSRF-guarded client and answer judging as the worker). For
each request it prints the URL, the headers and the JSON body, then checks the signature
the way the service documents it (written here independently of the code that signs),
answers like the service (`code`/`errcode` 0, or the service's refusal), and prints what
the sender made of the answer. Needs no database.
"""

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any
from urllib.parse import parse_qs

import uvicorn

from bench.receivers import read_body
from shared.notifications import client as callback_client
from shared.notifications import sender, urls
from shared.notifications.models import EndpointFormat, NotificationEndpoint
from shared.timeutil import utcnow

FEISHU_SECRET = "mEsoNSxQ8gq2EJm9tWTwkd"  # noqa: S105 - made up, as a bot's settings show one
DINGTALK_SECRET = "SEC3d5c1c0e3f2a4b7d9e8f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4"  # noqa: S105
ALLOWED = urls.parse_networks("127.0.0.0/8")
ALERT = {
    "event_id": str(uuid.uuid4()),
    "subject_type": "alert",
    "subject_id": "01a2010c-c015-761b-9bc5-6ac427b850e0",
    "campaign_id": "01a2010c-3bd9-7716-be78-ba040ba1a6e8",
    "campaign_name": "618 大促",
    "link": "http://localhost:8000/v1/alerts/01a2010c-c015-761b-9bc5-6ac427b850e0",
    "severity": "critical",
    "status": "firing",
    "channel": "social_feed",
    "message": "negative_comments today is 51, above 50",
    "value": "51",
    "threshold": "50",
}


def check_feishu(body: dict[str, Any]) -> tuple[bool, str]:
    """Feishu: key "<timestamp>\\n<secret>", HMAC-SHA256 over an empty message, base64;
    the timestamp (seconds) within an hour of now."""
    timestamp, sign = str(body.get("timestamp")), str(body.get("sign"))
    key = f"{timestamp}\n{FEISHU_SECRET}".encode()
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    skew = abs(time.time() - int(timestamp))
    ok = hmac.compare_digest(expected, sign) and skew <= 3600
    return (
        ok,
        f"recomputed {expected} {'==' if expected == sign else '!='} sign; {skew:.0f} s from now",
    )


def check_dingtalk(query: dict[str, list[str]]) -> tuple[bool, str]:
    """DingTalk: the secret signs "<timestamp>\\n<secret>" (HMAC-SHA256), base64, then
    URL-encoded; the timestamp (milliseconds) within an hour of now."""
    timestamp, sign = query["timestamp"][0], query["sign"][0]  # parse_qs URL-decoded it
    message = f"{timestamp}\n{DINGTALK_SECRET}".encode()
    digest = hmac.new(DINGTALK_SECRET.encode(), message, hashlib.sha256).digest()
    expected = base64.b64encode(digest).decode()
    skew = abs(time.time() * 1000 - int(timestamp)) / 1000
    ok = hmac.compare_digest(expected, sign) and skew <= 3600
    return (
        ok,
        f"recomputed {expected} {'==' if expected == sign else '!='} sign; {skew:.0f} s from now",
    )


class Services:
    """Answers as Feishu, DingTalk and WeCom do: HTTP 200 and a result code."""

    def __init__(self) -> None:
        self.port = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = json.loads(await read_body(receive))
        query_string = scope["query_string"].decode()
        query = parse_qs(query_string)
        url = f"http://127.0.0.1:{self.port}{scope['path']}" + (
            f"?{query_string}" if query_string else ""
        )
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        print(f"POST {url}")
        print("headers:", json.dumps(headers, indent=2))
        print("body:", json.dumps(body, ensure_ascii=False, indent=2))
        if scope["path"].startswith("/open-apis/bot/v2/hook/"):
            ok, how = check_feishu(body)
            print(f"signature, checked as Feishu does: {'VALID' if ok else 'INVALID'} ({how})")
            answer: dict[str, Any] = (
                {"code": 0, "data": {}, "msg": "success"}
                if ok
                else {"code": 19021, "data": {}, "msg": "sign match fail"}
            )
        elif scope["path"] == "/robot/send":
            ok, how = check_dingtalk(query)
            print(f"signature, checked as DingTalk does: {'VALID' if ok else 'INVALID'} ({how})")
            answer = (
                {"errcode": 0, "errmsg": "ok"}
                if ok
                else {"errcode": 310000, "errmsg": "sign not match"}
            )
        else:
            content = body["markdown"]["content"]
            size = len(content.encode())
            print(
                f"WeCom: unsigned (the URL's key is the credential); content {size} of 4096 bytes"
            )
            answer = {"errcode": 0, "errmsg": "ok"}
        print("the service answers: HTTP 200", json.dumps(answer))
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})  # fmt: skip
        await send({"type": "http.response.body", "body": json.dumps(answer).encode()})


async def main() -> None:
    services = Services()
    config = uvicorn.Config(services, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
        await asyncio.sleep(0.01)
    services.port = server.servers[0].sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{services.port}"
    feishu = f"{base}/open-apis/bot/v2/hook/5e3d587e-d78e-4a07-bd07-265f269f86fd"
    dingtalk = f"{base}/robot/send?access_token=8d1f0e3c2b4a59687f6e5d4c3b2a1908"
    wecom = f"{base}/cgi-bin/webhook/send?key=693a91f6-7a0c-4bc4-97a0-0ec2f1fa5aaa"
    endpoints = [
        ("feishu", EndpointFormat.feishu, feishu, FEISHU_SECRET),
        ("dingtalk", EndpointFormat.dingtalk, dingtalk, DINGTALK_SECRET),
        ("wecom", EndpointFormat.wecom, wecom, ""),
        # What an admin who reset the bot's secret without telling campaignops sees:
        ("feishu, with a secret the bot no longer has", EndpointFormat.feishu, feishu,
         "an-old-secret-0000"),
    ]  # fmt: skip
    try:
        async with callback_client.one_off(ALLOWED) as client:
            for label, format, url, secret in endpoints:
                print(f"\n===== {label} =====")
                endpoint = NotificationEndpoint(
                    id=uuid.uuid4(), name=f"618 {format.value} group", url=url, format=format,
                    secret=secret, enabled=True,
                )  # fmt: skip
                answer = await sender.call(
                    client,
                    endpoint,
                    kind="alert.fired",
                    payload=ALERT,
                    webhook_id=f"msg_{uuid.uuid4().hex}",
                    created_at=utcnow(),
                    allowed=ALLOWED,
                )
                outcome = "delivered" if answer.ok else "NOT delivered (retried later)"
                print(
                    f"the sender records: {outcome}; status {answer.status_code}, "
                    f"error {answer.error}, {answer.latency_ms} ms"
                )
    finally:
        server.should_exit = True
        await task


if __name__ == "__main__":
    asyncio.run(main())
