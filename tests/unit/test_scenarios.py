"""Trainer scenarios (``data/scenarios/*.yml``): every shipped scenario is valid, the kinds of case
trainers need are there, and a broken scenario gets a clear message saying where and what."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.protocol import Outcome, load_protocol, record_path, walk
from bot.training.scenarios import (
    DEFAULT_DIR,
    Feedback,
    InvalidScenarios,
    Problem,
    Scenario,
    feedback_for,
    load_scenarios,
    slots,
    validate,
)

PROTOCOL = load_protocol()
SCENARIOS = load_scenarios()
DRIVER = "03_unsafe_driver.yml"  # consent refused, public interest: share
REFUSES = "06_competent_adult_refuses.yml"  # consent refused, no public interest: do not share


def _answers(scenario: Scenario) -> dict[str, str]:
    return {step.question: step.answer for step in scenario.steps}


# --- the shipped scenarios ---------------------------------------------------------------------


def test_every_shipped_scenario_is_valid() -> None:
    problems = validate()
    assert problems == [], "\n".join(str(p) for p in problems)


def test_there_are_at_least_15_with_unique_ids_and_numbers() -> None:
    assert len(SCENARIOS) >= 15
    assert len({s.id for s in SCENARIOS}) == len(SCENARIOS)
    assert sorted(s.number for s in SCENARIOS) == list(range(1, len(SCENARIOS) + 1))
    assert len(list(DEFAULT_DIR.glob("*.yml"))) == len(SCENARIOS)


def test_the_settings_trainers_asked_for_are_covered() -> None:
    settings = {s.setting for s in SCENARIOS}
    assert {
        "police",
        "school",
        "health",
        "housing",
        "adult_social_care",
        "children_social_care",
        "voluntary_sector",
    } <= settings
    assert {s.feedback for s in SCENARIOS} == set(Feedback)


def _kinds() -> dict[str, list[str]]:
    kinds: dict[str, list[str]] = {}

    def add(kind: str, scenario: Scenario) -> None:
        kinds.setdefault(kind, []).append(scenario.id)

    for s in SCENARIOS:
        answers, outcome = _answers(s), s.expected.outcome
        add(outcome.value, s)
        if outcome is Outcome.SHARE and answers.get("public_interest") == "yes":
            add("share in the public interest", s)
        if outcome is Outcome.SHARE and answers.get("consent") == "no":
            add("consent refused, public interest overrides", s)
        if outcome is Outcome.DO_NOT_SHARE and answers.get("public_interest") == "no":
            add("competent adult refuses, no public interest", s)
        if answers.get("identifiable") == "no" and outcome is Outcome.SHARE:
            add("not identifiable", s)
        if answers.get("confidential") == "no":
            add("not confidential", s)
        if answers.get("consent_unsafe") == "yes":
            add("consent unsafe to seek", s)
        if answers.get("consent") == "yes":
            add("with consent", s)
        if answers.get("purpose") == "no":
            add("no clear purpose", s)
    return kinds


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("seek_advice", None),
        ("seek_consent", ["purpose", "identifiable", "confidential", "consent", "consent_unsafe"]),
        ("share in the public interest", None),
        ("consent refused, public interest overrides", None),
        ("competent adult refuses, no public interest", None),
        ("not identifiable", ["purpose", "identifiable", "appropriate", "record"]),
        ("not confidential", ["purpose", "identifiable", "confidential", "appropriate", "record"]),
        ("consent unsafe to seek", None),
        ("with consent", None),
        ("do_not_share", None),
        ("no clear purpose", ["purpose", "record"]),
    ],
)
def test_the_required_kinds_of_case_are_present(kind: str, path: list[str] | None) -> None:
    found = _kinds().get(kind)
    assert found, f"no scenario of the kind {kind!r}"
    if path:
        by_id = {s.id: s for s in SCENARIOS}
        assert any(list(by_id[i].expected.path)[: len(path)] == path for i in found)


def test_the_named_cases_are_there() -> None:
    ids = {s.id for s in SCENARIOS}
    for wanted in (
        "police_request",
        "school_transition",
        "unsafe_driver",
        "adult_at_risk",
        "competent_adult_refuses",
        "anonymised_figures",
        "house_fire",
        "domestic_abuse_refusal",
        "child_disclosure",
        "early_help_consent",
        "capacity_unclear",
        "onward_sharing",
        "befriending_charity",
    ):
        assert wanted in ids


def test_seek_advice_paths_end_at_the_question_answered_not_sure() -> None:
    for s in SCENARIOS:
        if s.expected.outcome is Outcome.SEEK_ADVICE:
            assert s.steps[-1].answer == "not_sure"
            assert s.expected.path[-1] == s.steps[-1].question
        else:
            assert s.expected.path[-1] == "record"


def test_onward_sharing_and_limits_of_consent_matter_in_the_onward_sharing_case() -> None:
    scenario = next(s for s in SCENARIOS if s.id == "onward_sharing")
    step = feedback_for(scenario, "appropriate")
    assert step is not None
    onward, limits = step.point("onward_limits"), step.point("consent_limits")
    assert onward and "parents" in onward.reason
    assert limits and "not to her parents" in limits.reason


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_the_model_answers_replay_through_the_engine(scenario: Scenario) -> None:
    values = slots(scenario)
    result = walk(values)
    assert result.outcome is scenario.expected.outcome
    assert tuple(record_path(values)) == scenario.expected.path
    for context in PROTOCOL.context:
        assert values[context.id] == getattr(scenario.context, context.id)
    for question_id in scenario.expected.path:
        step = feedback_for(scenario, question_id)
        assert step is not None and step.reason and step.quote.text
    assert feedback_for(scenario, "no_such_question") is None


def test_slots_fill_the_checklist_the_justification_and_the_record() -> None:
    scenario = next(s for s in SCENARIOS if s.id == "police_request")
    values = slots(scenario)
    checklist = PROTOCOL.checklist_question
    assert values[checklist.id] == "yes"
    assert values[checklist.checks_slot] == {
        "necessary": True,
        "need_to_know": True,
        "accurate": True,
        "consent_limits": True,
        "secure": True,
        "onward_limits": True,
        "inform_person": "no_inappropriate",
    }
    assert values["public_interest_reason"].startswith("A serious assault")
    assert values[PROTOCOL.record.reasons_slot].startswith("Record what you shared")
    assert values[PROTOCOL.record.id] == "yes"


def test_a_paraphrase_keeps_its_source() -> None:
    scenario = next(s for s in SCENARIOS if s.id == "capacity_unclear")
    quote = scenario.steps[-1].quote
    assert quote.source and "should be ought" in quote.source
    assert "should be sought" in quote.text


def test_an_explicit_section_is_kept() -> None:
    scenario = next(s for s in SCENARIOS if s.id == "small_numbers")
    assert scenario.steps[-1].quote.section == "golden_rules"
    assert scenario.steps[0].quote.section == "question_1"


# --- broken copies get clear errors ----------------------------------------------------------


def _broken(tmp_path: Path, name: str, old: str, new: str) -> list[Problem]:
    """Validate a copy of a shipped scenario with ``old`` replaced by ``new``."""
    text = (DEFAULT_DIR / name).read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not in {name} exactly once"
    (tmp_path / name).write_text(text.replace(old, new), encoding="utf-8")
    return validate(tmp_path)


def _messages(problems: list[Problem]) -> list[str]:
    return [f"{p.where}: {p.message}" for p in problems]


@pytest.mark.parametrize(
    ("name", "old", "new", "expected"),
    [
        pytest.param(
            DRIVER,
            "outcome: share",
            "outcome: do_not_share",
            "expected.outcome: the model answers lead to 'share', not 'do_not_share'",
            id="wrong outcome",
        ),
        pytest.param(
            DRIVER,
            "path: [purpose, identifiable, confidential, consent, public_interest, appropriate",
            "path: [purpose, identifiable, confidential, consent, appropriate",
            "expected.path: the model answers follow the path ['purpose', 'identifiable', "
            "'confidential', 'consent', 'public_interest', 'appropriate', 'record'], not "
            "['purpose', 'identifiable', 'confidential', 'consent', 'appropriate', 'record']",
            id="wrong path",
        ),
        pytest.param(
            DRIVER,
            "    quote: What is the outcome you are trying to achieve?",
            "    quote: The outcome matters more than anything else in the guidance.",
            "model[0].quote: quote not found in question_1 (not in the guidance): "
            "'The outcome matters more than anything else in the guidance.'",
            id="made-up quote",
        ),
        pytest.param(
            DRIVER,
            "    quote: What is the outcome you are trying to achieve?",
            "    quote: You do not always need consent to share personal information.",
            "model[0].quote: quote not found in question_1 (elsewhere in the guidance)",
            id="quote from another question",
        ),
        pytest.param(
            "12_capacity_unclear.yml",
            "      text: >-\n        You will need to consider whose consent should be sought.",
            "      text: >-\n        Consent is never needed when a sister asks politely.",
            "model[3].quote: quote paraphrase keeps",
            id="unfaithful paraphrase",
        ),
        pytest.param(
            DRIVER,
            "    quote: What is the outcome you are trying to achieve?",
            "    section: question_5\n    quote: What is the outcome you are trying to achieve?",
            "model[0].section: a quote for question 'purpose' comes from its own section "
            "(question_1) or from introduction, myth_buster, golden_rules; not 'question_5'",
            id="quote from a section not allowed",
        ),
        pytest.param(
            DRIVER,
            "    quote: What is the outcome you are trying to achieve?",
            "    quote: What is the outcome?",
            "model[0].quote: too short to show where it comes from: quote at least 5 words",
            id="quote too short",
        ),
        pytest.param(
            DRIVER,
            'paragraphs: "3.10 - 3.11"',
            'paragraphs: "3.12 - 3.16"',
            "model[1].paragraphs: paragraphs '3.12 - 3.16' are not those of question "
            "'identifiable': hmg2008.yml gives '3.10 - 3.11'",
            id="wrong paragraph range",
        ),
        pytest.param(
            DRIVER,
            "    rule: 5\n",
            "    rule: 6\n",
            "model[4].rule: golden rule 6 is not the rule of question 'public_interest': "
            "hmg2008.yml gives golden rule 5",
            id="wrong golden rule",
        ),
        pytest.param(
            DRIVER,
            "  - question: public_interest",
            "  - question: public_intrest",
            "model[4].question: unknown question id 'public_intrest' (the protocol's "
            "questions: purpose, identifiable, confidential, consent, consent_unsafe, "
            "public_interest, appropriate, record)",
            id="unknown question id",
        ),
        pytest.param(
            DRIVER,
            "  - question: confidential\n    answer: yes",
            "  - question: confidential\n    answer: not_asked",
            "model[2].answer: 'not_asked' is not an answer to question 'confidential' "
            "(its answers: yes, no, not_sure)",
            id="answer the question does not have",
        ),
        pytest.param(
            DRIVER,
            "      secure:\n        answer: true\n"
            "        reason: Use the licensing authority's own route for medical reports.\n",
            "",
            "model[5].points.secure: missing checklist point 'secure': question 'appropriate' "
            "needs every point",
            id="missing checklist point",
        ),
        pytest.param(
            DRIVER,
            "      accurate:\n        answer: true",
            "      accurate:\n        answer: maybe",
            "model[5].points.accurate: 'maybe' is not an answer to this point "
            "(one of: true, no, not_sure)",
            id="checklist point with an unknown answer",
        ),
        pytest.param(
            DRIVER,
            "      accurate:\n        answer: true",
            "      accurate:\n        answer: no",
            "model[5].points.accurate: 'no' leaves question 'appropriate' open",
            id="checklist point answered no",
        ),
        pytest.param(
            DRIVER,
            "      inform_person:\n        answer: yes",
            "      inform_person:\n        answer: not_sure",
            "model[5].answer: the points answer question 'appropriate' 'not_sure', not 'yes'",
            id="checklist answer not what the points give",
        ),
        pytest.param(
            DRIVER,
            "  - question: record\n    answer: yes",
            "  - question: record\n    answer: no",
            "model[6].answer: the model answer to 'record' saves the record: 'yes', not 'no'",
            id="record not saved",
        ),
        pytest.param(
            REFUSES,
            "You are a worker at a community alcohol service.",
            "You are a worker at a community alcohol service. Jane Smith referred a client.",
            "case: the case names a person: 'Jane Smith'",
            id="case names a person",
        ),
        pytest.param(
            REFUSES,
            "recipient: Her GP",
            "recipient: Her GP on 01632 960001",
            "context.recipient: this text contains a phone number: '01632 960001'",
            id="context carries a phone number",
        ),
        pytest.param(
            REFUSES,
            "You are a worker at a community alcohol service.",
            "You are a worker at a community alcohol service. The client lives at 9 Orchard Way.",
            "case: the case contains a street address: '9 Orchard Way'",
            id="case carries an address",
        ),
        pytest.param(
            REFUSES,
            "  - question: public_interest\n",
            "  - question: consent_unsafe\n    answer: no\n    reason: Safe to ask.\n"
            '    rule: 4\n    paragraphs: "3.17 - 3.37"\n'
            "    quote: Consent can be withdrawn at any time.\n"
            "  - question: public_interest\n",
            "model: the steps must be the questions on the path, in order (purpose, "
            "identifiable, confidential, consent, public_interest, record); they are purpose, "
            "identifiable, confidential, consent, consent_unsafe, public_interest, record: "
            "not on the path: consent_unsafe",
            id="a step not on the path",
        ),
        pytest.param(
            REFUSES,
            "  - question: consent\n    answer: no",
            "  - question: consent\n    answer: not_asked",
            "model: the model answers do not reach an outcome: question 'consent_unsafe' is "
            "left open",
            id="a question with no model answer",
        ),
        pytest.param(
            REFUSES,
            "feedback: end",
            "feedback: later",
            "feedback: 'later' is not one of: immediate, end",
            id="unknown feedback",
        ),
        pytest.param(
            REFUSES,
            "setting: health\n",
            "",
            "setting: required field missing",
            id="missing field",
        ),
        pytest.param(
            REFUSES,
            "setting: health\n",
            "setting: health\nsettings: school\n",
            "settings: unknown field 'settings'",
            id="unknown field",
        ),
        pytest.param(
            REFUSES,
            "number: 6",
            "number: six",
            "number: must be a whole number, not a text",
            id="wrong type",
        ),
        pytest.param(
            REFUSES,
            "id: competent_adult_refuses",
            "id: adult_refuses",
            ": the file name should be 06_adult_refuses.yml (number_id)",
            id="file name does not match",
        ),
        pytest.param(
            REFUSES,
            '  - "3.38 - 3.47"',
            '  - "4.1 - 4.2"',
            "read[0]: paragraphs '4.1 - 4.2' are not within any range the protocol refers to",
            id="further reading out of range",
        ),
        pytest.param(
            REFUSES,
            "title: A woman who does not want her GP to know about her drinking",
            "title: [A woman who does not want",
            ": YAML syntax error at line 5, column 8: expected ',' or ']'",
            id="YAML syntax error",
        ),
    ],
)
def test_a_broken_scenario_gets_a_clear_error(
    tmp_path: Path, name: str, old: str, new: str, expected: str
) -> None:
    problems = _broken(tmp_path, name, old, new)
    messages = _messages(problems)
    assert any(message.startswith(expected) for message in messages), messages
    assert all(p.file == str(tmp_path / name) for p in problems)


def test_a_short_case_is_reported(tmp_path: Path) -> None:
    text = (DEFAULT_DIR / REFUSES).read_text(encoding="utf-8")
    start = text.index("case: >-")
    end = text.index("context:")
    short = text[:start] + "case: A woman refuses.\n" + text[end:]
    (tmp_path / REFUSES).write_text(short, encoding="utf-8")
    assert "case: the case has 3 words: it should have 60 to 180" in _messages(validate(tmp_path))


def test_duplicate_numbers_and_ids_across_files(tmp_path: Path) -> None:
    shutil.copy(DEFAULT_DIR / DRIVER, tmp_path / DRIVER)
    text = (DEFAULT_DIR / REFUSES).read_text(encoding="utf-8").replace("number: 6", "number: 3")
    (tmp_path / "03_competent_adult_refuses.yml").write_text(text, encoding="utf-8")
    text = (DEFAULT_DIR / REFUSES).read_text(encoding="utf-8").replace("number: 6", "number: 99")
    (tmp_path / "99_competent_adult_refuses.yml").write_text(text, encoding="utf-8")
    messages = [str(p) for p in validate(tmp_path)]
    assert any(
        m.endswith(
            "03_unsafe_driver.yml: number: number 3 is used by two scenarios: "
            "03_competent_adult_refuses.yml and 03_unsafe_driver.yml"
        )
        for m in messages
    ), messages
    assert any(
        m.endswith(
            "id: id 'competent_adult_refuses' is used by two scenarios: "
            "03_competent_adult_refuses.yml and 99_competent_adult_refuses.yml"
        )
        for m in messages
    ), messages


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "a scenario file is a mapping of fields, not nothing"),
        (b"- just\n- a list\n", "a scenario file is a mapping of fields, not a list"),
        (b"\xff\xfe\x00binary", "cannot read the file"),
        (b"id: x\n\tnumber: 1\n", "YAML syntax error"),
        (b"model: 3\n", "model: must be a list"),
        (b"model:\n  - just a line\n", "model[0]: a step is a mapping"),
        (b"expected: {outcome: maybe, path: [purpose, nowhere]}\n", "expected.outcome: 'maybe'"),
    ],
)
def test_bad_input_is_a_problem_never_an_exception(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    (tmp_path / "01_x.yml").write_bytes(content)
    messages = _messages(validate(tmp_path))
    assert any(expected in message for message in messages), messages


def test_missing_files_and_directories_are_problems(tmp_path: Path) -> None:
    assert [p.message for p in validate(tmp_path / "none")] == ["no such file or directory"]
    assert [p.message for p in validate(tmp_path)] == [
        "no scenario files (*.yml) in this directory"
    ]
    assert [p.message for p in validate([tmp_path / "01_x.yml"])] == ["no such file"]


def test_validate_takes_a_list_of_files() -> None:
    files = sorted(DEFAULT_DIR.glob("*.yml"))[:3]
    assert validate(files) == []
    assert validate(files[0]) == []


def test_load_scenarios_refuses_invalid_ones(tmp_path: Path) -> None:
    _broken(tmp_path, DRIVER, "outcome: share", "outcome: seek_consent")
    with pytest.raises(InvalidScenarios) as raised:
        load_scenarios(tmp_path)
    assert raised.value.problems[0].where == "expected.outcome"
    assert "lead to 'share', not 'seek_consent'" in str(raised.value)
