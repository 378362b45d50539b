"""Checks run by helpdesk staff on behalf of a caller (someone on the phone).

The helpdesk page's "Check for a caller" embeds the chat with a token signed with the
deployment's secret (``INFOSHARE_SECRET_KEY``, salt ``on-behalf-of-caller``) that names the
signed-in staff member; the chat sends it with every message (``customData.staff_token``), and
the record of a check finished with a valid token says who made it (``made_by``) and that it was
made for a caller (``on_behalf_of_caller``). The token names the staff member's helpdesk session
too, and counts only while that session does: signing out, or the account being disabled, ends
it. A token that is missing, forged, for another purpose, of an ended session (or one that
cannot be checked: the database down) counts for nothing: the check is an ordinary one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from bot.records.links import secret_key

SALT = "on-behalf-of-caller"
MAX_AGE_SECONDS = 12 * 3600  # and never longer than the session it names
METADATA_KEY = "staff_token"

logger = logging.getLogger(__name__)


def _serializer() -> URLSafeTimedSerializer | None:
    secret = secret_key()
    return URLSafeTimedSerializer(secret, salt=SALT) if secret else None


def staff_token(name: str, session: int) -> str | None:
    """The token for a page that ``name``, signed in with helpdesk session ``session``, uses to
    run checks for callers."""
    serializer = _serializer()
    return serializer.dumps({"staff": name, "session": session}) if serializer else None


def staff_from(metadata: Mapping[str, Any] | None, alive: Callable[[int, str], bool]) -> str | None:
    """The staff member a message's metadata vouches for, or None; ``alive(session, name)``
    says whether the helpdesk session the token names is still live."""
    token = (metadata or {}).get(METADATA_KEY)
    serializer = _serializer()
    if not isinstance(token, str) or not token or serializer is None or len(token) > 1024:
        return None
    try:
        data = serializer.loads(token, max_age=MAX_AGE_SECONDS)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    name, session = data.get("staff"), data.get("session")
    if not isinstance(name, str) or not 0 < len(name) <= 64 or not isinstance(session, int):
        return None
    try:
        return name if alive(session, name) else None
    except Exception:  # noqa: BLE001 - cannot be checked: not vouched for
        logger.warning("could not check the staff session of a check for a caller", exc_info=True)
        return None
