"""Microsoft Teams through the Bot Framework: Rasa's ``botframework`` channel, made safe.

Rasa 3.6's own channel fetches Microsoft's signing keys with ``requests`` when it is created (a
server without internet cannot start), blocks the event loop on every reply, trusts the algorithm
the token names, checks neither the issuer nor the ``serviceurl`` claim, answers 200 when handling
fails, and splits every paragraph into a message of its own. This one keeps the channel's name
(``botframework``: webhook ``POST /webhooks/botframework/webhook``) and:

* is **off** unless ``MICROSOFT_APP_ID`` and ``MICROSOFT_APP_PASSWORD`` are set (credentials keys
  ``app_id`` / ``app_password`` override them): the webhook then answers 503 saying what to set;
* does no network I/O when created. Microsoft's OpenID configuration and signing keys
  (``BOTFRAMEWORK_OPENID_URL``) are fetched with aiohttp on the first request, kept for 24 hours,
  and fetched again (at most once every 5 minutes) when a token names a key not yet seen;
* checks each request's token as Microsoft documents for channel → bot calls: RS256 only,
  audience = the app id, issuer ``https://api.botframework.com`` (``BOTFRAMEWORK_ISSUER`` for
  a sovereign cloud, with ``BOTFRAMEWORK_SCOPE`` for the token), ``exp`` required, ``nbf``
  honoured, 5 minutes' leeway, the ``serviceurl`` claim equal to the activity's ``serviceUrl``,
  and the key endorsed for the activity's ``channelId``. A refused request answers 401 with the
  reason and logs one WARNING line; a body that is not a JSON activity answers 400; a failure
  while handling the message is logged with its traceback and answers 500;
* posts replies to the Bot Connector (``{serviceUrl}/v3/conversations/{id}/activities``) with a
  client-credentials token (``BOTFRAMEWORK_TOKEN_URL``, or the tenant's endpoint when
  ``MICROSOFT_APP_TENANT_ID`` is set) cached until 5 minutes before it expires;
* renders for Teams: one activity per reply (paragraphs kept, as markdown), up to three buttons as
  suggested actions (``imBack``: the button's title comes back as the user's text and is mapped
  back to its payload), more as a hero card of ``messageBack`` buttons (the payload comes back),
  Adaptive Cards (:mod:`bot.channels.teams_cards`) through ``send_custom_json``;
* in group chats and channels strips the ``<at>bot</at>`` mention, and keeps each person's check
  apart from their personal chat with the bot (sender id ``{conversation id}|{user id}``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

import aiohttp
import jwt
import yarl
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings
from bot.channels import failures
from bot.channels.teams_cards import card_activity
from bot.helpdesk import delivery
from bot.protocol.messages import Card, Reply

logger = logging.getLogger(__name__)

CHANNEL = "botframework"
OPENID_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
TOKEN_URL = "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"
TENANT_TOKEN_URL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
TOKEN_SCOPE = "https://api.botframework.com/.default"
ISSUER = "https://api.botframework.com"
ALGORITHM = "RS256"
LEEWAY_SECONDS = 300  # Microsoft: allow 5 minutes of clock skew
KEYS_MAX_AGE = 24 * 3600.0
MIN_REFETCH_INTERVAL = 5 * 60.0  # unknown kid, or a failed daily refresh
FAILED_FETCH_RETRY_AFTER = 10.0  # no keys yet and the last fetch failed: do not hammer
TOKEN_REFRESH_MARGIN = 5 * 60.0
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=15)
MAX_SUGGESTED_ACTIONS = 3  # Teams shows only the first three
MAX_CONVERSATIONS_REMEMBERED = 10_000
MAX_ACTIVITY_BYTES = 1024 * 1024  # Teams activities are a few KB
HERO_CARD = "application/vnd.microsoft.card.hero"

OFF_MESSAGE = (
    "The Microsoft Teams (Bot Framework) channel is off: set MICROSOFT_APP_ID and "
    "MICROSOFT_APP_PASSWORD in the environment of the Rasa server to turn it on."
)
WELCOME = (
    "Hello — I can help you decide whether to share information. Tell me what you want to "
    'share, with whom and why, or say "Can I share?".'
)

_BEARER = re.compile(r"Bearer\s+(\S+)\s*$", re.IGNORECASE)
_AT_TAG = re.compile(r"</?at>", re.IGNORECASE)


# --- configuration -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """What the channel needs; from the environment, credentials keys overriding."""

    app_id: str = ""
    app_password: str = field(default="", repr=False)
    openid_url: str = OPENID_URL
    token_url: str = TOKEN_URL
    issuer: str = ISSUER
    scope: str = TOKEN_SCOPE

    @property
    def enabled(self) -> bool:
        return bool(self.app_id and self.app_password)

    @classmethod
    def load(
        cls, credentials: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
    ) -> Settings:
        credentials = credentials or {}
        environ = settings.environment() if environ is None else environ

        def pick(key: str, variable: str) -> str:
            value = credentials.get(key)
            if value is None or not str(value).strip():
                value = environ.get(variable, "")
            return str(value).strip()

        tenant = pick("app_tenant_id", "MICROSOFT_APP_TENANT_ID")
        default_token_url = TENANT_TOKEN_URL.format(tenant=quote(tenant)) if tenant else TOKEN_URL
        return cls(
            app_id=pick("app_id", "MICROSOFT_APP_ID"),
            app_password=pick("app_password", "MICROSOFT_APP_PASSWORD"),
            openid_url=environ.get("BOTFRAMEWORK_OPENID_URL", "").strip() or OPENID_URL,
            token_url=environ.get("BOTFRAMEWORK_TOKEN_URL", "").strip() or default_token_url,
            issuer=environ.get("BOTFRAMEWORK_ISSUER", "").strip() or ISSUER,
            scope=environ.get("BOTFRAMEWORK_SCOPE", "").strip() or TOKEN_SCOPE,
        )


def _session() -> aiohttp.ClientSession:
    # trust_env: honour HTTPS_PROXY / NO_PROXY where outbound traffic must go through a proxy.
    return aiohttp.ClientSession(timeout=HTTP_TIMEOUT, trust_env=True)


# --- inbound: who is calling ---------------------------------------------------------------------


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
        async with _session() as session:
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


# --- outbound: replies through the Bot Connector -------------------------------------------------


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
        async with _session() as session:
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


def _title_key(text: str) -> str:
    return " ".join(text.split()).casefold()


class ButtonTitles:
    """The buttons last sent to each conversation (title → payload), a bounded LRU.

    Teams sends a suggested action's *title* as the user's text (``imBack``); the input channel
    maps it back to the button's payload. Unknown after a restart: the text then goes through as
    typed, which the NLU understands ("Yes", "No", "Not sure").
    """

    def __init__(self, limit: int = MAX_CONVERSATIONS_REMEMBERED) -> None:
        self.limit = limit
        self._titles: OrderedDict[str, dict[str, str]] = OrderedDict()

    def replace(self, conversation: str, buttons: Iterable[tuple[str, str]]) -> None:
        self._titles.pop(conversation, None)
        buttons = list(buttons)
        if buttons:
            self.add(conversation, buttons)

    def add(self, conversation: str, buttons: Iterable[tuple[str, str]]) -> None:
        titles = self._titles.setdefault(conversation, {})
        titles.update((_title_key(title), payload) for title, payload in buttons if title)
        self._titles.move_to_end(conversation)
        while len(self._titles) > self.limit:
            self._titles.popitem(last=False)

    def payload_for(self, conversation: str, text: str) -> str | None:
        titles = self._titles.get(conversation)
        if not titles:
            return None
        self._titles.move_to_end(conversation)
        return titles.get(_title_key(text))

    def __len__(self) -> int:
        return len(self._titles)


def teams_text(text: str) -> str:
    """Text as Teams shows it: markdown, where a single newline is not a line break. Every line
    becomes a paragraph; leading spaces go (four would make a code block)."""
    lines = (line.strip() for line in str(text).replace("\r\n", "\n").split("\n"))
    return "\n\n".join(line for line in lines if line)


def _buttons(buttons: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    pairs = []
    for button in buttons:
        title = str(button.get("title") or "")
        payload = button.get("payload")
        pairs.append((title, str(payload) if payload is not None else title))
    return pairs


def _card_buttons(activity: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(title, payload) of the buttons of the cards in an activity (hero and Adaptive Cards)."""
    pairs = []
    for attachment in activity.get("attachments") or []:
        content = attachment.get("content") if isinstance(attachment, dict) else None
        if not isinstance(content, dict):
            continue
        for action in [*(content.get("actions") or []), *(content.get("buttons") or [])]:
            if not isinstance(action, dict) or not action.get("title"):
                continue
            data = action.get("data") if isinstance(action.get("data"), dict) else {}
            payload = data.get("payload") or action.get("text") or action.get("value")
            if isinstance(payload, str):
                pairs.append((str(action["title"]), payload))
    return pairs


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


async def send_proactive(
    reference: Mapping[str, Any],
    message: Mapping[str, Any],
    tokens: ConnectorTokens,
    titles: ButtonTitles,
) -> None:
    """Post ``message`` (text, buttons, card: as Rasa's output channels take it) to the
    conversation of a stored reference, not as a reply to any activity."""
    activity = {
        "serviceUrl": reference["serviceUrl"],
        "conversation": reference["conversation"],
        "recipient": reference.get("bot") or {},
        "from": reference.get("user") or {},
    }
    output = BotFrameworkOutput(activity, tokens, titles, reply=False)
    user = str((reference.get("user") or {}).get("id") or "")
    await output.send_response(user, dict(message))


def conversation_key(conversation_id: str, user_id: str) -> str:
    return f"{conversation_id}|{user_id}"


class BotFrameworkOutput(OutputChannel):
    """Replies to one incoming activity, posted to the Bot Connector."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def __init__(
        self,
        activity: Mapping[str, Any],
        tokens: ConnectorTokens,
        titles: ButtonTitles,
        *,
        reply: bool = True,
    ) -> None:
        self.service_url = str(activity["serviceUrl"])
        self.conversation = dict(activity["conversation"])
        self.bot = dict(activity.get("recipient") or {})
        self.user = dict(activity.get("from") or {})
        self.reply_to_id = activity.get("id") if reply else None
        self.tokens = tokens
        self.titles = titles
        self._key = conversation_key(str(self.conversation["id"]), str(self.user.get("id")))
        self._first_message = True

    # -- what Rasa calls -----------------------------------------------------------------------

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """A reply with a card (``Reply.card``, sent by the actions as data) is drawn as an
        Adaptive Card; everything else as Rasa's channels do. Teams users are elsewhere on the
        network: a card's link is only offered when it is https."""
        data = message.get("card")
        if isinstance(data, dict):
            card = Card.from_data(data)
            if card.link and not card.link[1].startswith("https://"):
                card = replace(card, link=None)
            reply = Reply(str(message.get("text") or ""), list(message.get("buttons") or []), card)
            await self.send_custom_json(recipient_id, card_activity(reply))
            return
        await super().send_response(recipient_id, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send(self._message(text=teams_text(text), textFormat="markdown"))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        pairs = _buttons(buttons)
        activity = self._message(text=teams_text(text), textFormat="markdown")
        if len(pairs) <= MAX_SUGGESTED_ACTIONS:
            activity["suggestedActions"] = {
                "actions": [{"type": "imBack", "title": t, "value": t} for t, _ in pairs],
                "to": [self.user.get("id")],
            }
        else:
            activity["attachments"] = [
                {
                    "contentType": HERO_CARD,
                    "content": {
                        "buttons": [
                            {"type": "messageBack", "title": t, "displayText": t, "text": p}
                            for t, p in pairs
                        ]
                    },
                }
            ]
        await self.send(activity, pairs)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        card = {"contentType": HERO_CARD, "content": {"images": [{"url": image}]}}
        await self.send(self._message(attachments=[card]))

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        # Rasa's json_message is the action's: fill in who and where, keep the rest.
        activity = {**json_message, **self._message()}
        activity["type"] = json_message.get("type") or "message"
        await self.send(activity, _card_buttons(activity))

    # -- plumbing ------------------------------------------------------------------------------

    def _message(self, **fields: Any) -> dict[str, Any]:
        activity: dict[str, Any] = {
            "type": "message",
            "from": self.bot,
            "recipient": self.user,
            "conversation": self.conversation,
        }
        if self.reply_to_id:
            activity["replyToId"] = self.reply_to_id
        activity.update(fields)
        return activity

    async def send(self, activity: dict[str, Any], buttons: Iterable[tuple[str, str]] = ()) -> None:
        # The buttons of this turn replace the last turn's: an old "Yes" must not answer a
        # free-text question.
        if self._first_message:
            self.titles.replace(self._key, buttons)
            self._first_message = False
        else:
            self.titles.add(self._key, buttons)
        await self.post(activity)

    @property
    def activities_url(self) -> str:
        conversation = quote(str(self.conversation["id"]), safe="")
        return f"{self.service_url.rstrip('/')}/v3/conversations/{conversation}/activities"

    async def post(self, activity: dict[str, Any]) -> None:
        url = self.activities_url
        target = yarl.URL(url, encoded=True)  # the conversation id stays percent-encoded
        async with _session() as session:
            for attempt in (1, 2):
                headers = {"Authorization": await self.tokens.authorization()}
                async with session.post(target, json=activity, headers=headers) as answer:
                    if answer.status in (401, 403) and attempt == 1:
                        self.tokens.invalidate()  # revoked or rotated: one more try
                        continue
                    if answer.status >= 300:
                        body = (await answer.text())[:300]
                        raise ConnectorError(
                            f"the Bot Connector answered {answer.status} to {url}: {body}"
                        )
                    return


# --- the input channel ---------------------------------------------------------------------------


class BadActivity(ValueError):
    """An authenticated activity without the fields the channel needs (answered 400)."""


def _strip_mentions(text: str, activity: Mapping[str, Any]) -> str:
    bot_id = (activity.get("recipient") or {}).get("id")
    for entity in activity.get("entities") or []:
        if (
            isinstance(entity, dict)
            and entity.get("type") == "mention"
            and (entity.get("mentioned") or {}).get("id") == bot_id
            and isinstance(entity.get("text"), str)
        ):
            text = text.replace(entity["text"], " ")
    # Other people's mentions keep their names, without the tags.
    return " ".join(_AT_TAG.sub(" ", text).split())


def _account_id(activity: Mapping[str, Any], name: str) -> str:
    account = activity.get(name)
    value = account.get("id") if isinstance(account, dict) else None
    if not isinstance(value, str) or not value:
        raise BadActivity(f"the activity has no {name}.id")
    return value


class BotFrameworkInput(InputChannel):
    """Microsoft Teams (Bot Framework) input channel; see the module's docstring."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(Settings.load(credentials))

    def __init__(
        self, settings: Settings | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings or Settings.load()
        self.keys = SigningKeys(self.settings.openid_url, clock)
        self.authenticator = Authenticator(self.settings.app_id, self.keys, self.settings.issuer)
        self.tokens = ConnectorTokens(
            self.settings.token_url,
            self.settings.app_id,
            self.settings.app_password,
            clock,
            self.settings.scope,
        )
        self.button_titles = ButtonTitles()
        if self.settings.enabled:
            logger.info(
                "Microsoft Teams (Bot Framework) channel is on for app id %s",
                self.settings.app_id,
            )
            delivery.register(self.name(), self.push)
        else:
            logger.info(OFF_MESSAGE)

    async def push(
        self, conversation: str, reply_to: Mapping[str, Any] | None, message: dict[str, Any]
    ) -> bool:
        """The helpdesk's answer as a proactive message (bot/helpdesk/delivery.py)."""
        if not reply_to or not reply_to.get("serviceUrl") or not reply_to.get("conversation"):
            return False
        await send_proactive(reply_to, message, self.tokens, self.button_titles)
        return True

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint("botframework_webhook", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "enabled": self.settings.enabled})

        @blueprint.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.settings.enabled:
                return response.json({"error": OFF_MESSAGE}, status=503)
            return await self.handle(request, on_new_message)

        return blueprint

    async def handle(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        try:
            token = bearer_token(request.headers.get("Authorization"))
        except AuthError as e:
            return self._refuse(request, e.reason)
        if len(request.body or b"") > MAX_ACTIVITY_BYTES:
            return response.json({"error": "the activity is too large"}, status=413)
        try:
            activity = json.loads(request.body or b"")
        except (ValueError, UnicodeDecodeError):
            activity = None
        if not isinstance(activity, dict):
            return response.json({"error": "the body is not a JSON activity"}, status=400)
        try:
            await self.authenticator.authenticate(token, activity)
        except AuthError as e:
            return self._refuse(request, e.reason)
        except KeysUnavailable as e:
            logger.error("Bot Framework request not checked: %s", e)
            return response.json({"error": "cannot check tokens just now"}, status=503)
        try:
            await self.process(activity, on_new_message)
        except BadActivity as e:
            logger.warning("Bot Framework activity refused (400): %s", e)
            return response.json({"error": str(e)}, status=400)
        except Exception:
            logger.exception(
                "Bot Framework activity %s (%s) could not be handled",
                str(activity.get("id"))[:64],
                str(activity.get("type"))[:32],
            )
            return response.json({"error": "the activity could not be handled"}, status=500)
        return response.empty(status=200)

    @staticmethod
    def _refuse(request: Request, reason: str) -> HTTPResponse:
        logger.warning(
            "Bot Framework request refused (401) from %s: %s",
            request.remote_addr or request.ip,
            reason,
        )
        return response.json({"error": "unauthorized", "reason": reason}, status=401)

    async def process(
        self, activity: Mapping[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        kind = activity.get("type")
        if kind == "message":
            await self._message(activity, on_new_message)
        elif kind == "conversationUpdate":
            await self._conversation_update(activity)
        else:
            logger.debug("Bot Framework activity of type %r ignored", kind)

    def _output(self, activity: Mapping[str, Any], *, reply: bool = True) -> BotFrameworkOutput:
        _account_id(activity, "conversation")
        _account_id(activity, "recipient")
        return BotFrameworkOutput(activity, self.tokens, self.button_titles, reply=reply)

    async def _message(
        self, activity: Mapping[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        user = _account_id(activity, "from")
        output = self._output(activity)
        conversation = activity["conversation"]
        # a message Rasa could not take because the database or Redis is down: said in the
        # chat, and answered 200, so that the Bot Service does not resend it; any other failure
        # is answered 500, as before (bot/channels/failures.py)
        await failures.take(
            on_new_message,
            raise_unknown=True,
            message=UserMessage(
                text=self.message_text(activity),
                output_channel=output,
                sender_id=self.sender_id(activity),
                input_channel=self.name(),
                message_id=str(activity["id"]) if activity.get("id") else None,
                metadata={
                    "botframework": {
                        "channel_id": activity.get("channelId"),
                        "conversation_type": conversation.get("conversationType"),
                        # where a proactive message (the helpdesk's answer) goes later
                        "reference": conversation_reference(activity),
                    }
                },
            ),
        )
        logger.debug("Bot Framework message from %s handled", user)

    def message_text(self, activity: Mapping[str, Any]) -> str:
        """What Rasa gets: a card button's payload, a suggested action's payload, or the text."""
        value = activity.get("value")
        if isinstance(value, dict) and isinstance(value.get("payload"), str):
            if value["payload"].strip():
                return value["payload"]
        text = activity.get("text")
        text = _strip_mentions(text if isinstance(text, str) else "", activity)
        key = conversation_key(activity["conversation"]["id"], activity["from"]["id"])
        return self.button_titles.payload_for(key, text) or text

    @staticmethod
    def sender_id(activity: Mapping[str, Any]) -> str:
        """The user in a personal chat; the user *in this conversation* in a group chat or channel,
        so that a check started in a channel never continues in a personal chat, or the reverse."""
        user = activity["from"]["id"]
        conversation = activity["conversation"]
        if conversation.get("conversationType") in (None, "personal"):
            return user
        return conversation_key(conversation["id"], user)

    async def _conversation_update(self, activity: Mapping[str, Any]) -> None:
        bot_id = (activity.get("recipient") or {}).get("id")
        added = activity.get("membersAdded") or []
        if any(isinstance(m, dict) and m.get("id") == bot_id for m in added):
            await self._output(activity, reply=False).send_text_message("", WELCOME)
