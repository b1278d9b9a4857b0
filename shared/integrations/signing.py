"""Standard Webhooks secrets and verification (spec 1.0, via the `standardwebhooks` package)."""

import base64
import binascii
import re
import secrets
from collections.abc import Mapping
from datetime import datetime

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

SECRET_BYTES = 32  # the spec allows 24 to 64
# Integer seconds, as the spec says; the library would also take "1796218900.5" or " 1796218900".
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def verifies(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """True when `headers` carry a valid signature of `body` within the 5-minute tolerance.

    The library raises ValueError or binascii.Error, not only WebhookVerificationError,
    on a malformed signature header; all of them mean "not verified".
    """
    if not _TIMESTAMP.fullmatch(headers.get("webhook-timestamp", "")):
        return False
    try:
        Webhook(secret).verify(body, dict(headers), json_parse=False)
    except (WebhookVerificationError, ValueError, binascii.Error, UnicodeDecodeError):
        return False
    return True


def sign(secret: str, message_id: str, timestamp: datetime, body: bytes) -> str:
    """The `webhook-signature` header value (for tests, tools and outgoing calls)."""
    return Webhook(secret).sign(message_id, timestamp, body.decode())
