"""Every page's HTML, from the Jinja2 templates in ``bot/web/templates/``.

One :class:`jinja2.Environment`, made on the first page rendered (nothing at import time), with
autoescape on: every value a template shows is HTML-escaped unless the code hands it over as
:class:`markupsafe.Markup` (the reports' sections and charts, built and escaped by
``bot/helpdesk/reports.py`` and ``bot/training/cohorts.py``). Every page extends ``base.html``:
``<html lang="en-GB">`` and the one stylesheet, :data:`STYLESHEET`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

# The one stylesheet (bot/web/static/style.css), served by the chat's static route (chat.py).
STATIC = "/chat/static"
STYLESHEET = f"{STATIC}/style.css"


def _shown(value: Any) -> Any:
    """What ``{{ value }}`` prints: nothing for None (never the word "None")."""
    return "" if value is None else value


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The templates' environment, made once."""
    environment = Environment(
        loader=PackageLoader("bot.web", "templates"),
        autoescape=select_autoescape(("html",), default_for_string=True, default=True),
        undefined=StrictUndefined,  # a misspelt name fails the page, never shows as ""
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_shown,
    )
    environment.globals.update(STYLESHEET=STYLESHEET, STATIC=STATIC)
    return environment


def render(template: str, **context: Any) -> str:
    """The page ``template`` (a name under ``bot/web/templates/``) with ``context``."""
    return environment().get_template(template).render(**context)
