"""One source: the domain's form is generated from the protocol, and a question added to the
protocol appears in the form, its validation, its messages and its record with no other edit."""

from __future__ import annotations

import copy

import yaml

from bot.protocol import domain as generate
from bot.protocol.model import PROTOCOL_FILE, load_protocol, parse_protocol


def test_the_committed_domain_is_what_the_protocol_generates() -> None:
    stale = [path.name for path, text in generate.generated().items() if path.read_text() != text]
    assert stale == [], "run `make domain`"
    assert generate.main(["--check"]) == 0


def test_the_form_has_a_slot_per_step_in_order() -> None:
    protocol = load_protocol()
    form = generate.form_domain(protocol)
    names = [slot.name for slot in protocol.form_slots()]
    assert form["forms"]["information_sharing_form"]["required_slots"] == names
    assert "actions" not in form  # the form's validation asks the next question itself
    assert form["slots"]["consent"]["values"] == ["yes", "no", "not_asked", "not_sure"]
    assert form["slots"]["public_interest_reason"]["type"] == "text"


def _protocol_with_an_extra_question():
    """The 2008 flow with a question inserted between questions 2 and 3."""
    raw = yaml.safe_load(PROTOCOL_FILE.read_text(encoding="utf-8"))
    raw = copy.deepcopy(raw)
    for question in raw["questions"]:
        if question["id"] == "identifiable":
            question["next"][True] = "recently_reviewed"
    raw["questions"].insert(
        2,
        {
            "id": "recently_reviewed",
            "number": "2b",
            "kind": "choice",
            "text": "Have you looked at the case file this week?",
            "golden_rule": 6,
            "paragraphs": "3.48 - 3.49",
            "answers": ["yes", "no", "not_sure"],
            "next": {
                True: "confidential",
                False: "confidential",
                "not_sure": "outcome:seek_advice",
            },
            "phrases": {True: ["looked at it (today|yesterday)"]},
            "cues": {True: ["the file is on my desk"]},
            "toward_sharing": [True],
            "follow_ups": [
                {
                    "id": "skimmed",
                    "label": "read the file properly",
                    "guidance": ["Make sure the information is accurate and up-to-date."],
                    "ask": "Did you read the whole file, or only skim it?",
                    "when": ["skim(med|ming)?"],
                    "means": {True: "yes", False: "no", "not_sure": "not_sure"},
                    "labels": {True: "Read it all", False: "Only skimmed", "not_sure": "Not sure"},
                }
            ],
        },
    )
    return parse_protocol(raw)


def test_a_question_added_to_the_protocol_is_asked_read_and_recorded() -> None:
    from bot.protocol import messages as say
    from bot.protocol.engine import record_path, required_slots
    from bot.protocol.reading import Heard, Result, asked_for, read
    from bot.records.draft import draft_from_check

    protocol = _protocol_with_an_extra_question()
    form = generate.form_domain(protocol)
    assert "recently_reviewed" in form["forms"]["information_sharing_form"]["required_slots"]
    slots = {"purpose": "yes", "identifiable": "yes"}
    assert required_slots(slots, protocol)[-1] == "recently_reviewed"
    question = say.ask("recently_reviewed", slots, protocol)
    assert question.text.startswith("Question 2b: Have you looked at the case file")
    assert [b["title"] for b in question.buttons] == ["Yes", "No", "Not sure"]
    step = asked_for("recently_reviewed", protocol=protocol)
    assert read(step, Heard("I looked at it yesterday")).value == "yes"
    assert read(step, Heard("I think so")).result is Result.READ_BACK
    # The safety rule (../shared/DESIGN.md) holds for the new question with no other edit: toward
    # sharing ("yes" here) only from the practitioner's own answer, never a cue alone or a turning
    # reason
    assert read(step, Heard("the file is on my desk")).result is Result.READ_BACK
    assert read(step, Heard("yes, but it was the 2019 file")).result is Result.READ_BACK
    turned = read(step, Heard("I looked at it yesterday, although not all of it"))
    assert turned.result is Result.READ_BACK
    assert read(step, Heard("no, not this week")).value == "no"
    # and its follow-up, as data, is asked when the reason touches it; its answer decides
    skimmed = read(step, Heard("the file is on my desk, i skimmed it"))
    assert skimmed.result is Result.FOLLOW_UP and skimmed.follow_up.id == "skimmed"
    answered = read(step, Heard("/deny"), skimmed.pending)
    assert (answered.result, answered.value) == (Result.ANSWER, "no")
    finished = {
        **slots,
        "recently_reviewed": "not_sure",
        "information": "x",
        "answer_notes": {"recently_reviewed": "the file is with legal"},
    }
    assert record_path(finished, protocol) == ["purpose", "identifiable", "recently_reviewed"]
    draft = draft_from_check(finished, conversation_id="c", channel="rest", protocol=protocol)
    assert draft.answers["recently_reviewed"] == "not_sure"
    assert draft.advice_needed_at == "recently_reviewed"
    assert draft.notes == {"recently_reviewed": "the file is with legal"}
    assert draft.golden_rules == [1, 2, 3, 6]
