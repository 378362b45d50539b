"""Replay: every scenario's model answers typed into the running assistant, as a practitioner
types them, and the decision it reaches compared with the model's.

``infoshare scenarios run [--base URL]`` drives the assistant's REST channel: an opening in words
("Can I share … with …?"), then at each step the model answer the assistant is asking for — the
answer word with the first sentence of the model's reason ("yes, the police are investigating a
serious violent crime"), a checklist point's choice in the words of its label ("They already
know"), the context and the justifications as the model wrote them — never a button payload.
What the assistant is asking is read from the conversation's tracker (Rasa's HTTP API, with the
API token); a read-back of the model's own answer is confirmed. At the end the tracker's answers
are walked by the protocol engine: the outcome and path must be the model's, and a record
reference must have been given. A read-back of another answer is put right as a practitioner
would ("no, I meant yes") and reported: the language understanding to look at next. A change of
wording, flow or language understanding that breaks a model answer makes the run fail.

The replay makes ordinary decision records (conversations ``scenario-replay-…``): run it against
a test deployment, as ``make test`` does.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any

from bot.protocol import load_protocol, record_path, walk
from bot.protocol.engine import next_checklist_item
from bot.protocol.model import Protocol
from bot.protocol.reading import Pending
from bot.training.scenarios import ModelStep, Scenario


class ApiUnavailable(RuntimeError):
    """Rasa's HTTP API cannot be read (off, or the token refused): no scenario can be replayed."""


ANSWER_WORDS = {"yes": "yes", "no": "no", "not_sure": "not sure", "not_asked": "not asked yet"}
MAX_TURNS = 40
MAX_CORRECTIONS = 3
SENDER_PREFIX = "scenario-replay-"
_REFERENCE = re.compile(r"\bISD-\d{6,}\b")


@dataclass
class Replay:
    """One scenario replayed: what was typed, what the assistant decided."""

    scenario: Scenario
    sender: str
    outcome: str | None = None
    path: list[str] = field(default_factory=list)
    reference: str | None = None
    turns: int = 0
    problem: str | None = None
    corrections: list[str] = field(default_factory=list)  # read-backs put right
    follow_ups: list[str] = field(default_factory=list)  # the guidance's follow-ups answered
    transcript: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        expected = self.scenario.expected
        return (
            self.problem is None
            and self.outcome == expected.outcome.value
            and self.path == list(expected.path)
            and self.reference is not None
        )


class Assistant:
    """The running assistant, through its REST channel and its HTTP API (for the tracker)."""

    def __init__(self, base: str, token: str, timeout: float = 60) -> None:
        self.base = base.rstrip("/")
        self.token = token
        self.timeout = timeout

    def say(self, sender: str, text: str) -> list[dict[str, Any]]:
        body = json.dumps({"sender": sender, "message": text}).encode("utf-8")
        request = urllib.request.Request(
            f"{self.base}/webhooks/rest/webhook",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            return json.load(response)

    def slots(self, sender: str) -> dict[str, Any]:
        query = urllib.parse.urlencode({"token": self.token})
        url = f"{self.base}/conversations/{urllib.parse.quote(sender, safe='')}/tracker?{query}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:  # noqa: S310
                return json.load(response).get("slots") or {}
        except urllib.error.HTTPError as error:
            if error.code == 404:  # no such route: Rasa's HTTP API is off
                raise ApiUnavailable(
                    f"the assistant at {self.base} has Rasa's HTTP API off, which the replay "
                    "reads each conversation from: start it with INFOSHARE_HTTP_API=on"
                ) from None
            if error.code in (401, 403):
                refused = f"the assistant at {self.base} refused the API token"
                raise ApiUnavailable(refused) from None
            raise


def first_sentence(text: str) -> str:
    sentence = re.split(r"(?<=[.!?])\s", " ".join(text.split()), maxsplit=1)[0]
    return sentence.rstrip(".!?")


def typed_answer(step: ModelStep) -> str:
    """A choice answer as a practitioner types it: the word, then the reason's first sentence."""
    word = ANSWER_WORDS.get(step.answer, step.answer.replace("_", " "))
    reason = first_sentence(step.reason)
    return f"{word}, {reason[:1].lower()}{reason[1:]}" if reason else word


def _opening(scenario: Scenario) -> str:
    context = scenario.context
    information = context.information[:1].lower() + context.information[1:]
    recipient = context.recipient[:1].lower() + context.recipient[1:]
    return f"Can I share {information} with {recipient}?"


class _Typist:
    """What to type for whatever the assistant is asking, from the scenario's model answers."""

    def __init__(self, scenario: Scenario, protocol: Protocol) -> None:
        self.scenario = scenario
        self.protocol = protocol
        self.steps = {step.question: step for step in scenario.steps}
        self.checklist = protocol.checklist_question
        self.corrections: list[str] = []
        self.follow_ups: list[str] = []
        self.justifications = {
            q.justification.slot: q.id for q in protocol.questions.values() if q.justification
        }

    def answer(self, slots: dict[str, Any]) -> str:
        asked = slots.get("requested_slot")
        pending = Pending.from_slot(slots.get("pending_answer"))
        if pending is not None:
            return self._confirm(pending)
        context = self.scenario.context
        if asked in ("information", "recipient", "purpose_text"):
            return getattr(context, asked)
        if asked in self.justifications:
            return self._step(self.justifications[asked]).reason
        if asked == self.protocol.record.reasons_slot:
            return self._step(self.protocol.record.id).reason
        if asked == self.protocol.record.id:
            return "yes, save it"
        if asked == self.checklist.id:
            return self._point(slots.get(self.checklist.checks_slot))
        if asked in self.steps:
            return typed_answer(self.steps[asked])
        raise ReplayError(f"the assistant asked {asked!r}, which the model does not answer")

    def _step(self, question: str) -> ModelStep:
        step = self.steps.get(question)
        if step is None:
            raise ReplayError(f"the assistant asked about {question!r}, not on the model path")
        return step

    def _point(self, checks: dict[str, Any] | None) -> str:
        step = self._step(self.checklist.id)
        item = next_checklist_item(checks)
        if item is None:
            return typed_answer(step)
        point = step.point(item.id)
        if point is None or point.answer == "not_sure":
            return "not sure" + (
                f", {first_sentence(point.reason)}" if point and point.reason else ""
            )
        if item.choices:
            return item.choices[point.answer]
        reason = first_sentence(point.reason)
        return f"yes, {reason[:1].lower()}{reason[1:]}" if reason else "yes"

    def _confirm(self, pending: Pending) -> str:
        key = pending.key.split(".")
        step = self.steps.get(key[0])
        wanted = step.answer if step else None
        if step is not None and len(key) == 2:
            point = step.point(key[1])
            wanted = "yes" if point and point.answer in ("yes", "true") else point and point.answer
        if pending.follow_up:
            return self._follow_up(pending, wanted)
        if pending.value == wanted:
            return "yes"
        if wanted is None:
            raise ReplayError(f"the assistant read back {pending.key!r}, not on the model path")
        # read back as something else: put it right, as a practitioner would
        self.corrections.append(f"{pending.key}: read {pending.value}, meant {wanted}")
        if len(self.corrections) > MAX_CORRECTIONS:
            raise ReplayError(f"the assistant kept misreading: {'; '.join(self.corrections)}")
        return f"no, I meant {ANSWER_WORDS.get(wanted, wanted.replace('_', ' '))}"

    def _follow_up(self, pending: Pending, wanted: str | None) -> str:
        """The guidance's follow-up asked (or its answer read back): the answer to it that means
        the model answer, in the practitioner's own answer words."""
        question = self.protocol.questions.get(pending.key.split(".")[0])
        follow_up = question.follow_up(pending.follow_up) if question else None
        if follow_up is None or wanted is None:
            raise ReplayError(f"the assistant asked a follow-up at {pending.key!r}, off the path")
        meant = next((v for v, means in follow_up.means.items() if means == wanted), None)
        if meant is None:
            raise ReplayError(f"the follow-up {follow_up.id!r} cannot give {wanted!r}")
        if pending.value:  # its answer read back
            return "yes" if pending.value == meant else f"no, I meant {follow_up.labels[meant]}"
        self.follow_ups.append(f"{pending.key}: {follow_up.label}: {follow_up.labels[meant]}")
        return ANSWER_WORDS.get(meant, meant.replace("_", " ")).lower()


class ReplayError(Exception):
    """The assistant went somewhere the model answers do not."""


def replay(scenario: Scenario, assistant: Assistant, protocol: Protocol | None = None) -> Replay:
    protocol = protocol or load_protocol()
    result = Replay(scenario, f"{SENDER_PREFIX}{scenario.number:02d}-{uuid.uuid4().hex[:8]}")
    typist = _Typist(scenario, protocol)
    text = _opening(scenario)
    try:
        for _ in range(MAX_TURNS):
            replies = assistant.say(result.sender, text)
            said = "\n".join(r.get("text") or "" for r in replies)
            result.transcript.append((text, said))
            result.turns += 1
            found = _REFERENCE.search(said)
            if found:
                result.reference = found.group(0)
            slots = assistant.slots(result.sender)
            walked = walk(slots, protocol)
            if walked.outcome is not None and result.reference and not slots.get("requested_slot"):
                result.outcome = walked.outcome.value
                result.path = record_path(slots, protocol)
                return result
            text = typist.answer(slots)
        result.problem = f"no decision after {MAX_TURNS} messages"
    except ReplayError as error:
        result.problem = str(error)
    except (urllib.error.URLError, OSError, ValueError) as error:
        result.problem = f"the assistant could not be reached: {error}"
    finally:
        result.corrections = list(typist.corrections)
        result.follow_ups = list(typist.follow_ups)
    slots = {}
    try:
        slots = assistant.slots(result.sender)
    except (urllib.error.URLError, OSError, ValueError, ApiUnavailable):
        pass
    walked = walk(slots, protocol)
    result.outcome = walked.outcome.value if walked.outcome else None
    result.path = record_path(slots, protocol) if walked.outcome else list(walked.path)
    return result
