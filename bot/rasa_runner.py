"""``python -m bot.rasa_runner run …``: Rasa's own command line, with the project's patches.

``bot/server.py`` (``make run``, the tests, ``make bench``) starts Rasa this way so that the fixes
in ``bot/rasa_patches.py`` are in place before Rasa loads anything. Any arguments are Rasa's.

Request bodies are capped at 1 MiB (Sanic's ``REQUEST_MAX_SIZE``, 100 MB by default; the same cap
as nginx's ``client_max_body_size`` in ``make run-cluster``): a larger body gets 413 before it is
read. ``SANIC_REQUEST_MAX_SIZE`` in the environment overrides it.
"""

from __future__ import annotations

import os
import sys

MAX_REQUEST_BYTES = 1024 * 1024  # a Teams activity is a few KB, a REST message at most 5,000 chars


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("SANIC_REQUEST_MAX_SIZE", str(MAX_REQUEST_BYTES))  # read by Sanic()
    from bot import rasa_patches

    rasa_patches.apply()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
