"""The Teams channel Rasa mounts: the webhook in, the replies out (``botframework``).

Rasa 3.6's own channel blocks the event loop on every reply, answers 200 when handling fails, and
splits every paragraph into a message of its own. This one keeps its name (``botframework``:
webhook ``POST /webhooks/botframework/webhook``, health ``GET /webhooks/botframework/``) and:

* is off unless the app id and password are set (:mod:`bot.channels.teams.settings`): the
  webhook then answers 503 saying what to set;
* checks each request's token (:mod:`bot.channels.teams.auth`). A refused request answers 401
  with the reason and logs one WARNING line; signing keys that cannot be fetched answer 503; a
  body over 1 MiB answers 413; a body that is not a JSON activity, or an activity without the
  accounts the channel needs, answers 400; a failure while handling the message is logged with
  its traceback and answers 500 (a message Rasa could not take because the database or Redis is
  down is said in the chat and answered 200: :mod:`bot.channels.failures`);
* gives Rasa ``message`` activities only: a card button's payload, a suggested action's title
  mapped back to its payload, or the text; says hello when the bot is added to a conversation,
  and acknowledges every other activity (200);
* in group chats and channels strips the ``<at>bot</at>`` mention, and keeps each person's check
  apart from their personal chat with the bot (sender id ``{conversation id}|{user id}``);
* replies through :class:`BotFrameworkOutput`: drawn by :mod:`bot.channels.teams.cards`, posted
  to the Bot Connector by :mod:`bot.channels.teams.connector`; the helpdesk's answer is sent the
  same way, proactively (:func:`send_proactive`, registered with :mod:`bot.helpdesk.delivery`).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import coordination
from bot.channels import failures
from bot.channels.teams.auth import (
    Authenticator,
    AuthError,
    KeysUnavailable,
    SigningKeys,
    bearer_token,
)
from bot.channels.teams.cards import (
    ButtonTitles,
    button_fields,
    button_pairs,
    card_buttons,
    image_card,
    reply_card_activity,
    teams_text,
)
from bot.channels.teams.connector import (
    ConnectorTokens,
    activities_url,
    conversation_reference,
    post_activity,
    reference_activity,
)
from bot.channels.teams.settings import Settings
from bot.helpdesk import delivery
from bot.links import safe_message

logger = logging.getLogger(__name__)

CHANNEL = "botframework"
MAX_ACTIVITY_BYTES = 1024 * 1024  # Teams activities are a few KB

OFF_MESSAGE = (
    "The Microsoft Teams (Bot Framework) channel is off: set MICROSOFT_APP_ID and "
    "MICROSOFT_APP_PASSWORD in the environment of the Rasa server to turn it on."
)
WELCOME = (
    "Hello — I can help you decide whether to share information. Tell me what you want to "
    'share, with whom and why, or say "Can I share?".'
)

_AT_TAG = re.compile(r"</?at>", re.IGNORECASE)


# --- the output channel --------------------------------------------------------------------------


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
        Adaptive Card; everything else as Rasa's channels do. Links only to http, https and
        mailto addresses, as on every channel (bot/channels/output.py)."""
        message = safe_message(message)
        card = reply_card_activity(message)
        if card is not None:
            await self.send_custom_json(recipient_id, card)
            return
        await super().send_response(recipient_id, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send(self._message(text=teams_text(text), textFormat="markdown"))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        pairs = button_pairs(buttons)
        activity = self._message(text=teams_text(text), textFormat="markdown")
        activity.update(button_fields(pairs, self.user.get("id")))
        await self.send(activity, pairs)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.send(self._message(attachments=[image_card(image)]))

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        # Rasa's json_message is the action's: fill in who and where, keep the rest.
        activity = {**json_message, **self._message()}
        activity["type"] = json_message.get("type") or "message"
        await self.send(activity, card_buttons(activity))

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
        return activities_url(self.service_url, str(self.conversation["id"]))

    async def post(self, activity: dict[str, Any]) -> None:
        await post_activity(self.tokens, self.activities_url, activity)


async def send_proactive(
    reference: Mapping[str, Any],
    message: Mapping[str, Any],
    tokens: ConnectorTokens,
    titles: ButtonTitles,
) -> None:
    """Post ``message`` (text, buttons, card: as Rasa's output channels take it) to the
    conversation of a stored reference (``conversation_reference`` in the connector), not as a
    reply to any activity. Here, not in the connector, because Rasa's ``send_response`` on the
    output channel decides how the message is drawn."""
    output = BotFrameworkOutput(reference_activity(reference), tokens, titles, reply=False)
    user = str((reference.get("user") or {}).get("id") or "")
    await output.send_response(user, dict(message))


# --- the input channel ---------------------------------------------------------------------------


class BadActivity(ValueError):
    """An authenticated activity without the fields the channel needs (answered 400)."""


def tenant_of(activity: Mapping[str, Any]) -> str | None:
    """The activity's tenant: Teams puts it in the conversation and in channelData."""
    conversation = activity.get("conversation")
    channel_data = activity.get("channelData")
    tenant = conversation.get("tenantId") if isinstance(conversation, Mapping) else None
    if not tenant and isinstance(channel_data, Mapping):
        found = channel_data.get("tenant")
        tenant = found.get("id") if isinstance(found, Mapping) else None
    return str(tenant) if tenant else None


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
        refused = self.settings.allows(
            reply_to["serviceUrl"], (reply_to.get("conversation") or {}).get("tenantId")
        )
        if refused:
            logger.warning("the helpdesk's answer not posted to Teams: %s", refused)
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
        refused = self.settings.allows(activity.get("serviceUrl"), tenant_of(activity))
        if refused:  # signed by Microsoft, but for somewhere this deployment does not post to
            logger.warning("Bot Framework activity refused (403): %s", refused)
            return response.json({"error": refused}, status=403)
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
        text = self.message_text(activity)
        # as on the other channels: a message too long to read, or one over the limits (per
        # conversation and over all; not by address: Teams' messages all come from Microsoft),
        # is answered in the chat and not given to Rasa
        limit = failures.MAX_MESSAGE_LENGTH
        if len(text) > limit:
            await output.send_text_message(user, failures.too_long(limit).text)
            return
        allowed, retry = await coordination.rate_limiter().allow(self.sender_id(activity), None)
        if not allowed:
            await output.send_text_message(user, failures.slow_down(retry).text)
            return
        # a message Rasa could not take because the database or Redis is down: said in the
        # chat, and answered 200, so that the Bot Service does not resend it; any other failure
        # is answered 500, as before (bot/channels/failures.py)
        await failures.take(
            on_new_message,
            raise_unknown=True,
            message=UserMessage(
                text=text,
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
