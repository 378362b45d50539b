"""``python -m bot.rasa_runner run …``: Rasa's own command line, with the project's patches.

``bot/server.py`` (``make run``, the tests, ``make bench``) starts Rasa this way so that the fixes
in ``bot/rasa_patches.py`` are in place before Rasa loads anything. Any arguments are Rasa's.

Request bodies are capped at 1 MiB (Sanic's ``REQUEST_MAX_SIZE``, 100 MB by default; the same cap
as nginx's ``client_max_body_size`` in ``make run-cluster``): a larger body gets 413 before it is
read. ``SANIC_REQUEST_MAX_SIZE`` in the environment overrides it.

The HTTP API's token comes from the environment (``INFOSHARE_API_TOKEN``), not the command line,
which anyone on the machine can read (``ps``, ``/proc/<pid>/cmdline``): with ``--enable-api`` and no
``--auth-token``, it is handed to Rasa's command line parser inside this process. Files are made
private to the user (umask 077), and a secret key too weak to sign anything stops it at once.
"""

from __future__ import annotations

import os
import sys

from bot import settings
from bot.records.links import SECRET_ENV, secret_problem

MAX_REQUEST_BYTES = 1024 * 1024  # a Teams activity is a few KB, a REST message at most 5,000 chars


def rasa_arguments(args: list[str], token: str) -> list[str]:
    """Rasa's arguments, with ``--auth-token`` from ``token`` when the API is on without one."""
    if not token or "--enable-api" not in args:
        return list(args)
    if any(arg == "--auth-token" or arg.startswith("--auth-token=") for arg in args):
        return list(args)
    # one argument: a token may begin with "-" (token_urlsafe), which argparse would take for an
    # option
    return [*args, f"--auth-token={token}"]


def main(argv: list[str] | None = None) -> None:
    os.umask(0o077)  # the SQLite database, if Rasa creates it, and anything else: owner only
    secret = settings.get(SECRET_ENV)
    if secret and secret_problem(secret):
        sys.exit(f"error: {secret_problem(secret)}")
    os.environ.setdefault("SANIC_REQUEST_MAX_SIZE", str(MAX_REQUEST_BYTES))  # read by Sanic()
    from bot import rasa_patches

    rasa_patches.apply()
    from rasa.__main__ import main as rasa_main

    args = sys.argv[1:] if argv is None else argv
    sys.argv = ["rasa", *rasa_arguments(args, settings.get(settings.API_TOKEN))]
    rasa_main()


if __name__ == "__main__":
    main()
