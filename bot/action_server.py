"""The action server: rasa-sdk's endpoint for the ``actions`` package, bound to 127.0.0.1.

Loads the spaCy pipeline before it starts listening, so the first conversation does not wait
for it. ``python -m bot.action_server --port 5055``.
"""

from __future__ import annotations

import argparse
import logging
import os

from bot import settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--port", type=int, default=int(settings.get(settings.ACTIONS_PORT, "5055"))
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    os.environ.setdefault("SANIC_HOST", "127.0.0.1")

    from rasa_sdk import endpoint

    from bot import nlp

    nlp.get_nlp()  # warm up: importing spaCy (and thinc's TensorFlow check) takes seconds
    # Records kept while the database was unreachable: saved when it is back (in this, the
    # main process, also when Sanic runs several workers).
    from bot.records import default_repository
    from bot.records.outbox import start_retrying

    start_retrying(default_repository)
    endpoint.run("actions", port=args.port, cors_origins=None)


if __name__ == "__main__":
    main()
