"""A pure engine that walks the decision flow.

Everything here works on plain slot values (``{"purpose": "yes", ...}``) and the protocol data;
no Rasa, no I/O, and no question named in code: ids, kinds and branches come from the protocol.
Forms ask what :func:`required_slots` says; actions record what :func:`walk` says; "go back" and
"change an answer" clear what :func:`reset_from` says.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.protocol.model import (
    OUTCOME_PREFIX,
    Answer,
    AnsweredBy,
    ChecklistItem,
    Outcome,
    Protocol,
    Question,
    load_protocol,
)

# The slot holding the practitioner's reasons given with their answers, by step key
# (``purpose``, ``appropriate.inform_person``): conversation plumbing, not a question.
NOTES_SLOT = "answer_notes"
# The slot holding how each answer was reached, by the same step keys (``AnsweredBy`` values;
# set by the form's validation when it takes an answer): kept and cleared like the notes.
ANSWERED_BY_SLOT = "answered_by"
# The slots keyed by step: what is kept of them follows the answers they go with.
STEP_KEYED_SLOTS = (NOTES_SLOT, ANSWERED_BY_SLOT)


@dataclass(frozen=True)
class Walk:
    """Where a set of answers leads.

    ``path`` lists the questions answered on the current route, in order. Exactly one of
    ``next_question`` (what to ask) and ``outcome`` (the decision) is set.
    """

    path: tuple[str, ...]
    next_question: str | None
    outcome: Outcome | None
    advice_needed_at: str | None = None

    @property
    def decided(self) -> bool:
        return self.outcome is not None

    @property
    def needs_record_step(self) -> bool:
        """Question 7 (reasons and confirmation) follows every decision but "seek advice"."""
        return self.outcome is not None and self.outcome is not Outcome.SEEK_ADVICE


def _answer(question: Question, value: Any) -> Answer | None:
    try:
        answer = Answer(value)
    except ValueError:
        return None
    return answer if answer in question.answers else None


def walk(slots: Mapping[str, Any], protocol: Protocol | None = None) -> Walk:
    """Follow the branches from question 1 using the answers in ``slots``."""
    protocol = protocol or load_protocol()
    path: list[str] = []
    question_id = protocol.first
    for _ in range(len(protocol.questions) + 1):
        question = protocol.question(question_id)
        answer = _answer(question, slots.get(question_id))
        target = question.next.get(answer) if answer else None
        # An unanswered question, or an answer that loops back (question 6's "no": remedy,
        # then ask again), means this question is the one to ask.
        if target is None or target == question_id:
            return Walk(tuple(path), question_id, None)
        path.append(question_id)
        if target.startswith(OUTCOME_PREFIX):
            outcome = Outcome(target[len(OUTCOME_PREFIX) :])
            advice_at = question_id if outcome is Outcome.SEEK_ADVICE else None
            return Walk(tuple(path), None, outcome, advice_at)
        question_id = target
    raise ValueError("the protocol's branches form a cycle")


def next_step(slots: Mapping[str, Any], protocol: Protocol | None = None) -> Question | Outcome:
    """The next question to ask, or the outcome once the answers decide it."""
    protocol = protocol or load_protocol()
    result = walk(slots, protocol)
    if result.outcome is not None:
        return result.outcome
    assert result.next_question is not None
    return protocol.question(result.next_question)


def required_slots(slots: Mapping[str, Any], protocol: Protocol | None = None) -> list[str]:
    """The form's slots, in the order they are asked, for the answers given so far."""
    protocol = protocol or load_protocol()
    result = walk(slots, protocol)
    required = [c.id for c in protocol.context]
    for question_id in result.path:
        required.append(question_id)
        justification = protocol.question(question_id).justification
        if justification and slots.get(question_id) == justification.when.value:
            required.append(justification.slot)
    if result.next_question:
        required.append(result.next_question)
    if result.needs_record_step:
        required += [protocol.record.reasons_slot, protocol.record.id]
    return required


def record_path(slots: Mapping[str, Any], protocol: Protocol | None = None) -> list[str]:
    """The questions visited, as stored on the decision record (Q7 included when asked)."""
    protocol = protocol or load_protocol()
    result = walk(slots, protocol)
    return list(result.path) + ([protocol.record.id] if result.needs_record_step else [])


def answers_on_path(slots: Mapping[str, Any], protocol: Protocol | None = None) -> dict[str, str]:
    return {q: str(slots[q]) for q in walk(slots, protocol).path}


def dependent_slots(protocol: Protocol | None = None) -> list[str]:
    """Every slot the flow fills after the context questions (what a new check clears)."""
    protocol = protocol or load_protocol()
    names: list[str] = []
    for question in protocol.questions.values():
        names.append(question.id)
        if question.justification:
            names.append(question.justification.slot)
        if question.checks_slot:
            names.append(question.checks_slot)
    return [*names, protocol.record.reasons_slot, protocol.record.id, *STEP_KEYED_SLOTS]


def step_key(slot: str, item: ChecklistItem | None = None) -> str:
    """The key of one thing asked: a slot, or a checklist point (``appropriate.inform_person``)."""
    return f"{slot}.{item.id}" if item else slot


def notes_on_path(
    slots: Mapping[str, Any], protocol: Protocol | None = None
) -> dict[str, str] | None:
    """The practitioner's reasons given with answers still on the current route."""
    return _on_path(NOTES_SLOT, slots, protocol)


def answered_by_on_path(
    slots: Mapping[str, Any], protocol: Protocol | None = None
) -> dict[str, str] | None:
    """How each answer still on the current route was reached (``AnsweredBy`` values only)."""
    ways = {way.value for way in AnsweredBy}
    kept = _on_path(ANSWERED_BY_SLOT, slots, protocol) or {}
    return {key: how for key, how in kept.items() if how in ways} or None


def _on_path(name: str, slots: Mapping[str, Any], protocol: Protocol | None) -> dict | None:
    """The entries of a step-keyed slot whose step is still asked on the current route."""
    protocol = protocol or load_protocol()
    values = slots.get(name) or {}
    asked = set(required_slots(slots, protocol))
    kept = {key: value for key, value in values.items() if key.split(".")[0] in asked and value}
    return kept or None


def reset_from(
    slot: str, slots: Mapping[str, Any], protocol: Protocol | None = None
) -> dict[str, Any]:
    """Slot updates that clear ``slot`` and every answer that depended on it.

    Everything asked after ``slot`` on the current route is cleared, as are answers left over
    from routes no longer taken, the checklist, question 7 and the reasons given with them.
    """
    protocol = protocol or load_protocol()
    order = required_slots(slots, protocol)
    if slot not in order:
        raise ValueError(f"{slot!r} is not one of this check's questions")
    keep = set(order[: order.index(slot)])
    context = {c.id for c in protocol.context}
    updates: dict[str, Any] = {
        name: None
        for name in [*context, *dependent_slots(protocol)]
        if name not in keep and name not in STEP_KEYED_SLOTS and slots.get(name) is not None
    }
    updates[slot] = None
    for name in STEP_KEYED_SLOTS:
        values = slots.get(name) or {}
        kept = {key: value for key, value in values.items() if key.split(".")[0] in keep}
        if kept != values:
            updates[name] = kept or None
    return updates


def resume_at_advice(slots: Mapping[str, Any], protocol: Protocol | None = None) -> dict[str, Any]:
    """The slots of a check that ended in "seek advice", continued where the practitioner was
    unsure: every answer before that question kept, its "not sure" (and anything after it)
    cleared, so that the form asks it next. On the checklist question the points already
    confirmed stay confirmed."""
    protocol = protocol or load_protocol()
    unsure = walk(slots, protocol).advice_needed_at
    if unsure is None:
        raise ValueError("these answers do not end in seek advice")
    resumed = {**slots, **reset_from(unsure, slots, protocol)}
    checks_slot = protocol.question(unsure).checks_slot
    if checks_slot and slots.get(checks_slot):
        resumed[checks_slot] = dict(slots[checks_slot])
    return resumed


def previous_slot(slots: Mapping[str, Any], protocol: Protocol | None = None) -> str | None:
    """The last slot answered before the one being asked now (what "go back" returns to)."""
    order = required_slots(slots, protocol)
    answered = [name for name in order if slots.get(name) is not None]
    # The question being asked is the first empty one; anything after it is not answered yet.
    first_empty = next((i for i, name in enumerate(order) if slots.get(name) is None), len(order))
    before = [name for name in answered if order.index(name) < first_empty]
    return before[-1] if before else None


# --- the checklist question (question 6) -------------------------------------------------------


def checklist(protocol: Protocol | None = None) -> tuple[ChecklistItem, ...]:
    protocol = protocol or load_protocol()
    return protocol.checklist_question.checklist


def next_checklist_item(
    checks: Mapping[str, Any] | None, protocol: Protocol | None = None
) -> ChecklistItem | None:
    """The first checklist item not yet confirmed, or None when all are."""
    checks = checks or {}
    return next((item for item in checklist(protocol) if item.id not in checks), None)


@dataclass(frozen=True)
class ChecklistStep:
    checks: dict[str, Any]
    remedy: ChecklistItem | None = None
    complete: bool = False


def answer_checklist_item(
    checks: Mapping[str, Any] | None,
    item: ChecklistItem,
    value: str,
    protocol: Protocol | None = None,
) -> ChecklistStep:
    """Apply one answer ("yes", "no" or, for an item with choices, a choice) to the checklist.

    A "yes" (or a choice) confirms the item; anything else leaves it open and names the item
    whose guidance to give.
    """
    updated = dict(checks or {})
    if item.choices:
        if value not in item.choices:
            return ChecklistStep(updated, remedy=item)
        updated[item.id] = value
    elif value == Answer.YES.value:
        updated[item.id] = True
    else:
        return ChecklistStep(updated, remedy=item)
    return ChecklistStep(updated, complete=next_checklist_item(updated, protocol) is None)


def previous_checklist_item(
    checks: Mapping[str, Any] | None, protocol: Protocol | None = None
) -> str | None:
    """The last confirmed checklist item (what "go back" re-opens inside question 6)."""
    confirmed = [item.id for item in checklist(protocol) if item.id in (checks or {})]
    return confirmed[-1] if confirmed else None
