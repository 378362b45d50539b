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
import importlib.util
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Sequence
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("commands", nargs="+", help="shell-quoted commands, run one after another")
    args = parser.parse_args(argv)
    offset = int(os.environ.get("INFOSHARE_TEST_PORT_OFFSET") or 0)  # beside another suite
    failed = []
    with tempfile.TemporaryDirectory(prefix="infoshare-eval-") as tmp:
        servers, token = _bench().throwaway_servers(Path(tmp), 5405 + offset, 5455 + offset)
        servers.start(token)
        try:
            servers.wait_ready(timeout=300)
            env = {**os.environ, BASE: servers.url, TOKEN: token}
            for command in args.commands:
                print(f"$ {command}", flush=True)
                if subprocess.run(shlex.split(command), cwd=PROJECT, env=env).returncode:
                    failed.append(command)
        finally:
            servers.stop()
    for command in failed:
        print(f"FAILED: {command}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
