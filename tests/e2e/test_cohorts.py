"""Cohorts through the real servers (REST): a trainee joins a cohort in the chat, practises, and the
trainer gets the report from the command line; the trainer's choice of when the model answers are
shown. Codes, the report, xAPI and joining without servers: tests/integration/test_cohorts.py."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from bot.records import make_engine
from bot.training.cohorts import Cohorts
from bot.training.practice import find
from bot.training.runs import TrainingRuns

pytestmark = pytest.mark.e2e

PROJECT = Path(__file__).resolve().parents[2]


def test_a_trainee_joins_a_cohort_and_the_trainer_gets_the_report(chat) -> None:
    db = make_engine(chat.database_url)
    code = Cohorts(db).create("Classroom test").code
    sender = f"cohort-{uuid.uuid4().hex[:8]}"
    assert "There is no cohort" in chat.text(sender, "join cohort ZZZZZ9")
    joined = chat.text(sender, f"join cohort {code.lower()}")
    assert f"You have joined cohort {code}" in joined and "Practise a case" in joined
    chat.text(sender, "scenario 15")
    chat.text(sender, "yes, to tell parents about exclusions in general")
    finished = chat.text(sender, "not sure, there are so few pupils")
    assert "Score: 2 of 2" in finished
    (run,) = TrainingRuns(db).for_trainee(sender)
    assert run.cohort == code
    db.dispose()

    def cli(*args: str) -> str:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "bot.cli",
                "cohorts",
                *args,
                "--database-url",
                chat.database_url,
            ],
            cwd=PROJECT,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout

    rows = list(csv.reader(io.StringIO(cli("report", code, "--format", "csv"))))
    assert ["cohort", code, "runs", "1"] in rows
    assert "<svg" in cli("report", code)
    assert len(json.loads(cli("xapi", code))) == 2
    made = cli("create", "Another group")
    assert "join cohort" in made


def test_a_trainer_chooses_when_the_cohort_sees_the_model_answers(chat) -> None:
    from bot.training.practice import feedback_mode

    four = find(4)  # its file says: immediate
    assert feedback_mode(four).value == "immediate" and feedback_mode(four, "end").value == "end"
    db = make_engine(chat.database_url)
    code = Cohorts(db).create("Exam practice", feedback="end").code
    db.dispose()
    sender = f"exam-{uuid.uuid4().hex[:8]}"
    chat.text(sender, f"join cohort {code}")
    assert "You will see the model answers at the end." in chat.text(sender, "scenario 4")
    said = chat.text(sender, "yes, she is worried about her daughter")
    assert "the model answer is" not in said  # kept for the end, as the trainer chose
