"""Practising trainer scenarios: the comparison with the model and the score (pure), the training
runs apart from the decision records (SQLite and PostgreSQL). Practice through the real servers
over REST and in Chromium: tests/e2e/test_training.py."""

from __future__ import annotations

import re

import pytest

from bot.nlp.commands import command_intent
from bot.protocol.opening import Opening, classify_opening
from bot.records import RecordRepository
from bot.training import load_scenarios
from bot.training.practice import (
    answered_now,
    asks_for_training,
    compare,
    feedback,
    find,
    scenario_number,
    score,
    summary,
)
from bot.training.runs import TrainingRuns, pseudonym
from bot.training.scenarios import slots as model_slots


@pytest.mark.parametrize(
    "text,asks,number",
    [
        ("training", True, None),
        ("Practise a case", True, None),
        ("scenario 7", True, 7),
        ("case study 3", True, 3),
        ('/start_training{"scenario": 4}', True, 4),
        ("Can I share her training records with the college?", False, None),
        ("the scenario is that her dad hits her", False, None),
    ],
)
def test_practice_is_asked_for_in_so_many_words(text, asks, number) -> None:
    assert asks_for_training(text) is asks
    assert scenario_number(text) == number


@pytest.mark.parametrize(
    "text",
    [
        "Can I share the case study notes about a looked-after child with the virtual school?",
        "I'd like to share a case study with the safeguarding board",
        "Can I send the case study to the trainer?",
        "Could I give the college a case study of a real family?",
        "can I disclose the practice exercise results to the cohort",
        "Is it ok to pass her training records to the new employer?",
        "Can I show the scenario we wrote about her to the DSL?",
        "can I copy the training lead into the email about the exercise",
        "Can the cohort tutor be told about her diagnosis?",
        "Should I forward the practice nurse's notes to the health visitor?",
        "Can I tell the trainer the name of the family in the case study?",
        "can i use a case study about a child on my caseload in a training session?",
    ],
)
def test_an_opening_that_asks_to_share_is_a_check_whatever_training_words_it_has(text) -> None:
    assert classify_opening(text) is Opening.CHECK
    assert not asks_for_training(text)  # at a question it is not a command either
    # the intent model's guess of practice is put right; its other guesses are left alone
    assert command_intent(text, "start_training") == "start_check"
    assert command_intent(text, "faq") is None


@pytest.mark.parametrize(
    "text",
    [
        "training",
        "start training",
        "can I practise a case study",
        "practise a scenario",
        "Scenario 7",
        "case study 3",
        "let's do some training",
        "join cohort ABC123",
        '/start_training{"scenario": 4}',
    ],
)
def test_practice_starts_only_when_asked_for(text) -> None:
    assert classify_opening(text) is Opening.PRACTICE
    assert command_intent(text, "start_check") == "start_training"


@pytest.mark.parametrize(
    "text", ["Hello", "what does consent mean?", "the scenario is that her dad hits her"]
)
def test_neither_a_check_nor_practice_is_left_to_the_intent_model(text) -> None:
    assert classify_opening(text) is Opening.OTHER
    assert command_intent(text, "start_training") is None


def test_the_nlu_component_turns_a_check_taken_for_practice_into_a_check() -> None:
    from rasa.shared.nlu.constants import INTENT, TEXT
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlp.commands import ContinueCommand

    def parsed(text: str, guess: str) -> str:
        message = Message({TEXT: text, INTENT: {"name": guess, "confidence": 0.9}})
        ContinueCommand().process([message])
        return message.get(INTENT)["name"]

    case_study = "Can I share the case study notes about a looked-after child with the school?"
    assert parsed(case_study, "start_training") == "start_check"
    assert parsed("can I practise a case study", "faq") == "start_training"
    assert parsed("continue ISD-000123 key ABCDE-FGHIJ", "start_check") == "continue_check"
    assert parsed("hello", "greet") == "greet"


def test_the_model_answers_score_full_marks_and_a_wrong_one_is_explained() -> None:
    for scenario in load_scenarios():
        result = score(scenario, model_slots(scenario))
        questions = [s for s in scenario.steps if s.question != "record"]
        assert (result.matched, result.total) == (len(questions), len(questions))
        assert result.path == list(scenario.expected.path) and result.differences == []
    police = find(1)  # consent not asked → unsafe to ask → public interest → …
    slots = dict(model_slots(police))
    slots["consent_unsafe"] = "no"  # the trainee would have asked the suspect: seek_consent
    # answers left over from the model's route are not the trainee's: they never reached them
    result = score(police, slots)
    # model steps before "record": purpose, identifiable, confidential, consent, consent_unsafe,
    # public_interest, appropriate = 7; the trainee matched the first 4 and never reached the
    # last two, so 4 of 7
    assert (result.matched, result.total) == (4, 7)
    assert [d.key for d in result.differences] == ["consent_unsafe"]
    assert result.path[-1] == "record" and "public_interest" not in result.path
    said = feedback(result.differences[0]).text
    assert 'you answered "No"; the model answer is "Yes"' in said
    assert "Golden Rule 4" in said and "3.17 - 3.37" in said and "\u201c" in said
    text = "\n".join(r.text for r in summary(result))
    assert "Score: 4 of 7" in text and "Model path: purpose" in text and "3.17 - 3.37" in text


def test_checklist_points_are_compared_one_by_one() -> None:
    scenario = find(10)  # inform_person: no_unsafe in the model
    point = next(
        p for p in next(s for s in scenario.steps if s.points).points if p.id == "inform_person"
    )
    assert compare(scenario, "appropriate.inform_person", point.answer) is None
    wrong = compare(scenario, "appropriate.inform_person", "yes")
    assert wrong and (wrong.given, wrong.model) == ("yes", "no_unsafe")
    assert compare(scenario, "appropriate.necessary", True) is None
    from bot.protocol import load_protocol

    checks_slot = load_protocol().checklist_question.checks_slot
    before = {checks_slot: {"necessary": True}}
    after = {checks_slot: {"necessary": True, "need_to_know": True}, "purpose": "yes"}
    assert sorted(answered_now(before, after)) == [
        ("appropriate.need_to_know", True),
        ("purpose", "yes"),
    ]


def test_training_runs_are_kept_apart_from_decision_records(engine) -> None:
    scenario = find(12)
    runs = TrainingRuns(engine)
    saved = runs.save(score(scenario, model_slots(scenario)), "conversation-1", cohort="ABC123")
    assert re.fullmatch(r"TRN-\d{6}", saved.reference)
    assert saved.trainee == pseudonym("conversation-1") != "conversation-1"
    assert (saved.matched, saved.total, saved.cohort) == (4, 4, "ABC123")
    assert [r.reference for r in runs.list(cohort="ABC123")] == [saved.reference]
    assert RecordRepository(engine).list() == []  # never a decision record
