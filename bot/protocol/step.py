"""The answering step (pure: no Rasa, no I/O): one message read at the step the form is asking,
turned into the replies to say and the slot changes to make.

:func:`answer` is what the form's validation does with a message: it reads it
(:func:`bot.protocol.reading.read`) and takes the answer (with its note, how it was reached and,
at the checklist, the point's progress), reads it back, asks the guidance's follow-up, answers a
side question, or says what it could not use — the words from :mod:`bot.protocol.messages`.
:func:`what_next` is what the form asks after it: the next step the engine requires, unless a
read-back or follow-up is waiting for its answer. The actions (``actions/forms.py``) only take
the plain values from Rasa's tracker, call these, say the replies and set the slots.

Free text and notes are redacted before they reach a slot; the redaction is given by the caller
(``bot.nlp.redact``, a layer above this one).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.protocol import messages as say
from bot.protocol.engine import (
    ANSWERED_BY_SLOT,
    NOTES_SLOT,
    answer_checklist_item,
    next_checklist_item,
    required_slots,
)
from bot.protocol.messages import Reply
from bot.protocol.model import AnsweredBy, Kind, Protocol, load_protocol
from bot.protocol.reading import (
    Evidence,
    Heard,
    Pending,
    Reading,
    Result,
    Unusable,
    asked_for,
    read,
)
from bot.text import MAX_FREE_TEXT, clean_free_text

# The slots the answering step keeps between messages (a contract: docs/design.md §6).
PENDING_SLOT = "pending_answer"  # an answer read back, or a follow-up, waiting for its answer
UNUSABLE_SLOT = "unusable_answer"  # the last message the current step could not use

Redact = Callable[[str], str]


@dataclass(frozen=True)
class Answered:
    """What one message at a step comes to: the replies, in order, and the slot changes (in the
    order they are set; a value of None clears the slot)."""

    replies: list[Reply] = field(default_factory=list)
    updates: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Next:
    """What the form asks next: the step (None: nothing left to ask) and its question (None
    when nothing is asked now: no step left, or a read-back waiting for its answer is the
    question for now)."""

    slot: str | None
    ask: Reply | None


def answer(
    slot: str,
    slots: Mapping[str, Any],
    message: Heard,
    redact: Redact,
    protocol: Protocol | None = None,
) -> Answered | None:
    """``message`` read at the form step ``slot`` of a check whose slot values are ``slots``:
    the replies and slot changes, or None for a command ("go back", "start again", "stop",
    "continue ISD-…", "training"), which the dialogue's rules take."""
    return _Step(slot, slots, redact, protocol or load_protocol()).read(message)


def what_next(slots: Mapping[str, Any], protocol: Protocol | None = None) -> Next:
    """The step to ask after the slot values ``slots``, and the question to ask now: the form
    has no ask actions, so its validation asks the next question itself."""
    protocol = protocol or load_protocol()
    following = next((s for s in required_slots(slots, protocol) if slots.get(s) is None), None)
    pending = Pending.from_slot(slots.get(PENDING_SLOT))
    if following and not (pending and pending.key.split(".")[0] == following):
        return Next(following, say.ask(following, slots, protocol))
    return Next(following, None)


class _Step:
    """One message read at one step of the form; the replies are collected as they are said."""

    def __init__(
        self, slot: str, slots: Mapping[str, Any], redact: Redact, protocol: Protocol
    ) -> None:
        self.slot = slot
        self.slots = slots
        self.redact = redact
        question = protocol.questions.get(slot)
        self.checklist = question if question is not None and question.is_checklist else None
        self.checks = dict(slots.get(self.checklist.checks_slot) or {}) if self.checklist else {}
        self.asked = asked_for(slot, self.checks, protocol)
        self.replies: list[Reply] = []

    def reply(self, reply: Reply) -> None:
        self.replies.append(reply)

    def read(self, message: Heard) -> Answered | None:
        reading = read(
            self.asked,
            message,
            Pending.from_slot(self.slots.get(PENDING_SLOT)),
            Unusable.from_slot(self.slots.get(UNUSABLE_SLOT)),
        )
        if reading.result is Result.COMMAND:
            return None
        updates: dict[str, Any] = {
            PENDING_SLOT: reading.pending.as_slot() if reading.pending else None,
            UNUSABLE_SLOT: reading.unusable.as_slot() if reading.unusable else None,
        }
        if reading.result is Result.ANSWER:
            if reading.side is not None:
                self.reply(say.side_question(reading.side, self.slot))
            updates.update(self._take(reading, message.text))
        elif reading.result is Result.FOLLOW_UP:
            assert reading.follow_up is not None
            if reading.side is not None:
                self.reply(say.side_question(reading.side, self.slot))
            waiting = Pending.from_slot(self.slots.get(PENDING_SLOT))
            if waiting is not None and waiting.follow_up == reading.follow_up.id:
                self.reply(say.not_understood())  # the follow-up again, not answered
            self.reply(say.follow_up(reading.follow_up))
            if reading.note:
                updates[NOTES_SLOT] = self._notes(reading.note)
        elif reading.result is Result.READ_BACK and reading.follow_up is not None:
            assert reading.value is not None
            self.reply(say.read_back_follow_up(reading.follow_up, reading.value))
        elif reading.result is Result.READ_BACK:
            assert reading.value is not None
            self.reply(say.read_back(self.asked.key, reading.value, self.asked.answers))
            if reading.note:
                updates[NOTES_SLOT] = self._notes(reading.note)
        elif reading.result is Result.RETRY:
            self.reply(say.retry())
        elif reading.result is Result.SIDE_QUESTION:
            assert reading.side is not None
            self.reply(say.side_question(reading.side, self.slot))
            if reading.follow_up is not None:  # then the follow-up it interrupted, again
                self.reply(say.follow_up(reading.follow_up))
        elif reading.result is Result.HELP:
            self.reply(say.help_with(self.slot, self.slots))
        else:
            kind = self.asked.kind
            self.reply(
                say.not_understood(
                    free_text=kind is Kind.FREE_TEXT, justification=kind is Kind.JUSTIFICATION
                )
            )
        return Answered(self.replies, updates)

    # --- taking an answer -----------------------------------------------------------------

    def _take(self, reading: Reading, text: str) -> dict[str, Any]:
        kind = self.asked.kind
        if kind in (Kind.FREE_TEXT, Kind.JUSTIFICATION):
            return self._free_text(text)
        assert reading.value is not None
        updates: dict[str, Any] = {ANSWERED_BY_SLOT: self._answered_by(reading)}
        kept = (self.slots.get(NOTES_SLOT) or {}).get(self.asked.key)
        if reading.evidence is Evidence.FOLLOW_UP:
            # the reason first given, then the follow-up and its answer: the question's note
            updates[NOTES_SLOT] = self._notes(" — ".join(p for p in (kept, reading.note) if p))
        elif kind is Kind.CONFIRM:
            pass  # "yes, save it": the words of the answer are not a reason to keep
        elif reading.note:
            updates[NOTES_SLOT] = self._notes(reading.note)
        elif reading.evidence is Evidence.CONFIRMED and kept:
            pass  # a read-back confirmed: the reason given with the answer stays
        elif kept is not None:
            updates[NOTES_SLOT] = self._notes(None)
        if kind is Kind.CHECKLIST:
            updates.update(self._checklist(reading.value))
        elif kind is Kind.CONFIRM and reading.value == "no":
            self.reply(say.change_prompt(self.slots))
            updates[self.slot] = None
        else:
            updates[self.slot] = reading.value
        return updates

    def _answered_by(self, reading: Reading) -> dict[str, str]:
        """How this answer was reached, kept by step key for the record (``answered_by``)."""
        ways = dict(self.slots.get(ANSWERED_BY_SLOT) or {})
        ways[self.asked.key] = _ANSWERED_BY.get(reading.evidence, AnsweredBy.WORD).value
        return ways

    def _notes(self, note: str | None) -> dict[str, str] | None:
        notes = dict(self.slots.get(NOTES_SLOT) or {})
        if note:
            notes[self.asked.key] = self.redact(clean_free_text(note).text)
        else:
            notes.pop(self.asked.key, None)
        return notes or None

    def _free_text(self, text: str) -> dict[str, Any]:
        cleaned = clean_free_text(text)
        redacted = self.redact(cleaned.text)
        for note in say.free_text_notes(redacted != cleaned.text, cleaned.truncated, MAX_FREE_TEXT):
            self.reply(note)
        return {self.slot: redacted}

    def _checklist(self, value: str) -> dict[str, Any]:
        """Question 6 is asked one point at a time under the same slot."""
        assert self.checklist is not None
        item = next_checklist_item(self.checks)
        if item is None:
            return {self.slot: "yes"}
        if value == "not_sure":
            return {self.slot: value}
        step = answer_checklist_item(self.checks, item, value)
        if step.remedy is not None:
            self.reply(say.remedy(step.remedy.id))
        return {
            self.slot: "yes" if step.complete else None,
            self.checklist.checks_slot: step.checks,
        }


_ANSWERED_BY = {
    Evidence.BUTTON: AnsweredBy.BUTTON,
    Evidence.WORDS: AnsweredBy.WORD,
    Evidence.CONFIRMED: AnsweredBy.READ_BACK,
    Evidence.FOLLOW_UP: AnsweredBy.FOLLOW_UP,
    Evidence.HELPDESK: AnsweredBy.HELPDESK,
}

__all__ = ["PENDING_SLOT", "UNUSABLE_SLOT", "Answered", "Next", "Redact", "answer", "what_next"]
