"""Links to a record's printable summary: ``{public URL}/chat/records/{reference}?key={key}``.

References are sequential, so a reference alone must not open a record. The key is an HMAC of
the reference and the conversation it came from, made with the deployment's secret
(``INFOSHARE_SECRET_KEY``; ``make run`` generates one into ``var/secret_key``). Only the
conversation that saved the record is given the link. Without a secret there are no links and the
page refuses every request.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

from bot import settings

SECRET_ENV = settings.SECRET_KEY
PUBLIC_URL_ENV = settings.PUBLIC_URL
SUMMARY_PATH = "/chat/records/"
MIN_SECRET_LENGTH = 16


def secret_key() -> str | None:
    """The deployment's secret, if one is set and long enough to be a secret."""
    secret = settings.get(SECRET_ENV)
    return secret if len(secret) >= MIN_SECRET_LENGTH else None


def summary_key(reference: str, conversation_id: str, secret: str) -> str:
    message = f"{reference}\n{conversation_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def key_matches(key: str, reference: str, conversation_id: str, secret: str) -> bool:
    return hmac.compare_digest(
        key.encode(), summary_key(reference, conversation_id, secret).encode()
    )


def summary_url(reference: str, conversation_id: str) -> str | None:
    """The printable summary's address, or None where links are off (no secret or no URL)."""
    secret = secret_key()
    base = settings.get(PUBLIC_URL_ENV).rstrip("/")
    if not secret or not base:
        return None
    key = summary_key(reference, conversation_id, secret)
    return f"{base}{SUMMARY_PATH}{quote(reference)}?key={key}"
