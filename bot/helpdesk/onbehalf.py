"""Checks run by helpdesk staff on behalf of a caller (someone on the phone).

The helpdesk page's "Check for a caller" embeds the chat with a token signed with the
deployment's secret (``INFOSHARE_SECRET_KEY``, salt ``on-behalf-of-caller``) that names the
signed-in staff member; the chat sends it with every message (``customData.staff_token``), and
the record of a check finished with a valid token says who made it (``made_by``) and that it was
made for a caller (``on_behalf_of_caller``). A token that is missing, forged, for another
purpose or older than :data:`MAX_AGE_SECONDS` counts for nothing: the check is an ordinary one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from bot.records.links import secret_key

SALT = "on-behalf-of-caller"
MAX_AGE_SECONDS = 12 * 3600
METADATA_KEY = "staff_token"


def _serializer() -> URLSafeTimedSerializer | None:
    secret = secret_key()
    return URLSafeTimedSerializer(secret, salt=SALT) if secret else None


def staff_token(name: str) -> str | None:
    """The token for a page that ``name`` (signed in) uses to run checks for callers."""
    serializer = _serializer()
    return serializer.dumps({"staff": name}) if serializer else None


def staff_from(metadata: Mapping[str, Any] | None) -> str | None:
    """The staff member a message's metadata vouches for, or None."""
    token = (metadata or {}).get(METADATA_KEY)
    serializer = _serializer()
    if not isinstance(token, str) or not token or serializer is None or len(token) > 1024:
        return None
    try:
        data = serializer.loads(token, max_age=MAX_AGE_SECONDS)
    except BadSignature:
        return None
    name = data.get("staff") if isinstance(data, dict) else None
    return name if isinstance(name, str) and 0 < len(name) <= 64 else None
