"""Replies and proactive messages through the Bot Connector, Microsoft's side of a conversation.

An activity is posted to ``{serviceUrl}/v3/conversations/{id}/activities`` (:func:`post_activity`)
with a client-credentials token (:class:`ConnectorTokens`: ``BOTFRAMEWORK_TOKEN_URL``, or the
tenant's endpoint when ``MICROSOFT_APP_TENANT_ID`` is set) cached until 5 minutes before it
expires; a token the Bot Connector refuses (401/403) is replaced once. Any other refusal is a
:class:`ConnectorError` (the webhook then answers 500). A message the bot sends later, unasked
(the helpdesk's answer), goes to the conversation of a :func:`conversation_reference` stored with
the request; :func:`reference_activity` turns it back into the address an output channel needs.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import yarl

from bot.channels.teams.settings import TOKEN_SCOPE, http_session

TOKEN_REFRESH_MARGIN = 5 * 60.0


class ConnectorError(Exception):
    """The Bot Connector or the token endpoint refused or failed a request."""


class ConnectorTokens:
    """Client-credentials tokens for the Bot Connector, for one app id, cached until shortly
    before they expire."""

    def __init__(
        self,
        token_url: str,
        app_id: str,
        app_password: str,
        clock: Callable[[], float] = time.monotonic,
        scope: str = TOKEN_SCOPE,
    ) -> None:
        self.token_url = token_url
        self.app_id = app_id
        self._app_password = app_password
        self.scope = scope
        self._clock = clock
        self._token = ""
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def authorization(self) -> str:
        async with self._lock:
            if not self._token or self._clock() >= self._expires_at:
                await self._fetch()
            return f"Bearer {self._token}"

    def invalidate(self) -> None:
        self._token = ""

    async def _fetch(self) -> None:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.app_id,
            "client_secret": self._app_password,
            "scope": self.scope,
        }
        async with http_session() as session:
            async with session.post(self.token_url, data=form) as answer:
                body = await answer.text()
                if answer.status != 200:
                    raise ConnectorError(
                        f"the token endpoint {self.token_url} answered {answer.status}: "
                        f"{body[:300]}"
                    )
        try:
            data = json.loads(body)
            token = str(data["access_token"])
            lifetime = float(data.get("expires_in") or 3600)
        except (ValueError, KeyError, TypeError) as e:
            raise ConnectorError(f"the token endpoint {self.token_url} sent no token") from e
        self._token = token
        self._expires_at = self._clock() + max(lifetime - TOKEN_REFRESH_MARGIN, lifetime / 2)


def activities_url(service_url: str, conversation_id: str) -> str:
    """Where a conversation's activities are posted (the conversation id percent-encoded)."""
    conversation = quote(str(conversation_id), safe="")
    return f"{service_url.rstrip('/')}/v3/conversations/{conversation}/activities"


async def post_activity(tokens: ConnectorTokens, url: str, activity: dict[str, Any]) -> None:
    """Post ``activity`` to a conversation's ``url`` (:func:`activities_url`); a refused token is
    replaced once (revoked or rotated), any other refusal raises :class:`ConnectorError`."""
    target = yarl.URL(url, encoded=True)  # the conversation id stays percent-encoded
    async with http_session() as session:
        for attempt in (1, 2):
            headers = {"Authorization": await tokens.authorization()}
            async with session.post(target, json=activity, headers=headers) as answer:
                if answer.status in (401, 403) and attempt == 1:
                    tokens.invalidate()  # revoked or rotated: one more try
                    continue
                if answer.status >= 300:
                    body = (await answer.text())[:300]
                    raise ConnectorError(
                        f"the Bot Connector answered {answer.status} to {url}: {body}"
                    )
                return


def conversation_reference(activity: Mapping[str, Any]) -> dict[str, Any]:
    """What a proactive message to this conversation needs (Bot Framework's
    ConversationReference): the service URL, the conversation, the bot and the user. Taken from
    an authenticated activity only (the token's ``serviceurl`` matched the activity's)."""

    def account(value: Any) -> dict[str, str]:
        value = value if isinstance(value, Mapping) else {}
        return {k: str(value[k])[:256] for k in ("id", "name") if value.get(k)}

    conversation = activity.get("conversation") or {}
    return {
        "serviceUrl": str(activity.get("serviceUrl") or "")[:512],
        "channelId": str(activity.get("channelId") or "")[:64],
        "conversation": {
            k: str(conversation[k])[:512]
            for k in ("id", "conversationType", "tenantId")
            if conversation.get(k)
        },
        "bot": account(activity.get("recipient")),
        "user": account(activity.get("from")),
    }


def reference_activity(reference: Mapping[str, Any]) -> dict[str, Any]:
    """The address part of an incoming activity, rebuilt from a stored reference: what an output
    channel needs to send to that conversation unasked (no ``id``: not a reply to anything)."""
    return {
        "serviceUrl": reference["serviceUrl"],
        "conversation": reference["conversation"],
        "recipient": reference.get("bot") or {},
        "from": reference.get("user") or {},
    }
