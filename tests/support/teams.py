"""A fake Microsoft for the Teams channel's tests: the OpenID configuration, the signing keys (an
RSA key made here), the token endpoint and the Bot Connector, which records what the bot posts,
on 127.0.0.1 in a background thread; and tokens signed as the Bot Framework signs them.

Used offline (tests/integration/test_botframework.py) and by the session's real servers, which
are started with its settings (tests/support/servers.py) so that the Teams tests need no servers
of their own.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from bot.channels.teams import Settings

APP_ID = "0b7f6a3c-1d2e-4f50-8a9b-0c1d2e3f4a5b"
PASSWORD = "not-a-real-secret"
BOT = {"id": f"28:{APP_ID}", "name": "Can I share?"}
ISSUER = "https://api.botframework.com"


# --- keys and tokens -----------------------------------------------------------------------------


@dataclass
class Signer:
    """An RSA key that signs tokens as the Bot Framework would."""

    kid: str
    private: Any = field(repr=False)

    def jwk(self, endorsements: tuple[str, ...] | None = ("msteams",)) -> dict:
        key = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        key.update(kid=self.kid, use="sig")
        if endorsements is not None:
            key["endorsements"] = list(endorsements)
        return key

    def token(self, claims: dict, *, kid: str | None = None, alg: str = "RS256") -> str:
        headers = {"kid": kid or self.kid}
        if alg == "RS256":
            return jwt.encode(claims, self.private, algorithm="RS256", headers=headers)
        # Forged tokens PyJWT will not make: "none", and HS256 keyed with the public key.
        header = {"alg": alg, "typ": "JWT", **headers}
        signing_input = f"{_b64(json.dumps(header))}.{_b64(json.dumps(claims))}"
        if alg == "none":
            return signing_input + "."
        public = self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        signature = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(signature)}"


def _b64(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@cache
def signer(kid: str = "key-1", which: int = 0) -> Signer:
    """One RSA key per (kid, which): ``which`` makes another key with the same kid."""
    return Signer(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048))


def claims(service_url: str, **changes: Any) -> dict:
    """Valid channel → bot claims; a change to None removes the claim."""
    now = int(time.time())
    values = {
        "iss": ISSUER,
        "aud": APP_ID,
        "exp": now + 600,
        "nbf": now - 10,
        "iat": now - 10,
        "serviceurl": service_url,
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


# --- the fake Microsoft --------------------------------------------------------------------------


class FakeMicrosoft:
    """OpenID configuration, keys, token endpoint and Bot Connector on 127.0.0.1 (own thread)."""

    def __init__(self) -> None:
        self.keys: list[dict] = [signer().jwk()]
        self.hits: Counter[str] = Counter()
        self.activities: list[dict] = []  # {"conversation", "path", "authorization", "activity"}
        self.token_requests: list[dict] = []
        self.failing: set[str] = set()  # route names that answer 500
        self.connector_statuses: list[int] = []  # answers to come, then 201
        self._token_count = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._ready = threading.Event()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def openid_url(self) -> str:
        return f"{self.base}/v1/.well-known/openidconfiguration"

    @property
    def token_url(self) -> str:
        return f"{self.base}/botframework.com/oauth2/v2.0/token"

    @property
    def service_url(self) -> str:
        return f"{self.base}/emea/"

    def settings(self, **changes: Any) -> Settings:
        values = {
            "app_id": APP_ID,
            "app_password": PASSWORD,
            "openid_url": self.openid_url,
            "token_url": self.token_url,
            "service_urls": (self.service_url,),
        }
        values.update(changes)
        return Settings(**values)

    def environ(self) -> dict[str, str]:
        return {
            "MICROSOFT_APP_ID": APP_ID,
            "MICROSOFT_APP_PASSWORD": PASSWORD,
            "BOTFRAMEWORK_OPENID_URL": self.openid_url,
            "BOTFRAMEWORK_TOKEN_URL": self.token_url,
            "BOTFRAMEWORK_SERVICE_URLS": self.service_url,  # the bot posts nowhere else
        }

    def posted(self, conversation: str | None = None) -> list[dict]:
        """The activities the bot posted (to one conversation id, or to all)."""
        return [
            a["activity"]
            for a in list(self.activities)
            if conversation is None or a["activity"]["conversation"]["id"] == conversation
        ]

    # -- server --------------------------------------------------------------------------------

    def start(self) -> FakeMicrosoft:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fake Microsoft endpoint did not start")
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", self._openid)
        app.router.add_get("/v1/keys", self._keys)
        app.router.add_post("/botframework.com/oauth2/v2.0/token", self._token)
        app.router.add_post("/emea/v3/conversations/{conversation}/activities", self._activity)
        runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(runner.setup())
        self._loop.run_until_complete(web.SockSite(runner, self._sock).start())
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())
        self._loop.close()

    def _fail(self, name: str) -> web.Response | None:
        self.hits[name] += 1
        return web.json_response({"error": "down"}, status=500) if name in self.failing else None

    async def _openid(self, request: web.Request) -> web.Response:
        failed = self._fail("openid")  # (a web.Response is falsy: an empty mapping)
        if failed is not None:
            return failed
        return web.json_response(
            {
                "issuer": ISSUER,
                "jwks_uri": f"{self.base}/v1/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def _keys(self, request: web.Request) -> web.Response:
        failed = self._fail("keys")
        if failed is not None:
            return failed
        return web.json_response({"keys": list(self.keys)})

    async def _token(self, request: web.Request) -> web.Response:
        failed = self._fail("token")
        if failed is not None:
            return failed
        form = dict(await request.post())
        self.token_requests.append(form)
        if form.get("client_secret") != PASSWORD:
            return web.json_response({"error": "invalid_client"}, status=401)
        self._token_count += 1
        return web.json_response(
            {
                "token_type": "Bearer",
                "expires_in": 3600,
                "ext_expires_in": 3600,
                "access_token": f"connector-token-{self._token_count}",
            }
        )

    async def _activity(self, request: web.Request) -> web.Response:
        failed = self._fail("connector")
        if failed is not None:
            return failed
        if self.connector_statuses:
            status = self.connector_statuses.pop(0)
            return web.json_response({"error": {"code": "Refused"}}, status=status)
        self.activities.append(
            {
                "conversation": request.match_info["conversation"],
                "path": request.raw_path,
                "authorization": request.headers.get("Authorization"),
                "activity": await request.json(),
            }
        )
        return web.json_response({"id": uuid.uuid4().hex}, status=201)
