"""Replay: every shipped scenario's model answers typed into the real servers (REST), the
assistant's decision compared with the model's; the command's table and exit code."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
from support.servers import TOKEN

from bot.training import load_scenarios
from bot.training.replay import Assistant, replay, typed_answer

pytestmark = pytest.mark.e2e
PROJECT = Path(__file__).resolve().parents[2]


def test_answers_are_typed_as_words_never_payloads() -> None:
    for scenario in load_scenarios():
        for step in scenario.steps:
            typed = typed_answer(step)
            assert not typed.startswith("/") and len(typed.split()) >= 1


def test_every_scenario_is_replayed_as_the_model_through_the_command(chat) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "scenarios",
            "run",
            "--base",
            chat.base,
            "--token",
            TOKEN,
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    count = len(load_scenarios())
    assert f"{count} of {count} scenarios replayed as the model." in done.stdout
    # the decisions are real: each replay left a record
    replays = [r for r in chat.records() if r["conversation_id"].startswith("scenario-replay-")]
    assert len(replays) >= count


def test_a_model_that_the_assistant_does_not_follow_is_a_mismatch(chat) -> None:
    scenario = next(s for s in load_scenarios() if s.expected.outcome.value == "do_not_share")
    wrong = dataclasses.replace(
        scenario, expected=dataclasses.replace(scenario.expected, path=("purpose",))
    )
    result = replay(wrong, Assistant(chat.base, TOKEN))
    assert not result.ok and result.outcome == "do_not_share" and result.reference
    unreachable = replay(scenario, Assistant("http://127.0.0.1:9", TOKEN, timeout=2))
    assert not unreachable.ok and "could not be reached" in unreachable.problem
