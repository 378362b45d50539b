"""Reading a message at the question being asked (bot/protocol/reading.py): pure, no Rasa.

These are the development examples the reader was built with (the issue's own failures among
them). The held-out measure is separate: scripts/reading_eval.py on tests/reading/.
"""

from __future__ import annotations

import pytest

from bot.protocol import load_protocol
from bot.protocol.reading import (
    Evidence,
    Heard,
    Pending,
    Result,
    SideKind,
    Unusable,
    asked_for,
    asks_to_restart,
    asks_to_stop,
    normalise,
    read,
)

ALL_POINTS_BUT_LAST = {
    "necessary": True,
    "need_to_know": True,
    "accurate": True,
    "consent_limits": True,
    "secure": True,
    "onward_limits": True,
}


def reading(slot: str, text: str, checks: dict | None = None, **heard):
    return read(asked_for(slot, checks), Heard(text, **heard))


# --- answers with reasons, taken first time ------------------------------------------------------


@pytest.mark.parametrize(
    ("slot", "text", "value"),
    [
        # the failures
        (
            "public_interest",
            "no, she's an adult with capacity and the only risk is to herself",
            "no",
        ),
        ("consent_unsafe", "no, I can just ring him and ask", "no"),
        ("consent_unsafe", "no it would be safe to ask her, she's engaging well", "no"),
        ("purpose", "yes because the charity can help them budget and keep the tenancy", "yes"),
        ("purpose", "not really, it's just for their records", "no"),
        ("identifiable", "not sure whether the school name would identify her", "not_sure"),
        # with or without a yes or no word
        ("purpose", "Yes - to keep the children safe", "yes"),
        ("purpose", "YES", "yes"),
        ("purpose", "yse", "yes"),
        ("purpose", "👍", "yes"),
        ("purpose", "nah", "no"),
        ("purpose", "dunno tbh", "not_sure"),
        ("purpose", "they need it to plan support, so yes", "yes"),
        ("identifiable", "no, it's anonymised", "no"),
        ("identifiable", "yes it names her school and her class", "yes"),
        ("confidential", "yes she told me in confidence", "yes"),
        ("confidential", "no it's already public knowledge", "no"),
        ("confidential", "not sure, she might have told others", "not_sure"),
        ("consent", "she's agreed to it", "yes"),
        ("consent", "no she refused", "no"),
        ("consent", "we haven't asked him yet", "not_asked"),
        ("consent", "I haven't asked yet", "not_asked"),
        ("consent", "not yet", "not_asked"),
        ("consent_unsafe", "asking would tip him off", "yes"),
        ("consent_unsafe", "it's not safe to ask her", "yes"),
        ("consent_unsafe", "yes, it could put the children at risk", "yes"),
        ("public_interest", "yes there's a risk to the children", "yes"),
        ("public_interest", "Definitely, the risk to the baby outweighs her wishes", "yes"),
        ("record", "yes please save it", "yes"),
        ("record", "no I want to change something", "no"),
        ("record", "hang on, Q3 is wrong", "no"),
        # the answer word does not negate what follows it
        ("consent", "no I havent spoken to her about it", "not_asked"),
        ("consent_unsafe", "yes it would put the kids at risk", "yes"),
        # apostrophes left out, misspelt first words, emoji as pauses
        ("consent", "we dont have it, she wont agree", "no"),
        ("purpose", "definately, they need it for the review", "yes"),
        ("purpose", "absolutley 👍", "yes"),
        ("purpose", "yes 😟 they need it today", "yes"),
        # doubt said later in the message
        ("confidential", "some from school, some from mum, not sure tbh", "not_sure"),
        ("identifiable", "no, only about someone who died in 2019", "no"),
        ("identifiable", "yes, even without her name they'd know who it is", "yes"),
        ("identifiable", "I'd need to look at the letter first", "not_sure"),
        ("purpose", "we need to make a safeguarding referral today", "yes"),
        ("consent_unsafe", "asking her would be fine, she's very engaged", "no"),
        ("public_interest", "no, it's a low level concern", "no"),
    ],
)
def test_answers_with_reasons_are_taken_first_time(slot: str, text: str, value: str) -> None:
    result = reading(slot, text)
    assert (result.result, result.value) == (Result.ANSWER, value), result
    assert result.evidence is Evidence.WORDS


@pytest.mark.parametrize(
    ("point", "text", "value"),
    [
        ("inform_person", "they already know, I told mum last week", "already_aware"),
        ("inform_person", "no, it isn't safe to tell her", "no_unsafe"),
        (
            "inform_person",
            "no - telling him would tip him off before the police interview",
            "no_inappropriate",
        ),
        ("inform_person", "yes I'll let her know", "yes"),
        ("inform_person", "not sure", "not_sure"),
    ],
)
def test_the_last_point_of_question_6_takes_its_choices(point: str, text: str, value: str) -> None:
    result = reading("appropriate", text, ALL_POINTS_BUT_LAST)
    assert result.result is Result.ANSWER and result.value == value, result


def test_the_reason_is_kept_as_the_note() -> None:
    result = reading(
        "public_interest", "no, she's an adult with capacity and the only risk is to herself"
    )
    assert result.note == "she's an adult with capacity and the only risk is to herself"
    assert reading("purpose", "yes").note is None
    # An answer given in words of its own is kept whole: it is the practitioner's reason too.
    assert reading("consent", "she's agreed to it").note == "she's agreed to it"


# --- hedges and contradictions are read back -----------------------------------------------------


@pytest.mark.parametrize(
    ("slot", "text", "value"),
    [
        ("identifiable", "I think so", "yes"),
        ("identifiable", "probably, the school is tiny", "yes"),
        ("consent", "I believe she did", "yes"),
        ("purpose", "pretty sure", "yes"),
        ("purpose", "maybe", "not_sure"),
        ("purpose", "possibly", "not_sure"),
        ("purpose", "I don't think so", "no"),
        ("purpose", "probably not", "no"),
        ("consent_unsafe", "probably not safe to ask", "yes"),
        ("confidential", "yes, it is not confidential", "no"),
        ("consent", "yes, she said no", "no"),
    ],
)
def test_hedges_and_contradictions_are_read_back(slot: str, text: str, value: str) -> None:
    result = reading(slot, text)
    assert result.result is Result.READ_BACK and result.value == value, result
    assert result.pending == Pending(asked_for(slot).key, value, normalise(text))


def test_a_yes_only_the_model_saw_is_read_back_never_taken() -> None:
    result = reading("purpose", "purple", intent="affirm", confidence=0.99)
    assert result.result is Result.READ_BACK and result.evidence is Evidence.MODEL
    assert (
        reading("purpose", "purple", intent="affirm", confidence=0.3).result
        is Result.NOT_UNDERSTOOD
    )


# --- read-backs: confirmed, corrected, refused ---------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "result", "value"),
    [
        ("yes", Result.ANSWER, "yes"),
        ("yes that's right", Result.ANSWER, "yes"),
        ("correct", Result.ANSWER, "yes"),
        ("I think so", Result.ANSWER, "yes"),  # the same words again
        ("/affirm", Result.ANSWER, "yes"),
        ("no, I meant not sure", Result.ANSWER, "not_sure"),
        ("I meant no", Result.ANSWER, "no"),
        ('/not_sure{"answer": "not_sure"}', Result.ANSWER, "not_sure"),
        ('/deny{"answer": "no"}', Result.ANSWER, "no"),
        ("no", Result.RETRY, None),
        ("/deny", Result.RETRY, None),
        ("not sure", Result.ANSWER, "not_sure"),
    ],
)
def test_a_read_back_accepts_any_confirmation_and_correction(reply, result, value) -> None:
    pending = Pending("identifiable", "yes", normalise("I think so"))
    reading_ = read(asked_for("identifiable"), Heard(reply), pending)
    assert (reading_.result, reading_.value) == (result, value), reading_


def test_a_read_back_of_a_choice_is_confirmed_by_a_yes() -> None:
    asked = asked_for("appropriate", ALL_POINTS_BUT_LAST)
    pending = Pending(asked.key, "no_unsafe", "hmm she might kick off")
    assert read(asked, Heard("yes"), pending).value == "no_unsafe"
    corrected = read(asked, Heard('/affirm{"inform_choice": "already_aware"}'), pending)
    assert corrected.value == "already_aware"


# --- questions, side questions and loops ---------------------------------------------------------


def test_a_question_alone_is_a_side_question() -> None:
    faq = reading(
        "purpose",
        "what does legitimate mean?",
        intent="faq",
        confidence=0.9,
        faq="faq/what_is_this",
        faq_confidence=0.9,
    )
    assert faq.result is Result.SIDE_QUESTION and faq.side.kind is SideKind.FAQ
    assert (
        reading("purpose", "why?", intent="explain", confidence=0.9).side.kind is SideKind.EXPLAIN
    )


def test_an_answer_and_a_question_take_the_answer_and_answer_the_question() -> None:
    result = reading(
        "public_interest",
        "yes, there's a risk to the children - do I need to tell her though?",
        intent="faq",
        confidence=0.7,
        faq="faq/inform_the_person",
        faq_confidence=0.95,
    )
    assert result.result is Result.ANSWER and result.value == "yes"
    assert result.side.kind is SideKind.FAQ and result.side.faq == "faq/inform_the_person"


def test_an_answer_that_the_model_reads_as_an_faq_is_an_answer() -> None:
    result = reading(
        "consent_unsafe",
        "no, I can just ring him and ask",
        intent="faq",
        confidence=0.95,
        faq="faq/who_to_ask",
        faq_confidence=0.97,
    )
    assert result.result is Result.ANSWER and result.value == "no" and result.side is None


def test_the_same_unusable_message_twice_gets_help_not_the_same_reply() -> None:
    asked = asked_for("purpose")
    first = read(asked, Heard("purple"))
    assert first.result is Result.NOT_UNDERSTOOD
    second = read(asked, Heard("purple"), unusable=first.unusable)
    assert second.result is Result.HELP
    question = Heard(
        "what?", intent="faq", confidence=0.9, faq="faq/what_is_this", faq_confidence=0.9
    )
    side = read(asked, question)
    assert side.result is Result.SIDE_QUESTION
    assert read(asked, question, unusable=side.unusable).result is Result.HELP


def test_unusable_at_another_question_does_not_count() -> None:
    first = read(asked_for("purpose"), Heard("purple"))
    assert read(asked_for("identifiable"), Heard("purple"), unusable=first.unusable).result is (
        Result.NOT_UNDERSTOOD
    )


# --- buttons, commands, free text ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "result", "value"),
    [
        ("/affirm", Result.ANSWER, "yes"),
        ("/deny", Result.ANSWER, "no"),
        ("/not_sure", Result.ANSWER, "not_sure"),
        ("/not_asked", Result.ANSWER, "not_asked"),
        ("/no_such_intent", Result.NOT_UNDERSTOOD, None),
        ("/go_back", Result.COMMAND, None),
        ("go back", Result.COMMAND, None),
        ("start again", Result.COMMAND, None),
        ("stop", Result.COMMAND, None),
    ],
)
def test_buttons_and_commands(text: str, result: Result, value: str | None) -> None:
    got = reading("consent", text)
    assert (got.result, got.value) == (result, value)


def test_not_asked_is_no_where_it_is_not_an_answer() -> None:
    assert reading("purpose", "/not_asked").value == "no"


@pytest.mark.parametrize(
    ("slot", "text", "result"),
    [
        ("information", "details of a family's rent arrears", Result.ANSWER),
        ("information", "Housing need it to plan support", Result.ANSWER),
        ("information", "yes", Result.NOT_UNDERSTOOD),
        ("reasons", "yes", Result.NOT_UNDERSTOOD),
        ("public_interest_reason", "Her children are at risk if nothing is done", Result.ANSWER),
        ("reasons", "", Result.NOT_UNDERSTOOD),
    ],
)
def test_free_text(slot: str, text: str, result: Result) -> None:
    assert reading(slot, text, intent="explain", confidence=0.9).result is result


def test_explicit_restart_and_stop() -> None:
    assert asks_to_restart("can we start again please") and asks_to_restart("/restart")
    assert not asks_to_restart("ok")
    assert asks_to_stop("bye") and not asks_to_stop("yes")


def test_every_question_of_the_protocol_is_read() -> None:
    """A question added to the protocol is read like the others: hedges read back, buttons taken."""
    protocol = load_protocol()
    for slot in protocol.form_slots():
        asked = asked_for(slot.name)
        if not asked.takes_answers:
            continue
        hedge = read(asked, Heard("I think so"))
        assert hedge.result is Result.READ_BACK, slot
        assert read(asked, Heard("/affirm")).result is Result.ANSWER, slot


def test_unusable_slot_round_trip() -> None:
    unusable = Unusable("purpose", "purple", 2)
    assert Unusable.from_slot(unusable.as_slot()) == unusable
    assert Unusable.from_slot(None) is None and Pending.from_slot({"x": 1}) is None


# --- the safety rule: never toward sharing on a cue or a turning reason (issue 18) ---------------


@pytest.mark.parametrize(
    ("slot", "text", "follow_up"),
    [
        # the table: each was read by its cue, most toward sharing
        (
            "public_interest",
            "he has capacity but he's putting other road users at risk",
            "competent_adult",
        ),
        (
            "identifiable",
            "no names, but it's a small school and parents talk",
            "with_other_information",
        ),
        ("identifiable", "it's about a child whose dad passed away", "living_person"),
        ("confidential", "her ex posted it on facebook to shame her", "lawfully_public"),
        ("consent", "she agreed to us talking to her GP, not to the police", "limits_of_consent"),
        ("consent", "no capacity, but her daughter has power of attorney", "someone_authorised"),
        ("consent", "she agreed at first but withdrew it last week", "consent_withdrawn"),
        ("consent_unsafe", "asking would only cause a short delay", "unjustified_delay"),
    ],
)
def test_a_reason_that_touches_the_guidances_qualifier_gets_its_follow_up(
    slot: str, text: str, follow_up: str
) -> None:
    result = reading(slot, text)
    assert result.result is Result.FOLLOW_UP and result.follow_up.id == follow_up, result
    assert result.pending.follow_up == follow_up and result.value is None


@pytest.mark.parametrize(
    ("slot", "reply", "value"),
    [
        # the follow-up's answer decides the question, in either direction
        ("confidential", "/deny", "yes"),  # not lawfully public: confidential
        ("confidential", "no, she never agreed to it going up", "yes"),
        ("confidential", "/affirm", "no"),  # a button: the practitioner's own answer
        ("identifiable", "yes they'd know straight away", "yes"),
        ("public_interest", "/affirm", "yes"),
        ("public_interest", "no, only to himself", "no"),
        ("consent", "/not_asked", "not_asked"),
    ],
)
def test_the_follow_ups_answer_decides_the_question(slot: str, reply: str, value: str) -> None:
    first = {
        "confidential": "her ex posted it on facebook to shame her",
        "identifiable": "no names, but it's a small school and parents talk",
        "public_interest": "he has capacity but he's putting other road users at risk",
        "consent": "she agreed to us talking to her GP, not to the police",
    }[slot]
    asked = asked_for(slot)
    follow = read(asked, Heard(first))
    result = read(asked, Heard(reply), follow.pending)
    assert (result.result, result.value, result.evidence) == (
        Result.ANSWER,
        value,
        Evidence.FOLLOW_UP,
    ), result


def test_a_follow_up_answered_by_a_cue_toward_sharing_is_read_back_in_its_words() -> None:
    asked = asked_for("confidential")
    follow = read(asked, Heard("her ex posted it on facebook to shame her"))
    result = read(asked, Heard("i think she posted it herself originally"), follow.pending)
    assert result.result is Result.READ_BACK and result.follow_up.id == "lawfully_public"
    confirmed = read(asked, Heard("yes"), result.pending)
    assert (confirmed.result, confirmed.value) == (Result.ANSWER, "no")


def test_an_unusable_reply_to_a_follow_up_asks_it_again() -> None:
    asked = asked_for("consent_unsafe")
    follow = read(asked, Heard("asking would only cause a short delay"))
    again = read(asked, Heard("hmm"), follow.pending)
    assert again.result is Result.FOLLOW_UP and again.pending.follow_up == "unjustified_delay"
    assert read(asked, Heard("go back"), again.pending).result is Result.COMMAND


@pytest.mark.parametrize(
    ("slot", "text"),
    [
        # a cue alone never moves the check toward sharing
        ("confidential", "it's common knowledge round here"),
        ("consent_unsafe", "she's at risk"),
        # the practitioner's answer word, then a turn
        ("purpose", "yes but i'm not sure the police need all of it"),
        ("consent", "yeah she's agreed, sort of"),
        ("purpose", "yes - sorry i mean no"),
        ("public_interest", "yes as long as her dad doesn't find out"),
        # a negation that is not an answer
        ("confidential", "it's not in the public domain, no"),
        ("identifiable", "it's not that she couldn't be identified, i just don't want to name her"),
        # an echoed question answered: "common knowledge? no" is not "not confidential"
        ("confidential", "common knowledge? no chance, she's kept it from everyone"),
        # the whole message a question
        ("confidential", "it's not confidential if she's a risk to herself is it?"),
        # another answer's cue after the first
        ("consent", "yes she agreed but she lacks capacity"),
    ],
)
def test_nothing_toward_sharing_is_taken_from_a_cue_or_a_turning_reason(
    slot: str, text: str
) -> None:
    asked = asked_for(slot)
    result = read(asked, Heard(text))
    assert not (result.result is Result.ANSWER and result.value in asked.toward), result
    assert result.result in (Result.READ_BACK, Result.FOLLOW_UP), result


@pytest.mark.parametrize(
    ("slot", "text"),
    [
        ("consent", "she hasn't refused"),
        ("consent", "she didn't say no"),
        ("purpose", "no reason not to"),
        ("consent", "not so much refused as never got round to asking"),
    ],
)
def test_double_negatives_are_read_back_whichever_way(slot: str, text: str) -> None:
    assert reading(slot, text).result is Result.READ_BACK


def test_every_question_keeps_the_rule_whatever_its_words() -> None:
    """For every step of the shipped protocol that moves toward sharing: its own answer word is
    taken, the same word with a turning reason never is, and a button always is."""
    protocol = load_protocol()
    steps = [(q.id, None) for q in protocol.questions.values() if not q.is_checklist]
    points = [item.id for item in protocol.checklist_question.checklist]
    steps += [("appropriate", {p: True for p in points[:i]}) for i in range(len(points))]
    words = {"yes": "yes", "no": "no"}
    for slot, checks in steps:
        asked = asked_for(slot, checks)
        assert asked.toward, f"{asked.key}: no answer moves toward sharing"
        for value in sorted(asked.toward & set(words)):
            plain = read(asked, Heard(words[value]))
            assert (plain.result, plain.value) == (Result.ANSWER, value), asked.key
            turned = read(asked, Heard(f"{words[value]}, but it's complicated"))
            assert turned.result is not Result.ANSWER, (asked.key, turned)
            button = read(asked, Heard({"yes": "/affirm", "no": "/deny"}[value]))
            assert button.evidence is Evidence.BUTTON, asked.key


@pytest.mark.parametrize(
    ("text", "result", "value"),
    [
        ("aye", Result.ANSWER, "yes"),
        ("ya", Result.ANSWER, "yes"),
        ("yep", Result.ANSWER, "yes"),
        ("nope", Result.ANSWER, "no"),
        ("nae", Result.ANSWER, "no"),
        ("na", Result.ANSWER, "no"),
        ("dunno", Result.ANSWER, "not_sure"),
        ("deffo", Result.ANSWER, "yes"),
        ("yeah, no", Result.READ_BACK, "no"),
        ("yeah nah", Result.READ_BACK, "no"),
    ],
)
def test_regional_and_informal_answer_words(text: str, result: Result, value: str) -> None:
    got = reading("purpose", text)
    assert (got.result, got.value) == (result, value), got


def test_the_helpdesks_suggestion_is_taken_with_its_button_at_its_question_only() -> None:
    from bot.helpdesk import messages as helpdesk_say

    advice = helpdesk_say.Advice("ISD-000007", "Share it.", "yes", "Question 4", None, "consent")
    (button,) = helpdesk_say.continuing(advice).buttons
    assert button["title"] == "Answer “Yes” as the helpdesk suggests"
    taken = reading("consent", button["payload"])
    assert (taken.result, taken.value, taken.evidence) == (Result.ANSWER, "yes", Evidence.HELPDESK)
    assert reading("purpose", button["payload"]).result is Result.NOT_UNDERSTOOD
    assert helpdesk_say.continuing(helpdesk_say.Advice("ISD-000007", "Ask your DSL.")).buttons == []
