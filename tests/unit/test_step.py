"""The answering step without Rasa: plain slot values and a message in, replies and slot changes
out (bot/protocol/step.py). The redaction is a parameter: a small function here that records
what it was given."""

from __future__ import annotations

import copy
import subprocess
import sys
from typing import Any

import pytest

from bot.protocol import messages as say
from bot.protocol.reading import Heard, asked_for
from bot.protocol.step import PENDING_SLOT, UNUSABLE_SLOT, Answered, Next, answer, what_next
from bot.text import MAX_FREE_TEXT

CONTEXT = {
    "information": "attendance and a recent injury",
    "recipient": "the school nurse",
    "purpose_text": "to arrange support",
}
POINTS = ("necessary", "need_to_know", "accurate", "consent_limits", "secure", "onward_limits")


class Redaction:
    """Replaces "Jane" with a placeholder, and keeps every text it was given."""

    def __init__(self) -> None:
        self.given: list[str] = []

    def __call__(self, text: str) -> str:
        self.given.append(text)
        return text.replace("Jane", "[NAME]")


@pytest.fixture
def redact() -> Redaction:
    return Redaction()


def said(slot: str, slots: dict[str, Any], text: str, redact: Redaction) -> Answered:
    """``text`` answered at ``slot``: the result, checked to leave ``slots`` as they were."""
    before = copy.deepcopy(slots)
    answered = answer(slot, slots, Heard(text), redact)
    assert slots == before, "the step changed the slots it was given"
    assert answered is not None, f"{text!r} was read as a command"
    return answered


def test_a_plain_answer_is_taken_with_its_reason(redact: Redaction) -> None:
    answered = said("purpose", dict(CONTEXT), "yes, to keep her safe from harm", redact)
    assert answered.replies == []
    assert list(answered.updates.items()) == [
        (PENDING_SLOT, None),
        (UNUSABLE_SLOT, None),
        ("answered_by", {"purpose": "word"}),
        ("answer_notes", {"purpose": "to keep her safe from harm"}),
        ("purpose", "yes"),
    ]
    assert redact.given == ["to keep her safe from harm"]  # the reason, redacted before kept
    # then the next question, asked by the step itself
    slots = {**CONTEXT, **answered.updates}
    assert what_next(slots) == Next("identifiable", say.ask("identifiable", slots))


def test_a_button_is_taken_as_pressed_and_a_note_no_longer_said_is_dropped(
    redact: Redaction,
) -> None:
    slots = {**CONTEXT, "answer_notes": {"purpose": "an earlier reason"}}
    answered = said("purpose", slots, "/deny", redact)
    assert answered.replies == []
    assert answered.updates == {
        PENDING_SLOT: None,
        UNUSABLE_SLOT: None,
        "answered_by": {"purpose": "button"},
        "answer_notes": None,
        "purpose": "no",
    }
    assert redact.given == []


def test_a_hedge_is_read_back_and_its_confirmation_taken(redact: Redaction) -> None:
    slots = {**CONTEXT, "purpose": "yes"}
    first = said("identifiable", slots, "I think so", redact)
    assert first.replies == [
        say.read_back("identifiable", "yes", asked_for("identifiable").answers)
    ]
    assert first.updates == {
        PENDING_SLOT: {"question": "identifiable", "answer": "yes", "text": "i think so"},
        UNUSABLE_SLOT: None,
    }
    slots.update(first.updates)
    # the read-back is the question for now: the question itself is not asked again
    assert what_next(slots) == Next("identifiable", None)

    confirmed = said("identifiable", slots, "yes", redact)
    assert confirmed.replies == []
    assert confirmed.updates == {
        PENDING_SLOT: None,
        UNUSABLE_SLOT: None,
        "answered_by": {"identifiable": "read_back"},
        "identifiable": "yes",
    }
    slots.update(confirmed.updates)
    assert what_next(slots) == Next("confidential", say.ask("confidential", slots))


def test_a_follow_up_is_asked_again_when_not_answered_then_decides(redact: Redaction) -> None:
    slots = {**CONTEXT, "purpose": "yes", "identifiable": "yes"}
    follow_up = asked_for("confidential").follow_up("lawfully_public")
    assert follow_up is not None

    asked = said("confidential", slots, "her ex posted it on facebook to shame Jane", redact)
    assert asked.replies == [say.follow_up(follow_up)]
    assert asked.updates == {
        PENDING_SLOT: {
            "question": "confidential",
            "answer": "",
            "text": "her ex posted it on facebook to shame jane",
            "follow_up": "lawfully_public",
        },
        UNUSABLE_SLOT: None,
        "answer_notes": {"confidential": "her ex posted it on facebook to shame [NAME]"},
    }
    slots.update(asked.updates)
    assert what_next(slots) == Next("confidential", None)

    again = said("confidential", slots, "hmm", redact)
    assert again.replies == [say.not_understood(), say.follow_up(follow_up)]
    assert again.updates[PENDING_SLOT] == slots[PENDING_SLOT]
    assert again.updates[UNUSABLE_SLOT] == {"question": "confidential", "text": "hmm", "count": 1}
    slots.update(again.updates)

    decided = said("confidential", slots, "no, she never agreed to it going up", redact)
    assert decided.replies == []
    assert decided.updates == {
        PENDING_SLOT: None,
        UNUSABLE_SLOT: None,
        "answered_by": {"confidential": "follow_up"},
        # the reason first given, then the follow-up and its answer
        "answer_notes": {
            "confidential": "her ex posted it on facebook to shame [NAME] — lawfully in the "
            "public domain: No, it was not put there lawfully — she never agreed to it going up"
        },
        "confidential": "yes",  # not lawfully public: confidential
    }


def test_the_checklist_is_asked_one_point_at_a_time_with_a_remedy(redact: Redaction) -> None:
    slots = {**CONTEXT, "purpose": "yes", "identifiable": "yes", "confidential": "no"}
    assert what_next(slots).slot == "appropriate"

    first = said("appropriate", slots, "yes", redact)
    assert first.replies == []
    assert first.updates == {
        PENDING_SLOT: None,
        UNUSABLE_SLOT: None,
        "answered_by": {"appropriate.necessary": "word"},
        "appropriate": None,  # still open: the next point is asked under the same slot
        "appropriate_checks": {"necessary": True},
    }
    slots.update(first.updates)
    assert what_next(slots) == Next("appropriate", say.ask("appropriate", slots))

    refused = said("appropriate", slots, "no", redact)
    assert refused.replies == [say.remedy("need_to_know")]
    assert refused.updates["appropriate_checks"] == {"necessary": True}  # not confirmed
    assert refused.updates["appropriate"] is None
    assert refused.updates["answered_by"] == {
        "appropriate.necessary": "word",
        "appropriate.need_to_know": "word",
    }
    slots.update(refused.updates)

    for point in POINTS[1:]:
        taken = said("appropriate", slots, "/affirm", redact)
        assert taken.replies == [] and taken.updates["appropriate"] is None
        assert taken.updates["appropriate_checks"][point] is True
        slots.update(taken.updates)
    last = said("appropriate", slots, '/affirm{"inform_choice": "already_aware"}', redact)
    assert last.replies == []
    assert last.updates["appropriate"] == "yes"
    assert last.updates["appropriate_checks"] == {
        **dict.fromkeys(POINTS, True),
        "inform_person": "already_aware",
    }
    slots.update(last.updates)
    assert what_next(slots) == Next("reasons", say.ask("reasons", slots))


def test_free_text_is_cleaned_then_redacted_by_the_function_given(redact: Redaction) -> None:
    answered = said("information", {}, "  <b>Jane</b>'s   school report ", redact)
    assert redact.given == ["Jane 's school report"]  # markup and spaces gone first
    assert answered.updates == {
        PENDING_SLOT: None,
        UNUSABLE_SLOT: None,
        "information": "[NAME] 's school report",
    }
    assert answered.replies == say.free_text_notes(True, False, MAX_FREE_TEXT)
    assert answered.replies  # the practitioner is told identifiers were replaced

    plain = said("information", {}, "her school report", Redaction())
    assert plain.replies == [] and plain.updates["information"] == "her school report"

    long = said("information", {}, "report " * 300, Redaction())
    assert long.replies == say.free_text_notes(False, True, MAX_FREE_TEXT)
    assert len(long.updates["information"]) == MAX_FREE_TEXT


@pytest.mark.parametrize(
    "text",
    ["go back", "start again", "stop", "/restart", "continue ISD-000123", "training", "scenario 7"],
)
def test_a_command_is_left_to_the_dialogues_rules(text: str, redact: Redaction) -> None:
    assert answer("purpose", dict(CONTEXT), Heard(text), redact) is None
    assert redact.given == []


def test_a_side_question_is_answered_and_the_question_stays(redact: Redaction) -> None:
    faq = {"intent": "faq", "confidence": 0.9, "faq": "faq/what_is_consent", "faq_confidence": 0.9}
    alone = answer("purpose", dict(CONTEXT), Heard("what does consent mean?", **faq), redact)
    assert alone is not None
    assert alone.replies == [say.faq_answer("faq/what_is_consent")]
    assert "purpose" not in alone.updates
    slots = {**CONTEXT, **alone.updates}
    assert what_next(slots) == Next("purpose", say.ask("purpose", slots))  # asked again

    why = answer("purpose", dict(CONTEXT), Heard("why?", intent="explain", confidence=0.9), redact)
    assert why is not None and why.replies == [say.explain("purpose")]

    # an answer with a question beside it: the question answered first, the answer taken
    both = answer("purpose", dict(CONTEXT), Heard("yes - what does consent mean?", **faq), redact)
    assert both is not None
    assert both.replies == [say.faq_answer("faq/what_is_consent")]
    assert both.updates["purpose"] == "yes"


def test_the_same_unusable_message_gets_help_not_the_same_reply(redact: Redaction) -> None:
    slots = dict(CONTEXT)
    first = said("purpose", slots, "banana", redact)
    assert first.replies == [say.not_understood()]
    slots.update(first.updates)
    second = said("purpose", slots, "banana", redact)
    assert second.replies == [say.help_with("purpose", slots)]
    assert second.updates[UNUSABLE_SLOT] == {"question": "purpose", "text": "banana", "count": 2}
    free = said("information", {}, "/affirm", redact)
    assert free.replies == [say.not_understood(free_text=True)]


def test_a_summary_refused_asks_which_answer_to_change(redact: Redaction) -> None:
    slots = {
        **CONTEXT,
        "purpose": "yes",
        "identifiable": "yes",
        "confidential": "no",
        "appropriate": "yes",
        "appropriate_checks": {**dict.fromkeys(POINTS, True), "inform_person": "already_aware"},
        "reasons": "to arrange support at school",
    }
    assert what_next(slots) == Next("record", say.ask("record", slots))
    refused = said("record", slots, "/deny", redact)
    assert refused.replies == [say.change_prompt(slots)]
    assert refused.updates["record"] is None and refused.updates["answered_by"] == {
        "record": "button"
    }
    saved = said("record", slots, "yes, save it", redact)
    assert saved.replies == [] and saved.updates["record"] == "yes"
    assert "answer_notes" not in saved.updates  # "save it" is not a reason
    assert what_next({**slots, **saved.updates}) == Next(None, None)


def test_the_step_needs_no_rasa() -> None:
    code = (
        "import sys, bot.protocol.step; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rasa', 'rasa_sdk')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[]"
