"""The helpdesk pages' sessions: signed cookies, CSRF tokens, the same-origin check.

- The session is a row of ``helpdesk_sessions`` (:class:`bot.helpdesk.accounts.Accounts`); the
  browser's cookie holds only its random secret, signed with ``INFOSHARE_SECRET_KEY``
  (``itsdangerous``): HttpOnly, SameSite=Strict, path ``/helpdesk``, Secure when the page is
  served over https. Every request reads the row and the person's account: the role is the
  account's, and a session that was ended (sign-out, the account disabled, its password or role
  changed), went idle or outlived its lifetime signs no one in.
- Before signing in, the sign-in form's CSRF token is kept in a signed cookie of its own
  (an hour).
- Every POST must carry the form's token and must not come from another origin.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlparse

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.helpdesk.accounts import session_lifetime
from bot.records import links

PATH = "/helpdesk"
SESSION_COOKIE = "infoshare_helpdesk"
PRE_COOKIE = "infoshare_helpdesk_pre"
PRE_SECONDS = 3600


def _lifetime() -> int:
    """A session cookie's age: the session's lifetime (the row is checked at every request)."""
    return int(session_lifetime().total_seconds())


def _serializer(salt: str) -> URLSafeTimedSerializer | None:
    secret = links.secret_key()
    return URLSafeTimedSerializer(secret, salt=salt) if secret else None


def enabled() -> bool:
    """Whether the helpdesk can sign anyone in (it needs the deployment's secret)."""
    return links.secret_key() is not None


def _secure(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.scheme == "https" or forwarded == "https"


def _set_cookie(reply: HTTPResponse, request: Request, name: str, value: str, age: int) -> None:
    reply.cookies[name] = value
    cookie = reply.cookies[name]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = PATH
    cookie["max-age"] = age
    if _secure(request):
        cookie["secure"] = True


def session_secret(request: Request) -> str | None:
    """The session's secret from the signed cookie (None: no cookie, a forged or old one)."""
    serializer = _serializer("session")
    raw = request.cookies.get(SESSION_COOKIE)
    if not serializer or not raw or len(raw) > 400:
        return None
    try:
        secret = serializer.loads(raw, max_age=_lifetime())
    except BadSignature:
        return None
    return secret if isinstance(secret, str) else None


def set_session(reply: HTTPResponse, request: Request, secret: str) -> None:
    """The cookie for session ``secret`` on ``reply``; the sign-in form's cookie dropped."""
    _set_cookie(reply, request, SESSION_COOKIE, _serializer("session").dumps(secret), _lifetime())
    _set_cookie(reply, request, PRE_COOKIE, "", 0)


def clear_session(reply: HTTPResponse, request: Request) -> None:
    _set_cookie(reply, request, SESSION_COOKIE, "", 0)


def sign_in_token(reply: HTTPResponse, request: Request, token: str) -> None:
    """Keep the sign-in form's CSRF ``token`` in its signed cookie on ``reply``."""
    _set_cookie(reply, request, PRE_COOKIE, _serializer("pre").dumps(token), PRE_SECONDS)


def new_token() -> str:
    return secrets.token_urlsafe(24)


def expected_sign_in_token(request: Request) -> str | None:
    """The sign-in form's token, from its signed cookie (None: no cookie, a forged or old one)."""
    serializer = _serializer("pre")
    if not serializer or not request.cookies.get(PRE_COOKIE):
        return None
    try:
        return serializer.loads(request.cookies[PRE_COOKIE], max_age=PRE_SECONDS)
    except BadSignature:
        return None


def client_address(request: Request) -> str | None:
    """The client's address: Sanic's forwarded address when it is configured to trust the proxy
    in front (``FORWARDED_SECRET``, ``PROXIES_COUNT`` or ``REAL_IP_HEADER``), else the peer's."""
    return request.remote_addr or request.ip or None


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlparse(origin).netloc == request.host


def _csrf_ok(request: Request, expected: str | None) -> bool:
    given = (request.form or {}).get("csrf", "") if request.form else ""
    return bool(expected) and bool(given) and hmac.compare_digest(str(given), str(expected))


def post_allowed(request: Request, expected: str | None) -> bool:
    """A form post from this site's own page, with its CSRF token ``expected``."""
    return _same_origin(request) and _csrf_ok(request, expected)


def form(request: Request, name: str, limit: int = 4000) -> str:
    """A form field, cut at ``limit`` characters ("" when missing)."""
    value = request.form.get(name, "") if request.form else ""
    return str(value)[:limit]
