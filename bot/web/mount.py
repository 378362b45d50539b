"""The web apps' one mount on the Rasa server: :class:`WebApps`, listed once in
``credentials.yml``.

Rasa's server takes routes only from input channels, so the pages and the API come in as one
channel that carries no messages: its blueprint registers the chat's (:mod:`bot.web.chat`,
``/chat``), the API's (:mod:`bot.web.api`, ``/api``) and the helpdesk's
(:mod:`bot.web.helpdesk`, ``/helpdesk``), each at its own prefix rather than under
``/webhooks/``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint

from bot.web import api, chat, helpdesk


class _AtTheirOwnPrefixes(Blueprint):
    """A blueprint that registers other blueprints, each at its own ``url_prefix``.

    Rasa registers a channel's blueprint with ``url_prefix=`` the channel's prefix joined to
    ``/webhooks/``; Sanic would put that in front of every route of a group, or replace each
    blueprint's own prefix with it. This one takes no prefix and registers its parts as they
    are."""

    def __init__(self, name: str, parts: list[Blueprint]) -> None:
        super().__init__(name)
        self.ctx.parts = parts

    def register(self, app: Any, options: dict) -> None:
        super().register(app, {})  # nothing of its own: no routes, no listeners
        for part in self.ctx.parts:
            app.blueprint(part)
        # Rasa's HTTP API reads whole conversations: each call audited (bot/web/api.py)
        app.register_middleware(api.audit_rasa_api, "request")


class WebApps(InputChannel):
    """The chat page and printable summaries, the API and the helpdesk pages (no messages)."""

    @classmethod
    def name(cls) -> str:
        return "web"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    def url_prefix(self) -> str:
        return "/"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return _AtTheirOwnPrefixes(
            "infoshare_web", [chat.blueprint(), api.blueprint(), helpdesk.blueprint()]
        )
