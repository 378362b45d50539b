"""Cohorts: codes, the cohort report checked against hand-computed figures, the xAPI export, the
words that join one. A trainee joining a cohort in the chat and the command line's report:
tests/e2e/test_cohorts.py."""

from __future__ import annotations

import csv
import io
import json

import pytest

from bot.training.cohorts import (
    CODE_ALPHABET,
    CohortError,
    Cohorts,
    render_csv,
    render_html,
    report,
    xapi_statements,
)
from bot.training.practice import asks_for_training, cohort_code, find, score
from bot.training.runs import TrainingRuns, pseudonym
from bot.training.scenarios import slots as model_slots


def _runs(engine, code: str) -> None:
    """Three runs in the cohort and one outside it.

    A (trainee 1, scenario 12): the model's answers — purpose, identifiable, confidential,
      consent all as the model: 4 of 4.
    B (trainee 2, scenario 12): consent "yes" where the model is "not sure": 3 of 4.
    C (trainee 1, scenario 15): purpose "no" where the model is "yes"; identifiable never
      reached: 0 of 2.
    """
    runs = TrainingRuns(engine)
    twelve, fifteen = find(12), find(15)
    runs.save(score(twelve, model_slots(twelve)), "conv-1", cohort=code)
    runs.save(score(twelve, {**model_slots(twelve), "consent": "yes"}), "conv-2", cohort=code)
    runs.save(score(fifteen, {"purpose": "no", "reasons": "r", "record": "yes"}), "conv-1", code)
    runs.save(score(twelve, model_slots(twelve)), "conv-3", cohort=None)


def test_codes_are_short_readable_and_unique(engine) -> None:
    cohorts = Cohorts(engine)
    made = {cohorts.create(f"Induction {n}").code for n in range(20)}
    assert len(made) == 20
    assert all(len(c) == 6 and set(c) <= set(CODE_ALPHABET) for c in made)
    code = next(iter(made))
    assert cohorts.get(code.lower()).code == code and cohorts.get("NOPE00") is None
    with pytest.raises(CohortError, match="name"):
        cohorts.create("   ")


def test_the_report_matches_the_hand_count(engine) -> None:
    code = Cohorts(engine).create("Spring induction").code
    _runs(engine, code)
    result = report(engine, code)
    assert result.runs == 3  # the run outside the cohort is not counted
    shares = {q.question: (q.answered, q.as_model) for q in result.questions}
    # purpose: A yes, B yes, C no → 3 answered, 2 as the model; identifiable and confidential:
    # A and B only (C never reached them) → 2, 2; consent: A as the model, B not → 2, 1
    assert shares == {
        "purpose": (3, 2),
        "identifiable": (2, 2),
        "confidential": (2, 2),
        "consent": (2, 1),
    }
    # scenario 15: one run at 0/2 → 0; scenario 12: (4/4 + 3/4) / 2 = 0.875 → 15 diverges most
    assert [(n, count, share) for n, _, count, share in result.scenarios] == [
        (15, 1, 0.0),
        (12, 2, 0.875),
    ]
    # trainee 1: runs A and C, 4 + 0 of 4 + 2; trainee 2: run B, 3 of 4
    assert {t: (runs, m, total) for t, runs, m, total in result.trainees} == {
        pseudonym("conv-1"): (2, 4, 6),
        pseudonym("conv-2"): (1, 3, 4),
    }
    page = render_html(result)
    assert "<svg" in page and "67%" in page and "Spring induction" in page
    assert "conv-1" not in page  # pseudonyms only
    rows = list(csv.reader(io.StringIO(render_csv(result))))
    assert ["question", "consent", "as_model", "1"] in rows
    assert ["scenario", "12", "mean_score", "0.875"] in rows
    with pytest.raises(CohortError, match="no cohort"):
        report(engine, "ZZZZZZ")


def test_xapi_has_one_statement_per_key_question_answered(engine) -> None:
    code = Cohorts(engine).create("xAPI").code
    _runs(engine, code)
    statements = xapi_statements(engine, code, "https://share.example.org")
    # A: 4 questions, B: 4, C: 1 (purpose only) = 9
    assert len(statements) == 9
    assert sum(s["result"]["success"] for s in statements) == 4 + 3 + 0
    first = statements[0]
    assert first["verb"]["id"] == "http://adlnet.gov/expapi/verbs/answered"
    assert first["actor"]["account"] == {
        "homePage": "https://share.example.org",
        "name": pseudonym("conv-1"),
    }
    assert first["object"]["id"].startswith("https://share.example.org/scenarios/")
    assert len({s["id"] for s in statements}) == 9  # stable, distinct ids
    assert json.loads(json.dumps(statements)) == statements


def test_joining_is_said_in_so_many_words() -> None:
    assert asks_for_training("join cohort kx7p2m") and cohort_code("join cohort kx7p2m") == "KX7P2M"
    assert cohort_code("join the cohort AB3CDE") == "AB3CDE"
    assert not asks_for_training("we will join the cohort meeting on Friday")
