"""Continuing a check after the helpdesk's advice, from the same chat or from another one.

References are sequential, so a reference alone must not open a check: from another conversation
or device the practitioner needs the key the assistant gave when the request was sent (an HMAC
of the reference with the deployment's secret, ``INFOSHARE_SECRET_KEY``), typed ("continue
ISD-000123 key ABCDE-FGHIJ") or in a link (``/chat/?continue=ISD-000123&key=ABCDE-FGHIJ``). The
conversation that sent the request needs no key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from bot import settings
from bot.records.links import secret_key
from bot.records.repository import normalise_reference

KEY_LENGTH = 10  # characters of base32: 50 bits
CHAT_PATH = "/chat/"

_REFERENCE = re.compile(r"\b(ISD\s*-?\s*\d{1,12})\b", re.I)
_KEY = re.compile(r"\bkey\b\W{0,4}([A-Za-z2-7]{5})\s*-?\s*([A-Za-z2-7]{5})\b", re.I)


def continue_key(reference: str, secret: str | None = None) -> str | None:
    """The key that continues ``reference`` from anywhere (``ABCDE-FGHIJ``), or None without a
    secret (then only the conversation that asked can continue)."""
    secret = secret or secret_key()
    if not secret:
        return None
    digest = hmac.new(secret.encode(), f"continue\n{reference}".encode(), hashlib.sha256).digest()
    text = base64.b32encode(digest).decode()[:KEY_LENGTH]
    return f"{text[:5]}-{text[5:]}"


def key_matches(key: str | None, reference: str, secret: str | None = None) -> bool:
    expected = continue_key(reference, secret)
    if not key or not expected:
        return False
    given = re.sub(r"[^A-Za-z2-7]", "", key).upper()
    return hmac.compare_digest(given.encode(), expected.replace("-", "").encode())


def continue_link(reference: str, key: str | None) -> str | None:
    """``{public URL}/chat/?continue=…&key=…``, or None where links are off."""
    base = settings.get(settings.PUBLIC_URL).rstrip("/")
    if not key or not base:
        return None
    return f"{base}{CHAT_PATH}?{urlencode({'continue': reference, 'key': key})}"


@dataclass(frozen=True)
class ContinueAsked:
    reference: str | None
    key: str | None


def parse_continue(text: str) -> ContinueAsked:
    """The reference and key in "continue ISD-000123 key ABCDE-FGHIJ" or in the button's and the
    link's payload (``/continue_check{"reference": "ISD-000123", "key": "ABCDE-FGHIJ"}``)."""
    text = text or ""
    found = _REFERENCE.search(text)
    reference = normalise_reference(found.group(1)) if found else None
    key = _KEY.search(text.replace('"', " ").replace(":", " "))
    return ContinueAsked(reference, f"{key.group(1)}-{key.group(2)}".upper() if key else None)
