"""Trainer scenarios through the command line (``infoshare scenarios validate`` and ``list``), run
as a subprocess; the scenarios themselves: tests/unit/test_scenarios.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def test_the_command_line_validates_and_lists(tmp_path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", "scenarios", *args],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    done = run("validate")
    assert done.returncode == 0 and "All scenarios are valid." in done.stdout
    listed = run("list")
    assert listed.returncode == 0 and "seek_advice" in listed.stdout
    broken = tmp_path / "12_capacity_unclear.yml"
    text = (PROJECT / "data/scenarios/12_capacity_unclear.yml").read_text()
    broken.write_text(text.replace("outcome: seek_advice", "outcome: share"))
    done = run("validate", str(broken))
    assert done.returncode == 1
    assert "the model answers lead to 'seek_advice', not 'share'" in done.stderr
