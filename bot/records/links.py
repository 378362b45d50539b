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
import math
import string
from urllib.parse import quote

from bot import settings

SECRET_ENV = settings.SECRET_KEY
PUBLIC_URL_ENV = settings.PUBLIC_URL
SUMMARY_PATH = "/chat/records/"
# The secret key must be able to hold 32 bytes of randomness: its length times what each
# character can carry — 4 bits for a hex digit, 6 for base64's letters, digits and - _ + / =,
# about 6.6 for any printable character — is 256 bits or more: 64 hex digits (`openssl rand -hex
# 32`), 43 characters of token_urlsafe(32), 39 of anything else. And it must not be a few characters
# repeated. How random a key someone typed is cannot be measured; this refuses the keys that
# cannot be random enough.
MIN_SECRET_BYTES = 32
MIN_SECRET_LENGTH = 43  # the shortest key that can hold them in base64 (what make run generates)
MIN_SECRET_DISTINCT = 10
MAKE_SECRET = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
SECRET_REQUIREMENT = (
    f"a random key of {MIN_SECRET_BYTES} bytes: {MIN_SECRET_LENGTH} or more letters, digits, "
    f"- and _ (make one with: {MAKE_SECRET})"
)
_HEX = frozenset(string.hexdigits)
_BASE64 = frozenset(string.ascii_letters + string.digits + "-_+/=")


def secret_bits(secret: str) -> float:
    """The most randomness ``secret`` can hold, in bits: its length times what its alphabet
    carries per character."""
    characters = set(secret)
    if characters <= _HEX:
        per_character = 4.0
    elif characters <= _BASE64:
        per_character = 6.0
    else:
        per_character = math.log2(95)  # printable ASCII
    return len(secret) * per_character


def secret_problem(secret: str) -> str | None:
    """Why ``secret`` cannot be the deployment's secret key, or None if it can."""
    bits = secret_bits(secret)
    if bits < 8 * MIN_SECRET_BYTES:
        return (
            f"{SECRET_ENV} is too short to hold {MIN_SECRET_BYTES} bytes of randomness (its "
            f"{len(secret)} characters hold at most {bits / 8:.0f}): it must be "
            f"{SECRET_REQUIREMENT}."
        )
    if len(set(secret)) < MIN_SECRET_DISTINCT:
        return f"{SECRET_ENV} repeats a few characters: it must be {SECRET_REQUIREMENT}."
    return None


def secret_key() -> str | None:
    """The deployment's secret, if one is set and good enough to be a secret (else the features
    that need one are off; ``make run`` refuses to start with a bad one: :func:`secret_problem`)."""
    secret = settings.get(SECRET_ENV)
    return secret if secret and secret_problem(secret) is None else None


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
