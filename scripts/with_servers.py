#!/usr/bin/env python3
"""Start throw-away servers once and run several evaluations against them.

``make test-reading`` runs the openings, the held-out answers and the red-team answers; each
script can start servers of its own, but one start serves them all (a start is the slow part).
The servers get a new SQLite database and runtime directory in a temporary directory
(``scripts/bench.py``'s ``throwaway_servers``); each command runs with ``INFOSHARE_EVAL_BASE``
and ``INFOSHARE_EVAL_TOKEN`` in its environment, which the evaluation scripts take as their
``--base`` and ``--token``. Every command runs, even after one fails; the exit status is 1 when
any failed.

    scripts/with_servers.py "python scripts/openings_eval.py" "python scripts/reading_eval.py"
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
BASE = "INFOSHARE_EVAL_BASE"
TOKEN = "INFOSHARE_EVAL_TOKEN"


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("infoshare_bench", PROJECT / "scripts/bench.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def throwaway(rasa_port: int = 5405, actions_port: int = 5455) -> Iterator[tuple[str, str]]:
    """Both servers on a new SQLite database in a temporary directory, on ports near these
    (moved by ``INFOSHARE_TEST_PORT_OFFSET``, to run beside another suite): (url, API token)
    while they run."""
    offset = int(os.environ.get("INFOSHARE_TEST_PORT_OFFSET") or 0)
    with tempfile.TemporaryDirectory(prefix="infoshare-eval-") as tmp:
        servers, token = _bench().throwaway_servers(
            Path(tmp), rasa_port + offset, actions_port + offset
        )
        servers.start(token)
        try:
            servers.wait_ready(timeout=300)
            yield servers.url, token
        finally:
            servers.stop()


def server_options(parser: argparse.ArgumentParser) -> None:
    """An evaluation's ``--base`` and ``--token``: running servers (by default the ones this
    script started for it), else the evaluation starts throw-away ones (:func:`throwaway`)."""
    parser.add_argument(
        "--base",
        default=os.environ.get(BASE),
        help=f"a running Rasa server (default: ${BASE}, set by scripts/with_servers.py; "
        "else start throw-away ones)",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get(TOKEN, ""),
        help=f"its HTTP API token, for the tracker (default: ${TOKEN})",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("commands", nargs="+", help="shell-quoted commands, run one after another")
    args = parser.parse_args(argv)
    failed = []
    with throwaway() as (url, token):
        env = {**os.environ, BASE: url, TOKEN: token}
        for command in args.commands:
            print(f"$ {command}", flush=True)
            if subprocess.run(shlex.split(command), cwd=PROJECT, env=env).returncode:
                failed.append(command)
    for command in failed:
        print(f"FAILED: {command}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
