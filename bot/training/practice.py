"""Practice in the chat: a trainee runs the real check on a scenario, in their own words, and is
told the model answer and the guidance's reason where they went another way (pure: no Rasa).

"training" / "practise a case" lists the scenarios; "scenario 7" (typed, or its button) starts
one: the case is shown, its context is filled in, and the form asks the questions as in any
check — explain, go back and the FAQ work as usual. Each answer is compared with the model
(:func:`compare`); the feedback comes at once or at the end, as the scenario file says
(``feedback``). At the end (:func:`summary`): the score (questions answered as the model), the
trainee's path beside the model's, and what to read. The run is kept as a training record
(:mod:`bot.training.runs`), never as a decision record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from bot.protocol import load_protocol, record_path, walk
from bot.protocol.commands import command
from bot.protocol.messages import ANSWER_WORDS, Reply, question_title
from bot.protocol.model import Protocol
from bot.protocol.opening import asks_to_practise
from bot.training.scenarios import Feedback, ModelStep, Scenario, load_scenarios

SCENARIO_SLOT = "training_scenario"
COHORT_SLOT = "training_cohort"
FEEDBACK_SLOT = "training_feedback"  # the cohort's choice for the session, over the scenario's
NOTES_SLOT = "training_notes"

# the start button's payload: /start_training{"scenario": 7}
_PAYLOAD_NUMBER = re.compile(r'"scenario"\s*:\s*(\d{1,3})')


def asks_for_training(text: str | None) -> bool:
    """ "training", "practise a case", "scenario 7", "case study 3", "join cohort ABC123" (or
    the start button) — asked for in so many words; a message that asks whether something can
    be shared never is (:func:`bot.protocol.opening.classify_opening` asks this first)."""
    return asks_to_practise(text)


def cohort_code(text: str | None) -> str | None:
    """The code in "join cohort ABC123"."""
    found = command("practise").pattern("join_cohort").match(str(text or "").strip())
    return found.group("code").upper() if found else None


def scenario_number(text: str | None) -> int | None:
    """The number in "scenario 7", "case study 3" (bot/protocol/commands.yml) or the button's
    payload."""
    said = command("practise").pattern("scenario_number").search(str(text or ""))
    if said:
        return int(said.group("number"))
    pressed = _PAYLOAD_NUMBER.search(str(text))
    return int(pressed.group(1)) if pressed else None


@lru_cache(maxsize=1)
def shipped() -> tuple[Scenario, ...]:
    """The shipped scenarios, loaded and validated once per process (about 0.2 s each time:
    practice looks one up at every message)."""
    return tuple(load_scenarios())


def find(number: int | None) -> Scenario | None:
    return next((s for s in shipped() if s.number == number), None)


# --- comparing the trainee's answers with the model -------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One answer (a question, or a point of the checklist) the trainee gave otherwise."""

    key: str  # "consent", "appropriate.inform_person"
    given: str
    model: str
    step: ModelStep

    def as_slot(self) -> dict[str, str]:
        return {"key": self.key, "given": self.given, "model": self.model}


def _point_value(value: Any) -> str:
    return "yes" if value is True else str(value)


def compare(scenario: Scenario, key: str, given: Any) -> Difference | None:
    """The difference between the trainee's answer at ``key`` and the model's (None: the same,
    or a question the model does not answer)."""
    question, _, point = key.partition(".")
    step = next((s for s in scenario.steps if s.question == question), None)
    if step is None or given is None:
        return None
    if point:
        model = step.point(point)
        if model is None:
            return None
        wanted = "yes" if model.answer in ("yes", "true") else model.answer
        value = _point_value(given)
        return None if value == wanted else Difference(key, value, wanted, step)
    return None if str(given) == step.answer else Difference(key, str(given), step.answer, step)


def answered_now(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The answers (questions and checklist points) given by one message: (key, value)."""
    protocol = load_protocol()
    found = []
    for question in protocol.questions.values():
        if question.is_checklist:
            old = before.get(question.checks_slot) or {}
            new = after.get(question.checks_slot) or {}
            found += [(f"{question.id}.{k}", v) for k, v in new.items() if old.get(k) != v]
            if after.get(question.id) == "not_sure" and before.get(question.id) != "not_sure":
                found.append((question.id, "not_sure"))
        elif after.get(question.id) is not None and before.get(question.id) != after.get(
            question.id
        ):
            found.append((question.id, after[question.id]))
    return found


def _word(value: str, key: str, protocol: Protocol) -> str:
    question, _, point = key.partition(".")
    if point:
        item = next(i for i in protocol.checklist_question.checklist if i.id == point)
        if item.choices and value in item.choices:
            return item.choices[value]
    return ANSWER_WORDS.get(value, value.replace("_", " "))


def _quote(step: ModelStep) -> str:
    text = step.quote.text if hasattr(step.quote, "text") else str(step.quote)
    return " ".join(str(text).split())


def feedback(difference: Difference, protocol: Protocol | None = None) -> Reply:
    """The model answer where the trainee went another way, with the guidance's reason."""
    protocol = protocol or load_protocol()
    step = difference.step
    question, _, point = difference.key.partition(".")
    reason = step.reason
    if point and step.point(point) and step.point(point).reason:
        reason = step.point(point).reason
    where = question_title(question, protocol) + (
        f" (point: {point.replace('_', ' ')})" if point else ""
    )
    return Reply(
        "\n".join(
            [
                f"Training: at {where} you answered "
                f'"{_word(difference.given, difference.key, protocol)}"; the model answer is '
                f'"{_word(difference.model, difference.key, protocol)}".',
                f"Why: {reason}",
                f"Golden Rule {step.rule} · guidance paragraphs {step.paragraphs}: "
                f"\u201c{_quote(step)}\u201d",
            ]
        )
    )


def agreed(key: str, protocol: Protocol | None = None) -> Reply:
    protocol = protocol or load_protocol()
    question = key.partition(".")[0]
    return Reply(f"Training: that is the model answer at {question_title(question, protocol)}.")


# --- starting and ending --------------------------------------------------------------------


def menu() -> Reply:
    scenarios = shipped()
    lines = ["Practise a case: choose a scenario (or type \u201cscenario\u201d and its number)."]
    lines += [f"{s.number}. {s.title}" for s in scenarios]
    buttons = [
        {"title": f"Scenario {s.number}", "payload": f"scenario {s.number}"} for s in scenarios
    ]
    return Reply("\n".join(lines), buttons)


def no_such_scenario(number: int) -> Reply:
    return Reply(f"There is no scenario {number}. Say \u201ctraining\u201d for the list.")


def feedback_mode(scenario: Scenario, chosen: str | None = None) -> Feedback:
    """When the trainee is told the model answers: the trainer's choice for the session (their
    cohort's), else the scenario's."""
    return Feedback(chosen) if chosen in ("immediate", "end") else scenario.feedback


def introduction(scenario: Scenario, chosen: str | None = None) -> Reply:
    when = (
        "I will tell you the model answer after each question where you answer otherwise."
        if feedback_mode(scenario, chosen) is Feedback.IMMEDIATE
        else "You will see the model answers at the end."
    )
    return Reply(
        "\n".join(
            [
                f"Training — scenario {scenario.number}: {scenario.title}",
                " ".join(scenario.case.split()),
                "Answer each question as you would in practice, in your own words; nothing you "
                f"say here is saved as a decision. {when}",
            ]
        )
    )


def context_slots(scenario: Scenario) -> dict[str, str]:
    return dict(vars(scenario.context))


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    answers: dict[str, str]  # key → what the trainee answered (questions and points)
    matched: int
    total: int
    path: list[str]
    differences: list[Difference]

    @property
    def model_path(self) -> list[str]:
        return list(self.scenario.expected.path)


def score(scenario: Scenario, slots: Mapping[str, Any], protocol: Protocol | None = None) -> Result:
    """Questions answered as the model (a question on the model path that the trainee never
    reached counts as not answered as the model); the checklist counts once, as a question."""
    protocol = protocol or load_protocol()
    walked = walk(slots, protocol)
    path = record_path(slots, protocol) if walked.outcome else list(walked.path)
    answers: dict[str, str] = {}
    differences = []
    matched = 0
    steps = [s for s in scenario.steps if s.question != protocol.record.id]
    for step in steps:
        if step.question not in walked.path:
            continue  # not reached on the trainee's route: a leftover answer is not theirs
        question = protocol.questions.get(step.question)
        given = slots.get(step.question)
        if question is not None and question.is_checklist:
            checks = slots.get(question.checks_slot) or {}
            points = [
                (f"{step.question}.{p.id}", checks.get(p.id)) for p in step.points if p.id in checks
            ]
            answers.update({k: _point_value(v) for k, v in points})
            wrong = [d for k, v in points if (d := compare(scenario, k, v))]
            differences += wrong
            complete = len(points) == len(step.points)
            ok = not wrong and (complete or given == step.answer == "not_sure")
        else:
            if given is not None:
                answers[step.question] = str(given)
            difference = compare(scenario, step.question, given)
            if difference:
                differences.append(difference)
            ok = given is not None and difference is None
        matched += ok
    return Result(scenario, answers, matched, len(steps), path, differences)


def summary(
    result: Result, protocol: Protocol | None = None, chosen: str | None = None, held: bool = False
) -> list[Reply]:
    """The end of a training run: the score, the two paths, the differences (when the feedback
    was kept for the end), what to read."""
    protocol = protocol or load_protocol()
    scenario = result.scenario
    replies = [
        Reply(
            "\n".join(
                [
                    f"Training finished — scenario {scenario.number}: {scenario.title}",
                    f"Score: {result.matched} of {result.total} questions answered as the model.",
                    "Your path: " + " → ".join(result.path),
                    "Model path: "
                    + " → ".join(result.model_path)
                    + f" (outcome: {scenario.expected.outcome.value.replace('_', ' ')})",
                ]
            )
        )
    ]
    if held:  # group mode: the trainer reveals the model answers to the whole group
        replies.append(Reply("Your trainer will go through the model answers with the group."))
    elif feedback_mode(scenario, chosen) is Feedback.END:
        replies += [feedback(d, protocol) for d in result.differences]
    reading = (
        []
        if held
        else sorted(
            {s.paragraphs for s in scenario.steps if any(d.step is s for d in result.differences)}
            | set(scenario.read)
        )
    )
    if reading:
        replies.append(Reply("To read: guidance paragraphs " + "; ".join(reading) + "."))
    replies.append(
        Reply(
            "This was practice: no decision record was saved.",
            [{"title": "Another scenario", "payload": "training"}],
        )
    )
    return replies
