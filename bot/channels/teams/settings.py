"""What the Teams channel is configured with: the environment, ``credentials.yml`` keys overriding.

The channel is **off** unless ``MICROSOFT_APP_ID`` and ``MICROSOFT_APP_PASSWORD`` are set
(credentials keys ``app_id`` / ``app_password`` override them); its webhook then answers 503
saying what to set (:mod:`bot.channels.teams.channel`). ``MICROSOFT_APP_TENANT_ID`` (key
``app_tenant_id``) takes the reply token from the tenant's endpoint; ``BOTFRAMEWORK_OPENID_URL``,
``BOTFRAMEWORK_TOKEN_URL``, ``BOTFRAMEWORK_ISSUER`` and ``BOTFRAMEWORK_SCOPE`` point the channel
at a sovereign cloud or, in the tests, at a fake Microsoft (docs/configuration.md). Calls to
Microsoft honour ``HTTPS_PROXY`` / ``NO_PROXY``.

Where the bot posts: only to service URLs under :data:`SERVICE_URLS`, Microsoft's documented
Teams service (``https://smba.trafficmanager.net/…``), or the prefixes in
``BOTFRAMEWORK_SERVICE_URLS`` (space-separated: a sovereign cloud's, e.g.
``https://smba.infra.gcc.teams.microsoft.com/``); and, with ``MICROSOFT_APP_TENANT_ID``, only to
that tenant's conversations (:meth:`Settings.allows`). An activity from anywhere else is refused
before it is read, and a stored reply address that is not allowed is never posted to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.settings import (
    BOTFRAMEWORK_ISSUER,
    BOTFRAMEWORK_OPENID_URL,
    BOTFRAMEWORK_SCOPE,
    BOTFRAMEWORK_SERVICE_URLS,
    BOTFRAMEWORK_TOKEN_URL,
    MICROSOFT_APP_ID,
    MICROSOFT_APP_PASSWORD,
    MICROSOFT_APP_TENANT_ID,
    environment,
)

OPENID_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
TOKEN_URL = "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"
TENANT_TOKEN_URL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
TOKEN_SCOPE = "https://api.botframework.com/.default"
ISSUER = "https://api.botframework.com"
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=15)
# Microsoft's Teams service, every region (learn.microsoft.com: "Teams service URLs")
SERVICE_URLS = ("https://smba.trafficmanager.net/",)


def _prefix(url: str) -> str:
    """A URL compared as a prefix: lower case, ending in one "/"."""
    return url.strip().lower().rstrip("/") + "/"


@dataclass(frozen=True)
class Settings:
    """What the channel needs; from the environment, credentials keys overriding."""

    app_id: str = ""
    app_password: str = field(default="", repr=False)
    openid_url: str = OPENID_URL
    token_url: str = TOKEN_URL
    issuer: str = ISSUER
    scope: str = TOKEN_SCOPE
    service_urls: tuple[str, ...] = SERVICE_URLS
    tenant_id: str = ""

    def allows(self, service_url: Any, tenant: Any = None) -> str | None:
        """Why the bot may not post to ``service_url`` for ``tenant`` (None: it may)."""
        url = _prefix(str(service_url or ""))
        if not any(url.startswith(_prefix(allowed)) for allowed in self.service_urls):
            return "the service URL is not one of Microsoft's (BOTFRAMEWORK_SERVICE_URLS)"
        if self.tenant_id and str(tenant or "") != self.tenant_id:
            return "the conversation is not in this app's tenant (MICROSOFT_APP_TENANT_ID)"
        return None

    @property
    def enabled(self) -> bool:
        return bool(self.app_id and self.app_password)

    @classmethod
    def load(
        cls, credentials: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
    ) -> Settings:
        credentials = credentials or {}
        environ = environment() if environ is None else environ

        def pick(key: str, variable: str) -> str:
            value = credentials.get(key)
            if value is None or not str(value).strip():
                value = environ.get(variable, "")
            return str(value).strip()

        tenant = pick("app_tenant_id", MICROSOFT_APP_TENANT_ID)
        default_token_url = TENANT_TOKEN_URL.format(tenant=quote(tenant)) if tenant else TOKEN_URL
        return cls(
            app_id=pick("app_id", MICROSOFT_APP_ID),
            app_password=pick("app_password", MICROSOFT_APP_PASSWORD),
            openid_url=environ.get(BOTFRAMEWORK_OPENID_URL, "").strip() or OPENID_URL,
            token_url=environ.get(BOTFRAMEWORK_TOKEN_URL, "").strip() or default_token_url,
            issuer=environ.get(BOTFRAMEWORK_ISSUER, "").strip() or ISSUER,
            scope=environ.get(BOTFRAMEWORK_SCOPE, "").strip() or TOKEN_SCOPE,
            service_urls=tuple(environ.get(BOTFRAMEWORK_SERVICE_URLS, "").split()) or SERVICE_URLS,
            tenant_id=tenant,
        )


def http_session() -> aiohttp.ClientSession:
    """A session for one exchange with Microsoft (keys, tokens, the Bot Connector)."""
    # trust_env: honour HTTPS_PROXY / NO_PROXY where outbound traffic must go through a proxy.
    return aiohttp.ClientSession(timeout=HTTP_TIMEOUT, trust_env=True)
