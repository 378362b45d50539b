"""Everything the assistant says, in one place, built from the protocol data (pure: no Rasa).

A :class:`Reply` is channel-neutral: text, buttons, and optionally a :class:`Card` described as
data. Actions hand replies to the channel as they are (``actions/common.py``); each channel renders
them (the web chat and REST show the text and buttons, Microsoft Teams draws the card).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

from bot.protocol.engine import (
    NOTES_SLOT,
    Walk,
    checklist,
    next_checklist_item,
    step_key,
    walk,
)
from bot.protocol.model import (
    Answer,
    FollowUp,
    GuidanceText,
    Outcome,
    Protocol,
    load_protocol,
)
from bot.protocol.reading import Side, SideKind

ANSWER_WORDS = {
    Answer.YES.value: "Yes",
    Answer.NO.value: "No",
    Answer.NOT_SURE.value: "Not sure",
    Answer.NOT_ASKED.value: "Not asked yet",
}
# Button payloads: the intents of DESIGN.md's contract (../shared/DESIGN.md; docs/design.md §6).
ANSWER_PAYLOADS = {
    Answer.YES.value: "/affirm",
    Answer.NO.value: "/deny",
    Answer.NOT_SURE.value: "/not_sure",
    Answer.NOT_ASKED.value: "/not_asked",
}
START_CHECK = "/start_check"
HINT = 'Say "why?" at any question for the guidance behind it, "go back" or "start again".'


@dataclass(frozen=True)
class Card:
    """A structured view of a message, for channels that show cards (Microsoft Teams).

    ``facts`` are (label, value) pairs; the reply's text stays the whole message for every other
    channel, so a card never says anything the text does not.
    """

    title: str
    facts: tuple[tuple[str, str], ...] = ()
    note: str = ""
    link: tuple[str, str] | None = None  # (title, https URL): a button that opens a page

    def as_data(self) -> dict[str, Any]:
        data = asdict(self)
        data["facts"] = [list(fact) for fact in self.facts]
        data["link"] = list(self.link) if self.link else None
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Card:
        link = data.get("link")
        return cls(
            title=str(data.get("title") or ""),
            facts=tuple((str(a), str(b)) for a, b in data.get("facts") or ()),
            note=str(data.get("note") or ""),
            link=(str(link[0]), str(link[1])) if link else None,
        )


@dataclass(frozen=True)
class Reply:
    """What to say. ``response`` names a domain response to say instead of ``text`` (the FAQ
    answers, generated into the domain so that the response selector is trained on them)."""

    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    card: Card | None = None
    response: str | None = None


@dataclass(frozen=True)
class Contact:
    role: str
    how: str = ""


class FactKind(str, Enum):
    CONTEXT = "context"  # what, with whom, why
    ANSWER = "answer"  # a question and its answer
    DETAIL = "detail"  # something given with an answer (a justification, a reason)


@dataclass(frozen=True)
class Fact:
    kind: FactKind
    label: str
    value: str


def _button(title: str, payload: str) -> dict[str, str]:
    return {"title": title, "payload": payload}


def answer_payload(value: str, choice: bool = False) -> str:
    """The payload of a button that gives ``value``; a checklist choice rides on an entity."""
    if choice:
        intent = "affirm" if value in ("yes", "already_aware") else "deny"
        return f"/{intent}" + json.dumps({"inform_choice": value})
    return ANSWER_PAYLOADS[value]


def answer_buttons(answers: Sequence[Answer | str]) -> list[dict[str, str]]:
    values = [a.value if isinstance(a, Answer) else a for a in answers]
    return [_button(ANSWER_WORDS[v], ANSWER_PAYLOADS[v]) for v in values]


def change_payload(slot: str) -> str:
    return "/change_answer" + json.dumps({"question": slot})


def _bullets(lines: Sequence[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def _texts(items: Sequence[GuidanceText]) -> list[str]:
    return [item.text for item in items]


def context_label(slot: str, protocol: Protocol | None = None) -> str:
    protocol = protocol or load_protocol()
    return next((c.label for c in protocol.context if c.id == slot), slot)


def question_title(slot: str, protocol: Protocol | None = None) -> str:
    protocol = protocol or load_protocol()
    question = protocol.owner(slot)
    if question is not None:
        return f"Q{question.number} {question.text}"
    if slot in (protocol.record.id, protocol.record.reasons_slot):
        return f"Q{protocol.record.number} {protocol.record.text}"
    return context_label(slot, protocol)


def answer_word(slot: str, value: Any, protocol: Protocol | None = None) -> str:
    protocol = protocol or load_protocol()
    return ANSWER_WORDS.get(str(value), str(value))


def choice_word(key: str, value: str, protocol: Protocol | None = None) -> str:
    """How an answer to a step is shown: "Yes", or a checklist choice's title."""
    protocol = protocol or load_protocol()
    slot, _, point = key.partition(".")
    if point:
        item = next((i for i in checklist(protocol) if i.id == point), None)
        if item and value in item.choices:
            return item.choices[value]
    return ANSWER_WORDS.get(value, value)


# --- asking --------------------------------------------------------------------------------------


def ask(slot: str, slots: Mapping[str, Any], protocol: Protocol | None = None) -> Reply:
    """The prompt for ``slot``: a context question, one of the seven, or question 7's steps."""
    protocol = protocol or load_protocol()
    for context in protocol.context:
        if slot == context.id:
            return Reply(context.ask)
    owner = protocol.owner(slot)
    if owner is not None and owner.justification and owner.justification.slot == slot:
        return Reply(owner.justification.ask)
    if owner is not None and owner.is_checklist:
        return _ask_checklist(slots, protocol)
    if owner is not None:
        text = f"Question {owner.number}: {owner.text}"
        lines = _texts(owner.prompts) + ([owner.hint] if owner.hint else [])
        if lines:
            text += "\n" + _bullets(lines)
        return Reply(text, answer_buttons(owner.answers))
    if slot == protocol.record.reasons_slot:
        result = walk(slots, protocol)
        return Reply(
            "\n\n".join(
                [
                    outcome_text(result, protocol),
                    summary(slots, protocol),
                    protocol.record.reasons_ask,
                ]
            )
        )
    if slot == protocol.record.id:
        return Reply(
            summary(slots, protocol) + "\n\n" + protocol.record.confirm_ask,
            [_button("Yes, save it", "/affirm"), _button("Change an answer", "/change_answer")],
            Card(SUMMARY_TITLE, summary_facts(slots, protocol), protocol.record.confirm_ask),
        )
    raise KeyError(f"no prompt for slot {slot!r}")


def _ask_checklist(slots: Mapping[str, Any], protocol: Protocol) -> Reply:
    q = protocol.checklist_question
    item = next_checklist_item(slots.get(q.checks_slot), protocol)
    items = checklist(protocol)
    if item is None:  # every point confirmed: the form will not ask again
        item = items[-1]
    position = [i.id for i in items].index(item.id) + 1
    text = f"Question {q.number}: {q.text} — point {position} of {len(items)}:\n{item.ask}"
    if item.hint:
        text += f"\n{item.hint}"
    return Reply(text, point_buttons(item.id, protocol))


def point_buttons(point: str, protocol: Protocol | None = None) -> list[dict[str, str]]:
    protocol = protocol or load_protocol()
    item = next(i for i in checklist(protocol) if i.id == point)
    if not item.choices:
        return answer_buttons(protocol.checklist_question.answers)
    buttons = [
        _button(title, answer_payload(key, choice=True)) for key, title in item.choices.items()
    ]
    return buttons + answer_buttons([Answer.NOT_SURE])


def explain(slot: str | None, protocol: Protocol | None = None) -> Reply:
    """The golden rule, things to consider and guidance paragraphs behind a question."""
    protocol = protocol or load_protocol()
    question = protocol.owner(slot) if slot else None
    if question is not None:
        number, rule, paragraphs = question.number, question.golden_rule, question.paragraphs
        considerations = _texts(question.prompts + question.more + question.considerations)
    elif slot in (protocol.record.reasons_slot, protocol.record.id):
        record = protocol.record
        number, rule, paragraphs = record.number, record.golden_rule, record.paragraphs
        considerations = _texts(record.considerations)
    else:
        return Reply(
            "I ask what you want to share, with whom and why so that the decision record shows "
            "them (Golden Rule 7: keep a record of your decision and the reasons for it). Describe "
            "things in general terms — there is no need to name the person.\n\n"
            f"Golden Rule 1: {protocol.golden_rules[1]}"
        )
    parts = [f"Why question {number} matters — Golden Rule {rule}: {protocol.golden_rules[rule]}"]
    if considerations:
        parts.append("What the guidance says:\n" + _bullets(considerations))
    parts.append(f"For more detail see {protocol.guidance}, paragraphs {paragraphs}.")
    return Reply("\n\n".join(parts))


def about(protocol: Protocol | None = None) -> Reply:
    """ "Why?" outside a check: the guidance the assistant follows."""
    protocol = protocol or load_protocol()
    rules = "\n".join(f"{n}. {rule}" for n, rule in protocol.golden_rules.items())
    return Reply(
        "I follow the HM Government information-sharing guidance: seven key questions and the "
        "Seven Golden Rules:\n" + rules,
        [_button("Start a check", START_CHECK)],
    )


# --- reading answers -----------------------------------------------------------------------------


def follow_up(step: FollowUp) -> Reply:
    """The guidance's own follow-up question: what the guidance says, then the question, with
    its answers as buttons."""
    quoted = " ".join(f"“{item.text}”" for item in step.guidance)
    buttons = [_button(label, ANSWER_PAYLOADS[value]) for value, label in step.labels.items()]
    return Reply(f"The guidance says: {quoted}\n\n{step.ask}", buttons)


def read_back_follow_up(step: FollowUp, value: str) -> Reply:
    """ "I read that as “Yes, it is lawfully public” — is that right?" (a follow-up's answer)."""
    buttons = [_button("Yes, that's right", "/affirm")]
    for other, label in step.labels.items():
        if other != value:
            buttons.append(
                _button(
                    f"I meant “{label}”", ANSWER_PAYLOADS[other] + json.dumps({"answer": other})
                )
            )
    return Reply(f"I read that as “{step.labels[value]}” — is that right?", buttons)


def read_back(
    key: str, value: str, answers: Sequence[str], protocol: Protocol | None = None
) -> Reply:
    """ "I read that as “No” — is that right?", with the other answers one press away."""
    word = choice_word(key, value, protocol)
    choice = "." in key and any(a not in ANSWER_PAYLOADS for a in answers)
    buttons = [_button("Yes, that's right", "/affirm")]
    for other in answers:
        if other == value or (choice and other == Answer.NO.value):
            continue
        if choice and other != Answer.NOT_SURE.value:
            payload = answer_payload(other, choice=True)
        else:  # the answer rides on an entity, so it is not read as "yes, that's right"
            payload = ANSWER_PAYLOADS[other] + json.dumps({"answer": other})
        buttons.append(_button(f"I meant “{choice_word(key, other, protocol)}”", payload))
    return Reply(f"I read that as “{word}” — is that right?", buttons)


def retry() -> Reply:
    return Reply("OK, let's try that question again.")


def not_understood(free_text: bool = False, justification: bool = False) -> Reply:
    if justification:
        return Reply("Please say why, in a sentence or two.")
    if free_text:
        return Reply("I need a few words in answer to that, please.")
    return Reply("Sorry, I didn't catch that.")


def help_with(slot: str, slots: Mapping[str, Any], protocol: Protocol | None = None) -> Reply:
    """What each answer means, with its button, and how to get advice: for when a step keeps
    getting messages it cannot use (never the same reply twice)."""
    protocol = protocol or load_protocol()
    question = protocol.owner(slot)
    if question is None or (question.justification and question.justification.slot == slot):
        return Reply(
            "I still couldn't use that. Please answer the question in a few words of your own; "
            'you can also say "why?" for the guidance behind it, "go back", or "start again".'
        )
    lines = []
    buttons: list[dict[str, str]] = []
    if question.is_checklist:
        item = (
            next_checklist_item(slots.get(question.checks_slot), protocol)
            or checklist(protocol)[-1]
        )
        buttons = point_buttons(item.id, protocol)
        if item.choices:
            lines += [f"“{title}”" for title in item.choices.values()]
        else:
            lines += [
                f"“{ANSWER_WORDS[a.value]}” — {question.meanings.get(a.value, '')}".rstrip(" —")
                for a in question.answers
                if a is not Answer.NOT_SURE
            ]
    else:
        buttons = answer_buttons(question.answers)
        lines += [
            f"“{ANSWER_WORDS[a.value]}” — {question.meanings[a.value]}"
            for a in question.answers
            if a.value in question.meanings
        ]
    lines.append(
        "“Not sure” — if you are in any doubt: I will tell you whom to ask for advice, and the "
        "record will show where you were unsure."
    )
    return Reply(
        f"I still couldn't use that as an answer to question {question.number}. Please answer "
        "with a button or in your own words:\n"
        + _bullets(lines)
        + '\nYou can add your reason after the answer ("no, because …"), or say "why?" for the '
        "guidance behind the question.",
        buttons,
    )


def faq_answer(key: str) -> Reply:
    """An FAQ's answer: its domain response (``utter_faq/<key>``, generated from faq.yml)."""
    return Reply("", response=f"utter_{key}" if key.startswith("faq/") else f"utter_faq/{key}")


def side_question(side: Side, slot: str | None) -> Reply:
    """The answer to a question asked at (or instead of) an answer."""
    if side.kind is SideKind.FAQ and side.faq:
        return faq_answer(side.faq)
    if side.kind is SideKind.EXPLAIN:
        return explain(slot)
    return Reply(
        "I have taken your answer. I couldn't tell what your question was about — please ask it "
        'again on its own, or say "why?" for the guidance behind this question.'
    )


def remedy(point: str, protocol: Protocol | None = None) -> Reply:
    protocol = protocol or load_protocol()
    item = next(i for i in checklist(protocol) if i.id == point)
    return Reply("Before you share, the guidance says: " + item.remedy)


# --- outcomes ------------------------------------------------------------------------------------


def outcome_text(result: Walk, protocol: Protocol | None = None) -> str:
    protocol = protocol or load_protocol()
    assert result.outcome is not None
    outcome = protocol.outcomes[result.outcome]
    text = f"Decision: {outcome.title}.\n{outcome.text}"
    if outcome.guidance:
        text += "\n" + _bullets(_texts(outcome.guidance))
    return text


def seek_advice(
    result: Walk, contacts: Sequence[Contact], protocol: Protocol | None = None
) -> Reply:
    protocol = protocol or load_protocol()
    where = question_title(result.advice_needed_at, protocol) if result.advice_needed_at else ""
    lines = [outcome_text(result, protocol)]
    if where:
        lines.append(f"You were not sure at {where}")
    lines.append(
        "Whom to ask:\n" + _bullets([f"{c.role} — {c.how}" if c.how else c.role for c in contacts])
    )
    lines.append(f"Golden Rule 3: {protocol.golden_rules[3]}")
    return Reply("\n\n".join(lines))


SUMMARY_TITLE = "Summary of your check"


def facts(slots: Mapping[str, Any], protocol: Protocol | None = None) -> tuple[Fact, ...]:
    """The practitioner's answers so far, in the order they were asked, each with its kind."""
    protocol = protocol or load_protocol()
    notes = slots.get(NOTES_SLOT) or {}
    found: list[Fact] = []
    for context in protocol.context:
        value = slots.get(context.id)
        if value:
            found.append(Fact(FactKind.CONTEXT, context.label, str(value)))
    for question_id in walk(slots, protocol).path:
        q = protocol.question(question_id)
        found.append(
            Fact(FactKind.ANSWER, f"Q{q.number} {q.text}", answer_word(q.id, slots.get(q.id)))
        )
        if notes.get(q.id):
            found.append(Fact(FactKind.DETAIL, "Your reason", str(notes[q.id])))
        if q.justification and slots.get(q.justification.slot):
            found.append(
                Fact(FactKind.DETAIL, q.justification.label, str(slots[q.justification.slot]))
            )
    checklist_q = protocol.checklist_question
    checks = slots.get(checklist_q.checks_slot) or {}
    if checks:
        items = checklist(protocol)
        plain = [item for item in items if not item.choices]
        confirmed = [item.id for item in plain if checks.get(item.id) is True]
        found.append(
            Fact(FactKind.DETAIL, "Sharing checks confirmed", f"{len(confirmed)} of {len(plain)}")
        )
        for item in items:
            if item.choices and checks.get(item.id):
                choice = item.choices.get(checks[item.id], checks[item.id])
                found.append(Fact(FactKind.DETAIL, item.label, choice))
            note = notes.get(step_key(checklist_q.id, item))
            if note:
                found.append(Fact(FactKind.DETAIL, f"Your reason ({item.label})", str(note)))
    return tuple(found)


def summary_facts(
    slots: Mapping[str, Any], protocol: Protocol | None = None
) -> tuple[tuple[str, str], ...]:
    """The summary as (label, value) pairs, for a card."""
    return tuple((f.label, f.value) for f in facts(slots, protocol))


def summary(slots: Mapping[str, Any], protocol: Protocol | None = None) -> str:
    """The practitioner's answers so far, as shown at question 7."""
    lines = [f"{SUMMARY_TITLE}:"]
    for fact in facts(slots, protocol):
        if fact.kind is FactKind.ANSWER:
            lines.append(f"• {fact.label} — {fact.value}")
        elif fact.kind is FactKind.DETAIL:
            lines.append(f"    {fact.label}: {fact.value}")
        else:
            lines.append(f"• {fact.label}: {fact.value}")
    return "\n".join(lines)


def change_buttons(
    slots: Mapping[str, Any], protocol: Protocol | None = None
) -> list[dict[str, str]]:
    """One button per answer given so far, to change it from the summary."""
    protocol = protocol or load_protocol()
    buttons = [
        _button(f"Change: {c.label}", change_payload(c.id))
        for c in protocol.context
        if slots.get(c.id)
    ]
    for question_id in walk(slots, protocol).path:
        buttons.append(
            _button(
                f"Change: Q{protocol.question(question_id).number}", change_payload(question_id)
            )
        )
    return buttons


def which_answer(slots: Mapping[str, Any]) -> Reply:
    buttons = change_buttons(slots)
    if not buttons:
        return Reply("There are no answers to change yet.")
    return Reply("Which answer would you like to change?", buttons)


RECORD_ELSEWHERE = (
    "Please also record the decision, your reasons, what you shared (if anything), with whom "
    "and why in your agency's own case recording system, following local procedures."
)


def saved(reference: str, outcome: Outcome, protocol: Protocol | None = None) -> Reply:
    protocol = protocol or load_protocol()
    title = protocol.outcomes[outcome].title
    return Reply(
        f"Saved. Your decision reference is {reference} (outcome: {title}). "
        f"{RECORD_ELSEWHERE} "
        'Say "start again" to check another case.',
        card=Card(
            f"Decision record {reference}",
            (("Reference", reference), ("Outcome", title)),
            f'{RECORD_ELSEWHERE} Say "start again" to check another case.',
        ),
    )


def saved_seek_advice(reference: str) -> Reply:
    return Reply(
        f"I have saved this as {reference} (outcome: seek advice). Once you have been advised, "
        'say "start again" to run the check again.'
    )


def summary_link(reference: str, link: str) -> Reply:
    return Reply(f"A printable summary of {reference} is here: [{reference} summary]({link})")


def save_failed() -> Reply:
    return Reply(
        "Sorry — I could not save the record just now. Your answers are kept: "
        'say "save" or "yes" to try again in a moment.'
    )


def record_kept() -> Reply:
    return Reply(
        "I can't reach the records database just now, so your record is not saved yet. It is "
        "kept safely and will be saved as soon as the database is back: nothing you answered "
        "is lost. Send me any message in a little while and I will give you its reference."
    )


def record_saved_later(reference: str) -> Reply:
    return Reply(f"Your record has now been saved. Your decision reference is {reference}.")


# --- around the check ----------------------------------------------------------------------------


def begin(noted: Sequence[str]) -> Reply:
    intro = "Let's work through the information-sharing questions together."
    if noted:
        intro += " I've noted: " + "; ".join(noted) + "."
    return Reply(f"{intro} {HINT}")


def outside_check(reference: str | None) -> Reply:
    if reference:
        text = (
            f"This check is finished and saved as {reference}. To look at another case, "
            'say "start again" or tell me what you would like to share.'
        )
    else:
        text = (
            "There is no check in progress. Tell me what you would like to share and with "
            'whom — for example "Can I tell the school nurse about a pupil\'s asthma?".'
        )
    return Reply(text, [_button("Start a check", START_CHECK)])


def starting_again() -> Reply:
    return Reply("OK — starting a new check.")


def going_back(point: bool = False) -> Reply:
    return Reply("OK, back to the previous point." if point else "OK, going back.")


def nothing_to_go_back_to() -> Reply:
    return Reply("This is the first question, so there is nothing to go back to.")


def changing() -> Reply:
    return Reply("OK, let's change that answer.")


def change_prompt(slots: Mapping[str, Any]) -> Reply:
    reply = which_answer(slots)
    if not reply.buttons:
        return reply
    return Reply("No problem. Which answer would you like to change?", reply.buttons)


def safeguarding(protocol: Protocol | None = None) -> Reply:
    protocol = protocol or load_protocol()
    return Reply("⚠️ " + protocol.safeguarding)


def free_text_notes(redacted: bool, truncated: bool, limit: int) -> list[Reply]:
    notes = []
    if redacted:
        notes.append(
            Reply(
                "I have replaced personal identifiers with placeholders — the record does not "
                "need them."
            )
        )
    if truncated:
        notes.append(Reply(f"That was long, so I have kept the first {limit:,} characters."))
    return notes
