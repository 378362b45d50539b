"""``python -m bot.rasa_runner run …``: Rasa's own command line, with the project's patches.

``bot/server.py`` (``make run``, the tests, ``make bench``) starts Rasa this way so that the fixes
in ``bot/rasa_patches.py`` are in place before Rasa loads anything. Any arguments are Rasa's.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from bot import rasa_patches

    rasa_patches.apply()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
