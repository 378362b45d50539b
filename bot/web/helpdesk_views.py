"""What the helpdesk pages show, worked out from the requests, the protocol and the cohorts
(pure: no I/O, no HTML). The templates in ``bot/web/templates/helpdesk/`` lay it out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.helpdesk.precedents import rank
from bot.protocol import load_protocol
from bot.protocol.messages import ANSWER_WORDS, question_title
from bot.protocol.model import Protocol
from bot.records.fields import NOT_RECORDED, how_answered


@dataclass(frozen=True)
class Alike:
    """An answered request like the one open, and its advice."""

    reference: str
    same_question: bool
    unsure_title: str | None
    percent: int  # how alike the situations are
    advice: str | None
    suggested_answer: str | None
    citation: str | None


@dataclass(frozen=True)
class SplitRow:
    """One question of a group session: how the cohort answered it, and the model answer."""

    label: str
    given: str  # "Yes: 2 · No: 1", "" when nobody has answered
    model: str


@dataclass(frozen=True)
class RequestView:
    """The request page: the request, and what the protocol says about where they were unsure."""

    found: Any  # bot.helpdesk.requests.AdviceRequest
    how_answered: tuple[str, ...]  # "Q1 …: button"; empty when not recorded
    not_recorded: str
    considerations: tuple[str, ...]  # what the guidance says at the unsure question
    answers: tuple[str, ...]  # the answers the adviser may suggest
    can_claim: bool
    can_answer: bool


def _how_answered(content: Mapping[str, Any], protocol: Protocol) -> tuple[str, ...]:
    """How each answer so far was given (button, typed word, read back, …); empty for a request
    made before that was kept."""
    ways = content.get("how_answered") or {}
    points = {item.id: item.label for item in protocol.checklist_question.checklist}
    items = []
    for key in ways:
        question, _, point = key.partition(".")
        label = question_title(question, protocol)
        if point:
            label = f"{label} — {points.get(point, point)}"
        items.append(f"{label}: {how_answered(ways, key)}")
    return tuple(items)


def _considerations(unsure: Mapping[str, Any] | None, protocol: Protocol) -> tuple[str, ...]:
    if not unsure:
        return ()
    question = protocol.owner(unsure["id"]) or protocol.question(unsure["id"].split(".")[0])
    return tuple(g.text for g in question.prompts + question.more + question.considerations)


def request_view(found: Any, user: Mapping[str, Any]) -> RequestView:
    protocol = load_protocol()
    unsure = found.content.get("unsure")
    return RequestView(
        found=found,
        how_answered=_how_answered(found.content, protocol),
        not_recorded=NOT_RECORDED.capitalize(),
        considerations=_considerations(unsure, protocol),
        answers=tuple((unsure or {}).get("answers", [])),
        can_claim=found.status == "open",
        can_answer=found.status in ("open", "claimed") and found.claimed_by in (None, user["name"]),
    )


def alike(found: Any, pool: Sequence[Any]) -> list[Alike]:
    """The answered requests most like this one, with their advice (bot/helpdesk/precedents.py)."""
    return [
        Alike(
            reference=p.request.reference,
            same_question=p.same_question,
            unsure_title=(p.request.content.get("unsure") or {}).get("title"),
            percent=round(p.similarity * 100),
            advice=p.request.advice,
            suggested_answer=p.request.suggested_answer,
            citation=p.request.citation,
        )
        for p in rank(found, pool)
    ]


def _words(answer: Any) -> str:
    return ANSWER_WORDS.get(answer, str(answer).replace("_", " "))


def group_split(scenario: Any, split: Mapping[str, Mapping[str, int]]) -> list[SplitRow]:
    """Group mode: for each question of ``scenario`` (and each checklist point), how the
    cohort's answers split, most given first, and the model answer."""
    protocol = load_protocol()
    rows = []
    for step in scenario.steps:
        if step.question == protocol.record.id:
            continue
        keys = [(f"{step.question}.{p.id}", p) for p in step.points] or [(step.question, None)]
        for key, point in keys:
            counts = split.get(key, {})
            given = " · ".join(
                f"{_words(value)}: {count}"
                for value, count in sorted(counts.items(), key=lambda item: -item[1])
            )
            model = point.answer if point else step.answer
            model = "yes" if model in ("true", True) else model
            label = question_title(step.question, protocol) + (
                f" — {point.id.replace('_', ' ')}" if point else ""
            )
            rows.append(SplitRow(label, given, _words(model)))
    return rows
