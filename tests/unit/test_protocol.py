"""The decision flow: every path of ../shared/DESIGN.md's table, written by hand as the oracle."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.flow import PATHS, parse

from bot.protocol import (
    ANSWERED_BY_SLOT,
    NOTES_SLOT,
    Answer,
    AnsweredBy,
    Outcome,
    answer_checklist_item,
    answered_by_on_path,
    answers_on_path,
    load_protocol,
    next_checklist_item,
    next_step,
    previous_slot,
    record_path,
    required_slots,
    reset_from,
    walk,
)
from bot.protocol.engine import previous_checklist_item
from bot.protocol.messages import ask, change_buttons, explain, summary

CONTEXT = {"information": "school attendance", "recipient": "the school nurse", "purpose_text": "x"}


@pytest.mark.parametrize("answers,outcome,path,advice_at", PATHS)
def test_every_path_of_the_flow_table(answers, outcome, path, advice_at):
    slots = parse(answers)
    result = walk(slots)
    assert result.outcome is outcome
    assert record_path(slots) == path.split()
    assert result.advice_needed_at == advice_at
    assert answers_on_path(slots) == slots
    assert next_step(slots) is outcome


@pytest.mark.parametrize("answers,outcome,path,advice_at", PATHS)
def test_each_prefix_asks_the_next_question_of_the_path(answers, outcome, path, advice_at):
    asked = list(parse(answers).items())
    for i, (question, _) in enumerate(asked):
        prefix = dict(asked[:i])
        step = next_step(prefix)
        assert not isinstance(step, Outcome)
        assert step.id == question


def test_every_outcome_is_reachable():
    assert {outcome for _, outcome, _, _ in PATHS} == set(Outcome)


def test_the_table_covers_every_branch_of_the_protocol():
    protocol = load_protocol()
    taken = set()
    for answers, *_ in PATHS:
        taken |= set(parse(answers).items())
    for question in protocol.questions.values():
        for answer in question.answers:
            if question.next[answer] == question.id:  # Q6 "no": remedy, ask again
                continue
            assert (question.id, answer.value) in taken, (question.id, answer)


def test_question_six_no_means_ask_again():
    slots = parse("purpose=yes identifiable=no appropriate=no")
    assert walk(slots).next_question == "appropriate"


def test_invalid_answers_are_not_taken():
    assert walk({"purpose": "maybe"}).next_question == "purpose"
    assert walk({"purpose": "yes", "identifiable": "not_asked"}).next_question == "identifiable"


def test_required_slots_follow_the_route():
    slots = {
        **CONTEXT,
        **parse("purpose=yes identifiable=yes confidential=yes consent=no public_interest=yes"),
    }
    assert required_slots(slots) == [
        "information",
        "recipient",
        "purpose_text",
        "purpose",
        "identifiable",
        "confidential",
        "consent",
        "public_interest",
        "public_interest_reason",
        "appropriate",
    ]
    slots.update(public_interest_reason="risk to the child", appropriate="yes")
    assert required_slots(slots)[-2:] == ["reasons", "record"]


def test_seek_advice_has_no_question_seven():
    slots = {**CONTEXT, "purpose": "not_sure"}
    assert required_slots(slots) == ["information", "recipient", "purpose_text", "purpose"]


def test_go_back_and_reset_clear_what_depended_on_the_answer():
    slots = {**CONTEXT, **parse("purpose=yes identifiable=yes confidential=yes consent=no")}
    assert previous_slot(slots) == "consent"
    updates = reset_from("identifiable", {**slots, "reasons": "r"})
    assert updates == {
        "identifiable": None,
        "confidential": None,
        "consent": None,
        "reasons": None,
    }
    assert previous_slot({}) is None
    assert previous_slot({"information": "x"}) == "information"


def test_reset_clears_answers_from_an_abandoned_route():
    slots = {
        **CONTEXT,
        **parse("purpose=yes identifiable=no appropriate=yes"),
        "appropriate_checks": {"necessary": True},
        "consent": "yes",
    }
    updates = reset_from("identifiable", slots)
    assert updates["consent"] is None and updates["appropriate"] is None
    assert updates["appropriate_checks"] is None


def test_how_answers_were_given_is_kept_and_cleared_like_the_reasons_given_with_them():
    """``answered_by`` follows the answers it goes with: what "go back" / "change" clear, it
    clears; what is off the route or not one of the ways is not recorded."""
    ways = {
        "purpose": "button",
        "identifiable": "word",
        "confidential": "read_back",
        "consent": "follow_up",
        "appropriate.necessary": "helpdesk",
    }
    slots = {
        **CONTEXT,
        **parse("purpose=yes identifiable=yes confidential=yes consent=no"),
        NOTES_SLOT: {"purpose": "to help", "confidential": "told in confidence"},
        ANSWERED_BY_SLOT: ways,
    }
    updates = reset_from("identifiable", slots)
    assert updates[NOTES_SLOT] == {"purpose": "to help"}
    assert updates[ANSWERED_BY_SLOT] == {"purpose": "button"}
    assert reset_from("purpose", slots)[ANSWERED_BY_SLOT] is None
    # nothing to clear: the slot is left alone
    earlier_only = {**slots, ANSWERED_BY_SLOT: {"purpose": "button"}}
    assert ANSWERED_BY_SLOT not in reset_from("consent", earlier_only)
    assert ANSWERED_BY_SLOT not in reset_from("purpose", {**slots, ANSWERED_BY_SLOT: None})
    # on the record: only the steps still on the route (question 6 is not on it yet)
    assert answered_by_on_path(slots) == {
        "purpose": "button",
        "identifiable": "word",
        "confidential": "read_back",
        "consent": "follow_up",
    }
    assert answered_by_on_path({**slots, ANSWERED_BY_SLOT: None}) is None
    odd = {**slots, ANSWERED_BY_SLOT: {"purpose": "guessed", "identifiable": None}}
    assert answered_by_on_path(odd) is None
    assert {way.value for way in AnsweredBy} == {
        "button",
        "word",
        "read_back",
        "follow_up",
        "helpdesk",
    }


def test_checklist_walks_each_point_and_gives_remedies():
    checks: dict = {}
    item = next_checklist_item(checks)
    assert item is not None and item.id == "necessary"
    step = answer_checklist_item(checks, item, "no")
    assert step.remedy is item and "distinguishing clearly between fact and opinion" in item.remedy
    assert not step.complete
    for expected in [
        "necessary",
        "need_to_know",
        "accurate",
        "consent_limits",
        "secure",
        "onward_limits",
    ]:
        item = next_checklist_item(checks)
        assert item.id == expected
        checks = answer_checklist_item(checks, item, "yes").checks
    item = next_checklist_item(checks)
    assert item.id == "inform_person"
    assert answer_checklist_item(checks, item, "no").remedy is item
    for choice in ("no_unsafe", "no_inappropriate", "already_aware", "yes"):
        step = answer_checklist_item(checks, item, choice)
        assert step.complete and step.checks["inform_person"] == choice
    assert previous_checklist_item(step.checks) == "inform_person"


@given(
    st.dictionaries(
        st.sampled_from(load_protocol().question_ids),
        st.sampled_from([a.value for a in Answer] + ["junk", None]),
    )
)
def test_walk_always_ends_in_one_question_or_one_outcome(slots):
    result = walk(slots)
    assert (result.next_question is None) != (result.outcome is None)
    assert len(result.path) == len(set(result.path))
    assert all(slots.get(q) is not None for q in result.path)


def test_messages_exist_for_every_slot_and_explain_cites_paragraphs():
    protocol = load_protocol()
    slots = {**CONTEXT, **parse("purpose=no")}
    for slot in [
        *(c.id for c in protocol.context),
        *protocol.question_ids,
        "public_interest_reason",
        "reasons",
        "record",
    ]:
        assert ask(slot, slots).text
    assert "3.3 - 3.9" in explain("purpose").text
    assert "Golden Rule 4" in explain("consent").text
    consent = ask("consent", {})
    assert [b["payload"] for b in consent.buttons] == [
        "/affirm",
        "/deny",
        "/not_asked",
        "/not_sure",
    ]
    assert "school nurse" in summary(slots)
    assert any("purpose" in b["payload"] for b in change_buttons(slots))


@pytest.mark.parametrize("combo", list(itertools.product(["yes", "no", "not_sure"], repeat=3)))
def test_first_three_questions_never_share_without_question_six(combo):
    slots = dict(zip(["purpose", "identifiable", "confidential"], combo, strict=True))
    result = walk(slots)
    assert result.outcome is not Outcome.SHARE


@pytest.mark.parametrize("text", ["purple", "the cat sat on the mat", "12345", "hmm"])
def test_a_yes_only_the_model_saw_is_never_taken(text):
    from bot.protocol.reading import Heard, Result, asked_for, read

    reading = read(asked_for("consent"), Heard(text, intent="affirm", confidence=1.0))
    assert reading.result is Result.READ_BACK and reading.value == "yes"
