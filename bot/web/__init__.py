"""The web apps on the Rasa server: the chat page and the records' printable summaries
(``/chat``), the helpdesk and records API (``/api``) and the helpdesk pages (``/helpdesk``).

One routes-only mount, :class:`bot.web.mount.WebApps` in ``credentials.yml``, registers them;
no messages go through it (the message channels are ``bot/channels/``). Every page renders
from the Jinja2 templates in ``templates/`` (:mod:`bot.web.pages`); ``static/`` holds the one
stylesheet and the scripts the pages load.
"""
