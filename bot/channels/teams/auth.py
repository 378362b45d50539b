"""Who is calling the Teams webhook: the Bot Framework's token, checked as Microsoft documents.

Rasa 3.6's own ``botframework`` channel fetches Microsoft's signing keys with ``requests`` when it
is created (a server without internet cannot start), trusts the algorithm the token names, and
checks neither the issuer nor the ``serviceurl`` claim. Here:

* nothing is fetched when the channel is created. Microsoft's OpenID configuration and signing
  keys (``BOTFRAMEWORK_OPENID_URL``) are fetched with aiohttp on the first request, kept for 24
  hours, and fetched again (at most once every 5 minutes) when a token names a key not yet seen
  (:class:`SigningKeys`; :class:`KeysUnavailable` when there are none, answered 503);
* each request's token is checked as Microsoft documents for channel → bot calls
  (:class:`Authenticator`): RS256 only, audience = the app id, issuer
  ``https://api.botframework.com`` (``BOTFRAMEWORK_ISSUER`` for a sovereign cloud), ``exp``
  required, ``nbf`` honoured, 5 minutes' leeway, the ``serviceurl`` claim equal to the activity's
  ``serviceUrl``, and the key endorsed for the activity's ``channelId``. A refusal is an
  :class:`AuthError` with the reason (answered 401).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt

from bot.channels.teams.settings import ISSUER, http_session

logger = logging.getLogger(__name__)

ALGORITHM = "RS256"
LEEWAY_SECONDS = 300  # Microsoft: allow 5 minutes of clock skew
KEYS_MAX_AGE = 24 * 3600.0
MIN_REFETCH_INTERVAL = 5 * 60.0  # unknown kid, or a failed daily refresh
FAILED_FETCH_RETRY_AFTER = 10.0  # no keys yet and the last fetch failed: do not hammer

_BEARER = re.compile(r"Bearer\s+(\S+)\s*$", re.IGNORECASE)


class AuthError(Exception):
    """A request whose token does not prove it comes from the Bot Framework (answered 401)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class KeysUnavailable(Exception):
    """Microsoft's signing keys could not be fetched and none are cached (answered 503)."""


@dataclass(frozen=True)
class SigningKey:
    key: Any  # a cryptography RSA public key
    endorsements: tuple[str, ...] | None  # channels the key may sign for; None: not restricted


class SigningKeys:
    """Microsoft's token-signing keys: fetched on first use, kept for a day, refetched (rate
    limited) when a token names a key not seen yet."""

    def __init__(self, openid_url: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.openid_url = openid_url
        self._clock = clock
        self._keys: dict[str, SigningKey] | None = None
        self._fetched_at = 0.0
        self._attempted_at: float | None = None
        self._last_error = ""
        self._lock = asyncio.Lock()

    async def get(self, kid: str) -> SigningKey | None:
        async with self._lock:
            now = self._clock()
            since_attempt = None if self._attempted_at is None else now - self._attempted_at
            if self._keys is None:
                if since_attempt is not None and since_attempt < FAILED_FETCH_RETRY_AFTER:
                    raise KeysUnavailable(self._last_error)
                await self._refresh(now, "first use")
            elif now - self._fetched_at >= KEYS_MAX_AGE and (
                since_attempt is None or since_attempt >= MIN_REFETCH_INTERVAL
            ):
                await self._refresh(now, "older than 24 hours")
            elif kid not in self._keys and (
                since_attempt is None or since_attempt >= MIN_REFETCH_INTERVAL
            ):
                await self._refresh(now, f"unknown key id {kid!r}")
            return (self._keys or {}).get(kid)

    async def _refresh(self, now: float, why: str) -> None:
        self._attempted_at = now
        logger.info("Fetching the Bot Framework signing keys (%s) from %s", why, self.openid_url)
        try:
            keys = await self._fetch()
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, KeyError, TypeError) as e:
            self._last_error = (
                f"could not fetch the Bot Framework signing keys via {self.openid_url}: "
                f"{type(e).__name__}: {e}"
            )
            if self._keys is None:
                raise KeysUnavailable(self._last_error) from e
            logger.warning("%s; keeping the keys fetched before", self._last_error)
            return
        self._keys, self._fetched_at, self._last_error = keys, now, ""

    async def _fetch(self) -> dict[str, SigningKey]:
        async with http_session() as session:
            async with session.get(self.openid_url) as answer:
                answer.raise_for_status()
                configuration = await answer.json(content_type=None)
            jwks_uri = configuration["jwks_uri"]
            if not isinstance(jwks_uri, str):
                raise ValueError("jwks_uri is not a URL")
            async with session.get(jwks_uri) as answer:
                answer.raise_for_status()
                jwks = await answer.json(content_type=None)
        keys: dict[str, SigningKey] = {}
        for entry in jwks["keys"]:
            kid = entry.get("kid") if isinstance(entry, dict) else None
            if not isinstance(kid, str) or entry.get("kty") != "RSA":
                continue
            try:
                key = jwt.PyJWK(entry, algorithm=ALGORITHM).key
            except jwt.PyJWTError as e:
                logger.warning("Bot Framework signing key %r skipped: %s", kid, e)
                continue
            endorsements = entry.get("endorsements")
            keys[kid] = SigningKey(
                key, tuple(map(str, endorsements)) if isinstance(endorsements, list) else None
            )
        if not keys:
            raise ValueError("no RSA signing key in the key set")
        return keys


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise AuthError("no Authorization header")
    match = _BEARER.match(authorization.strip())
    if not match:
        raise AuthError("the Authorization header is not a Bearer token")
    return match.group(1)


def _normal_url(url: Any) -> str:
    return str(url or "").strip().rstrip("/").lower()


class Authenticator:
    """Checks that a request comes from the Bot Framework, for this bot and this activity."""

    def __init__(self, app_id: str, keys: SigningKeys, issuer: str = ISSUER) -> None:
        self.app_id = app_id
        self.keys = keys
        self.issuer = issuer

    async def authenticate(self, token: str, activity: Mapping[str, Any]) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as e:
            raise AuthError("the token is malformed") from e
        algorithm = header.get("alg")
        if algorithm != ALGORITHM:
            raise AuthError(f"algorithm {algorithm!r} is not allowed (RS256 only)")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthError("the token names no signing key (kid)")
        signing_key = await self.keys.get(kid)
        if signing_key is None:
            raise AuthError(f"unknown signing key {kid[:64]!r}")
        try:
            claims = jwt.decode(
                token,
                signing_key.key,
                algorithms=[ALGORITHM],
                audience=self.app_id,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as e:
            raise AuthError("the token has expired") from e
        except jwt.ImmatureSignatureError as e:
            raise AuthError("the token is not valid yet (nbf)") from e
        except jwt.InvalidAudienceError as e:
            raise AuthError("the token is for another app id (aud)") from e
        except jwt.InvalidIssuerError as e:
            raise AuthError("the token was not issued by the Bot Framework (iss)") from e
        except jwt.MissingRequiredClaimError as e:
            raise AuthError(f"the token has no {e.claim!r} claim") from e
        except jwt.InvalidSignatureError as e:
            raise AuthError("the token's signature does not verify") from e
        except jwt.PyJWTError as e:
            raise AuthError(f"the token is invalid ({type(e).__name__})") from e
        service_url = claims.get("serviceurl") or claims.get("serviceUrl")
        if not service_url:
            raise AuthError("the token has no serviceurl claim")
        if _normal_url(service_url) != _normal_url(activity.get("serviceUrl")):
            raise AuthError("the token's serviceurl does not match the activity's serviceUrl")
        if signing_key.endorsements is not None:
            channel_id = activity.get("channelId")
            if not isinstance(channel_id, str) or channel_id not in signing_key.endorsements:
                raise AuthError(f"the signing key is not endorsed for channel {channel_id!r}")
        return claims
