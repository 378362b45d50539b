"""The action server: rasa-sdk's endpoint for the ``actions`` package, bound to 127.0.0.1.

Only Rasa may call it: every request but ``/health`` must carry the deployment's shared token
(``INFOSHARE_ACTIONS_TOKEN``; Rasa sends it as the ``token`` query parameter, ``endpoints.yml``'s
``action_endpoint.token``) and anything else gets 401. ``make run`` gives both servers the same
one (bot/server.py: generated into ``var/actions_token`` when it is not set; the Makefile sets a
fresh one at each command); the action server does not start without one, nor with a secret key
too weak to sign anything. What it writes (the records' outbox) is private to its user (umask 077).

Loads the spaCy pipeline before it starts listening, so the first conversation does not wait
for it. Runs the records outbox's retry and, once an hour, the retention job (bot/retention.py).
``python -m bot.action_server --port 5055``.
"""

from __future__ import annotations

import argparse
import functools
import hmac
import logging
import os
import sys
from typing import Any

from bot import settings

ACTIONS_TOKEN = settings.ACTIONS_TOKEN
TOKEN_PARAMETER = "token"  # rasa.utils.endpoints.EndpointConfig's default token_name
OPEN_PATHS = frozenset({"/health"})
NO_TOKEN = (
    f"{ACTIONS_TOKEN} is not set: the action server answers only Rasa, which sends that token. "
    "`make run` sets one for both; elsewhere set the same value for the "
    "action server and the Rasa servers (python3 -c 'import secrets; "
    "print(secrets.token_urlsafe(32))')."
)

logger = logging.getLogger(__name__)


def require_token(app: Any, token: str) -> None:
    """Refuse (401) every request to ``app`` but ``/health`` without ``token`` in its query."""
    from sanic import response

    expected = token.encode()

    @app.middleware("request")
    async def _only_rasa(request: Any) -> Any:
        if request.path in OPEN_PATHS:
            return None
        given = str(request.args.get(TOKEN_PARAMETER) or "").encode()
        if hmac.compare_digest(given, expected):
            return None
        logger.warning(
            "refused %s %s from %s: no valid token", request.method, request.path, request.ip
        )
        return response.json({"error": "the action server answers only Rasa"}, status=401)


def create_app(token: str) -> Any:
    """rasa-sdk's app for the ``actions`` package (no CORS: only Rasa calls it), token checked."""
    from rasa_sdk import endpoint
    from rasa_sdk.plugin import plugin_manager

    app = endpoint.create_app("actions", cors_origins=None)
    require_token(app, token)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--port", type=int, default=int(settings.get(settings.ACTIONS_PORT, "5055"))
    )
    args = parser.parse_args(argv)
    os.umask(0o077)  # the outbox and anything else it writes: owner only
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    token = settings.get(ACTIONS_TOKEN)
    if not token:
        sys.exit(f"error: {NO_TOKEN}")
    from bot.records.links import SECRET_ENV, secret_problem

    secret = settings.get(SECRET_ENV)
    if secret and secret_problem(secret):
        sys.exit(f"error: {secret_problem(secret)}")

    from bot import retention

    try:  # a wrong retention setting stops the start, before anything is loaded
        retention.Policy.from_settings()
    except ValueError as error:
        sys.exit(f"error: {error}")

    from rasa_sdk import utils

    from bot import nlp

    nlp.get_nlp()  # warm up: importing spaCy (and thinc's TensorFlow check) takes seconds
    # Records kept while the database was unreachable: saved when it is back (in this, the
    # main process, also when Sanic runs several workers).
    from bot.records import default_repository
    from bot.records.outbox import start_retrying

    start_retrying(default_repository)
    # Retention (docs/data-protection.md): what is past its period is deleted once an hour, in
    # this main process only; a failed run is logged and tried again the next hour.
    retention.start_hourly(functools.lru_cache(maxsize=1)(retention.engines))
    app = create_app(token)
    host = settings.get("SANIC_HOST", "127.0.0.1")
    logger.info("Action endpoint is up and running on http://%s:%s", host, args.port)
    # as rasa_sdk.endpoint.run does, with the app above
    app.run(host, args.port, workers=utils.number_of_sanic_workers())


if __name__ == "__main__":
    main()
