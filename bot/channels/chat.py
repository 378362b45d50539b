"""The web chat page, served by the Rasa server itself under ``/chat/``.

A Rasa input channel that carries no messages: its blueprint serves the page, the widget script,
the rasa-webchat bundle (from ``web/node_modules``, installed by ``make install``; never from a
CDN) and the printable summary of a record. Mounted at ``/chat`` rather than
``/webhooks/chat`` so that the address is short (Rasa joins the channel's ``url_prefix`` to
``/webhooks/``, and an absolute prefix replaces it).

Routes:

* ``GET /chat/`` — the page; ``GET /chat/widget.js`` — the script an intranet page embeds;
* ``GET /chat/static/<name>`` — a fixed list of files, nothing else from the disk;
* ``GET /chat/records/<reference>?key=…`` — a record's printable summary (see
  :mod:`bot.records.links`); 404 for an unknown reference and for a wrong key alike.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.helpdesk import audit_log
from bot.records import links

logger = logging.getLogger(__name__)

PROJECT = Path(__file__).resolve().parent.parent.parent
WEB = PROJECT / "web"
WEBCHAT_BUNDLE = WEB / "node_modules" / "rasa-webchat" / "lib" / "index.js"

# name → (file, content type). Only these are ever read from the disk.
STATIC: dict[str, tuple[Path, str]] = {
    "rasa-webchat.js": (WEBCHAT_BUNDLE, "text/javascript; charset=utf-8"),
    "chat.css": (WEB / "chat" / "chat.css", "text/css; charset=utf-8"),
    "record.css": (WEB / "chat" / "record.css", "text/css; charset=utf-8"),
    "record.js": (WEB / "chat" / "record.js", "text/javascript; charset=utf-8"),
}

# The page loads nothing from elsewhere: rasa-webchat's stylesheet @imports a web font from
# Google, which this policy blocks (the page uses the system fonts). Socket.io talks to 'self'.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws: wss:; "
    "object-src 'none'; base-uri 'none'; form-action 'none'"
)
RECORD_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # The summary's address carries its key: never send it on to another site.
    "Referrer-Policy": "no-referrer",
}

NOT_INSTALLED = (
    "The web chat's files are not installed: run `make install` (it runs `npm ci` in web/)."
)


# rasa-webchat's stylesheet loads a web font from Google: the bundle is served without that line
# (the page uses the system fonts), so no visitor's browser calls Google.
THIRD_PARTY_IMPORTS = (
    b"@import url(https://fonts.googleapis.com/css?family=Inter:400,500,700&display=swap);",
)


def _read(path: Path) -> bytes:
    return _read_version(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=16)
def _read_version(path: Path, mtime_ns: int) -> bytes:
    """A file's bytes, read once per version (the bundle is 700 KB and rewritten on reading)."""
    body = path.read_bytes()
    if path == WEBCHAT_BUNDLE:
        for line in THIRD_PARTY_IMPORTS:
            body = body.replace(line, b"")
    return body


def _file(path: Path, content_type: str, *, cache: bool = True) -> HTTPResponse:
    try:
        body = _read(path)
    except OSError:
        logger.error("web chat file missing: %s", path)
        return response.text(NOT_INSTALLED, status=503, headers=COMMON_HEADERS)
    headers = {**COMMON_HEADERS, "Cache-Control": "public, max-age=300" if cache else "no-cache"}
    return response.raw(body, content_type=content_type, headers=headers)


def find_record(reference: str, key: str) -> Any:
    """The record ``reference`` if ``key`` opens it, else None (blocking: run it off the loop)."""
    from bot.records import default_repository, normalise_reference

    secret = links.secret_key()
    canonical = normalise_reference(reference)
    if not secret or not canonical or not key:
        return None
    record = default_repository().get(canonical)
    if record is None or not links.key_matches(
        key, record.reference, record.conversation_id, secret
    ):
        return None
    return record


class ChatPage(InputChannel):
    """Serves the web chat page and the records' printable summaries (no messages)."""

    @classmethod
    def name(cls) -> str:
        return "chat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    def url_prefix(self) -> str:
        return "/chat"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        page = Blueprint("infoshare_chat_page", __name__)

        @page.route("/", methods=["GET"], strict_slashes=False)
        async def index(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):
                return response.redirect("/chat/")
            reply = _file(WEB / "chat" / "index.html", "text/html; charset=utf-8", cache=False)
            reply.headers["Content-Security-Policy"] = PAGE_POLICY
            return reply

        @page.route("/widget.js", methods=["GET"])
        async def widget(_: Request) -> HTTPResponse:
            return _file(WEB / "chat" / "widget.js", "text/javascript; charset=utf-8")

        @page.route("/static/<name:str>", methods=["GET"])
        async def static(_: Request, name: str) -> HTTPResponse:
            if name not in STATIC:
                return response.text("Not found.", status=404, headers=COMMON_HEADERS)
            return _file(*STATIC[name])

        @page.route("/records/<reference:str>", methods=["GET"])
        async def record(request: Request, reference: str) -> HTTPResponse:
            from bot.records.printable import render_record

            headers = {
                **COMMON_HEADERS,
                "Cache-Control": "no-store",
                "Content-Security-Policy": RECORD_POLICY,
            }
            if not links.secret_key():
                return response.text(
                    f"Printable summaries are off: set {links.SECRET_ENV} (16 characters or more).",
                    status=503,
                    headers=headers,
                )
            key = request.args.get("key", "")
            loop = asyncio.get_running_loop()
            try:
                found = await loop.run_in_executor(None, find_record, reference[:64], key[:128])
            except Exception:  # noqa: BLE001 - the database is down: say so, log why
                logger.exception("reading record %r for its printable summary failed", reference)
                return response.text(
                    "The records database cannot be reached just now. Try again shortly.",
                    status=503,
                    headers=headers,
                )
            if found is None:
                logger.info("printable summary refused: unknown reference or wrong key")
                return response.text(
                    "No record here: the reference or its key is wrong. Use the link the chat "
                    "gave you at the end of the check.",
                    status=404,
                    headers=headers,
                )
            try:  # the read is logged, or the record is not shown (bot/helpdesk/audit.py)
                await loop.run_in_executor(
                    None,
                    audit_log().add,
                    "link",
                    "record.read",
                    found.reference,
                    "printable summary",
                    request.remote_addr or request.ip,
                )
            except Exception:  # noqa: BLE001
                logger.exception("logging the read of %s failed", found.reference)
                return response.text(
                    "The records database cannot be reached just now. Try again shortly.",
                    status=503,
                    headers=headers,
                )
            return response.html(render_record(found), headers=headers)

        return page
