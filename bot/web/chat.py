"""The web chat page under ``/chat/``, and the records' printable summaries.

Mounted on the Rasa server by :class:`bot.web.mount.WebApps`. Serves the page, the widget script,
the rasa-webchat bundle (from ``web/node_modules``, installed by ``make install``; never from a
CDN), the pages' one stylesheet and the printable summary of a record.

Routes:

* ``GET /chat/`` — the page (``templates/chat.html``); ``GET /chat/widget.js`` — the script an
  intranet page embeds;
* ``GET /chat/static/<name>`` — a fixed list of files, nothing else from the disk: the bundle,
  ``style.css`` (every page's stylesheet; ``chat.css`` and ``record.css``, its old names, serve
  it too) and ``record.js``;
* ``GET /chat/records/<reference>?key=…`` — a record's printable summary (see
  :mod:`bot.records.links`, ``templates/record.html``); 404 for an unknown reference and for a
  wrong key alike.
"""

from __future__ import annotations

import asyncio
import logging
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.helpdesk import audit_log
from bot.protocol.model import Protocol
from bot.records import default_repository, links, normalise_reference
from bot.records.printable import printed
from bot.settings import PROJECT
from bot.web.pages import render
from bot.web.sessions import client_address

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
WEBCHAT_BUNDLE = PROJECT / "web" / "node_modules" / "rasa-webchat" / "lib" / "index.js"
STYLE = (STATIC_DIR / "style.css", "text/css; charset=utf-8")
JAVASCRIPT = "text/javascript; charset=utf-8"

# name → (file, content type). Only these are ever read from the disk.
STATIC: dict[str, tuple[Path, str]] = {
    "rasa-webchat.js": (WEBCHAT_BUNDLE, JAVASCRIPT),
    "style.css": STYLE,
    # the stylesheet's names before the pages shared one (a page saved then still finds it)
    "chat.css": STYLE,
    "record.css": STYLE,
    "record.js": (STATIC_DIR / "record.js", JAVASCRIPT),
}
WIDGET = STATIC_DIR / "widget.js"

# The page loads nothing from elsewhere: rasa-webchat's stylesheet @imports a web font from
# Google, which this policy blocks (the page uses the system fonts). Socket.io talks to 'self'.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws: wss:; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
RECORD_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# Read-only: Sanic's redirect() writes Location into the headers it is given (a shared dict
# once made every later page carry the last redirect's Location).
COMMON_HEADERS = MappingProxyType(
    {
        "X-Content-Type-Options": "nosniff",
        # The summary's address carries its key: never send it on to another site.
        "Referrer-Policy": "no-referrer",
    }
)

NOT_INSTALLED = (
    "The web chat's files are not installed: run `make install` (it runs `npm ci` in web/)."
)
SUMMARIES_OFF = f"Printable summaries are off: set {links.SECRET_ENV} ({links.SECRET_REQUIREMENT})."
DATABASE_DOWN = "The records database cannot be reached just now. Try again shortly."
NO_RECORD = (
    "No record here: the reference or its key is wrong. Use the link the chat "
    "gave you at the end of the check."
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


def _file(path: Path, content_type: str) -> HTTPResponse:
    try:
        body = _read(path)
    except OSError:
        logger.error("web chat file missing: %s", path)
        return response.text(NOT_INSTALLED, status=503, headers=COMMON_HEADERS)
    headers = {**COMMON_HEADERS, "Cache-Control": "public, max-age=300"}
    return response.raw(body, content_type=content_type, headers=headers)


def render_record(record: Any, protocol: Protocol | None = None) -> str:
    """The printable summary of ``record``: the whole HTML document."""
    return render("record.html", record=printed(record, protocol))


def find_record(reference: str, key: str) -> Any:
    """The record ``reference`` if ``key`` opens it, else None (blocking: run it off the loop)."""
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


async def index(request: Request) -> HTTPResponse:
    if not request.path.endswith("/"):
        return response.redirect("/chat/")
    headers = {
        **COMMON_HEADERS,
        "Cache-Control": "no-cache",
        "Content-Security-Policy": PAGE_POLICY,
    }
    return response.html(render("chat.html"), headers=headers)


async def widget(_: Request) -> HTTPResponse:
    return _file(WIDGET, JAVASCRIPT)


async def static(_: Request, name: str) -> HTTPResponse:
    if name not in STATIC:
        return response.text("Not found.", status=404, headers=COMMON_HEADERS)
    return _file(*STATIC[name])


async def record(request: Request, reference: str) -> HTTPResponse:
    headers = {
        **COMMON_HEADERS,
        "Cache-Control": "no-store",
        "Content-Security-Policy": RECORD_POLICY,
    }
    if not links.secret_key():
        return response.text(SUMMARIES_OFF, status=503, headers=headers)
    key = request.args.get("key", "")
    loop = asyncio.get_running_loop()
    try:
        found = await loop.run_in_executor(None, find_record, reference[:64], key[:128])
    except Exception:  # noqa: BLE001 - the database is down: say so, log why
        logger.exception("reading record %r for its printable summary failed", reference)
        return response.text(DATABASE_DOWN, status=503, headers=headers)
    if found is None:
        logger.info("printable summary refused: unknown reference or wrong key")
        return response.text(NO_RECORD, status=404, headers=headers)
    try:  # the read is logged, or the record is not shown (bot/helpdesk/audit.py)
        await loop.run_in_executor(
            None,
            audit_log().add,
            "link",
            "record.read",
            found.reference,
            "printable summary",
            client_address(request),
        )
    except Exception:  # noqa: BLE001
        logger.exception("logging the read of %s failed", found.reference)
        return response.text(DATABASE_DOWN, status=503, headers=headers)
    return response.html(render_record(found), headers=headers)


def blueprint() -> Blueprint:
    """The chat's routes at ``/chat``."""
    page = Blueprint("infoshare_chat_page", url_prefix="/chat")
    page.add_route(index, "/", methods=["GET"], strict_slashes=False)
    page.add_route(widget, "/widget.js", methods=["GET"])
    page.add_route(static, "/static/<name:str>", methods=["GET"])
    page.add_route(record, "/records/<reference:str>", methods=["GET"])
    return page
