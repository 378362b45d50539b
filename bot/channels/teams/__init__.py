"""Microsoft Teams through the Bot Framework: Rasa's ``botframework`` channel, made safe.

Rasa 3.6's own channel fetches Microsoft's signing keys with ``requests`` when it is created (a
server without internet cannot start), blocks the event loop on every reply, trusts the algorithm
the token names, checks neither the issuer nor the ``serviceurl`` claim, answers 200 when handling
fails, and splits every paragraph into a message of its own. This package keeps the channel's
name (``botframework``: webhook ``POST /webhooks/botframework/webhook``; ``credentials.yml``
mounts ``bot.channels.teams.BotFrameworkInput``), is off without ``MICROSOFT_APP_ID`` and
``MICROSOFT_APP_PASSWORD``, and fixes the rest (docs/teams.md), in layers, each importing only
those below it (an import-linter contract in ``pyproject.toml``):

- :mod:`~bot.channels.teams.channel` — the input and output channels: the webhook and its status
  codes, mentions, sender ids, the welcome, proactive sends;
- :mod:`~bot.channels.teams.connector` — the Bot Connector: client-credentials tokens, posting
  activities, conversation references for proactive messages;
- :mod:`~bot.channels.teams.auth` — who is calling: Microsoft's signing keys (fetched lazily,
  cached) and the token checks;
- :mod:`~bot.channels.teams.cards` — how a reply looks: markdown text, suggested actions, hero
  and Adaptive Cards, button titles mapped back to payloads (pure);
- :mod:`~bot.channels.teams.settings` — the settings, from the environment and
  ``credentials.yml``.
"""

from bot.channels.teams.cards import ADAPTIVE_CARD, ButtonTitles, card_activity, teams_text
from bot.channels.teams.channel import (
    CHANNEL,
    OFF_MESSAGE,
    WELCOME,
    BotFrameworkInput,
    BotFrameworkOutput,
    send_proactive,
)
from bot.channels.teams.connector import conversation_reference
from bot.channels.teams.settings import OPENID_URL, TOKEN_URL, Settings

__all__ = [
    "ADAPTIVE_CARD",
    "CHANNEL",
    "OFF_MESSAGE",
    "OPENID_URL",
    "TOKEN_URL",
    "WELCOME",
    "BotFrameworkInput",
    "BotFrameworkOutput",
    "ButtonTitles",
    "Settings",
    "card_activity",
    "conversation_reference",
    "send_proactive",
    "teams_text",
]
