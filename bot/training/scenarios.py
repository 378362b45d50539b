"""Trainer scenarios: fictional cases with a model answer, read from ``data/scenarios/*.yml``.

A scenario is a case the trainee reads, the model answers to the opening context questions, and
a model answer for every question on the way to the decision, each with its reason, its Golden
Rule, its guidance paragraphs and a quotation from the guidance (``data/scenarios/README.md``
documents the format). Nothing here needs Rasa or a database.

:func:`validate` checks a directory (or a list of files) and returns :class:`Problem` s; it never
raises on bad input. It checks that

- each file is well formed: required fields, types, unique ids and numbers, question ids and
  answers from the protocol (``bot/protocol/hmg2008.yml``), every checklist point of question 6;
- the model answers walk the protocol engine to the stated outcome and path, and the model's
  steps are exactly the questions on that path;
- every quotation is in the guidance (``guidance.txt``), in the section of its question, and each
  step's Golden Rule and paragraphs are those of its question;
- no text names a person or carries an identifier (the project's redactor finds none).

:func:`load_scenarios` returns the scenarios, or raises :class:`InvalidScenarios` with the problems.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import yaml

from bot.nlp.redaction import (
    ADDRESS,
    DATE_OF_BIRTH,
    EMAIL,
    NAME,
    NHS_NUMBER,
    NI_NUMBER,
    PHONE,
    POSTCODE,
)
from bot.nlp.redaction import redact as _redact
from bot.protocol.engine import answer_checklist_item, record_path, walk
from bot.protocol.guidance import problems as guidance_problems
from bot.protocol.guidance import words
from bot.protocol.model import Answer, GuidanceText, Outcome, Protocol, Question, load_protocol
from bot.settings import PROJECT

DEFAULT_DIR = PROJECT / "data" / "scenarios"
SUFFIXES = (".yml", ".yaml")
# The case a trainee reads: long enough to decide on, short enough to read in a minute.
CASE_WORDS = (60, 180)
CONTEXT_MAX_CHARS = 200
# A quotation shorter than this could come from anywhere.
MIN_QUOTE_WORDS = 5
# Sections a step may quote instead of its question's own, when it says so (`section:`).
EXPLICIT_SECTIONS = ("introduction", "myth_buster", "golden_rules")

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_SETTING = re.compile(r"^[a-z][a-z0-9_]*$")
_FILE_NAME = re.compile(r"^(?P<number>[0-9]+)_(?P<id>.+)$")
_PARAGRAPHS = re.compile(r"^\s*(\d+)\.(\d+)\s*(?:[-–—]\s*(\d+)\.(\d+)\s*)?$")

_FIELDS = ("id", "number", "title", "setting", "case", "feedback", "context", "model", "expected")
_OPTIONAL_FIELDS = ("read",)
_STEP_FIELDS = ("question", "answer", "reason", "rule", "paragraphs", "quote")
_OPTIONAL_STEP_FIELDS = ("section", "points")
_IDENTIFIERS = {
    NAME: "names a person",
    PHONE: "contains a phone number",
    EMAIL: "contains an e-mail address",
    POSTCODE: "contains a postcode",
    DATE_OF_BIRTH: "contains a date",
    NHS_NUMBER: "contains an NHS number",
    NI_NUMBER: "contains a National Insurance number",
    ADDRESS: "contains a street address",
}


class Feedback(str, Enum):
    """When the trainee sees the model answer: after each question, or at the end."""

    IMMEDIATE = "immediate"
    END = "end"


@dataclass(frozen=True)
class Problem:
    """Something wrong in a scenario file: ``where`` is a field path such as ``model[3].quote``
    (steps and list items counted from 0), empty for the file as a whole."""

    file: str
    where: str
    message: str

    def __str__(self) -> str:
        where = f"{self.where}: " if self.where else ""
        return f"{self.file}: {where}{self.message}"


class InvalidScenarios(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("invalid scenarios:\n" + "\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Context:
    """The model answers to the opening context questions (what, with whom, why)."""

    information: str
    recipient: str
    purpose_text: str


@dataclass(frozen=True)
class CheckPoint:
    """The model answer to one point of the checklist question: ``answer`` is ``yes`` (the
    point is confirmed), one of the point's choices, or ``not_sure``."""

    id: str
    answer: str
    reason: str = ""


@dataclass(frozen=True)
class ModelStep:
    """The model answer to one question on the scenario's path."""

    question: str
    answer: str
    reason: str
    rule: int
    paragraphs: str
    quote: GuidanceText
    points: tuple[CheckPoint, ...] = ()

    def point(self, point_id: str) -> CheckPoint | None:
        return next((p for p in self.points if p.id == point_id), None)


@dataclass(frozen=True)
class Expected:
    outcome: Outcome
    path: tuple[str, ...]


@dataclass(frozen=True)
class Scenario:
    id: str
    number: int
    title: str
    setting: str
    case: str
    feedback: Feedback
    context: Context
    steps: tuple[ModelStep, ...]
    expected: Expected
    read: tuple[str, ...] = ()
    file: str = ""


# --- what the scenarios rely on from the protocol ---------------------------------------------


@dataclass(frozen=True)
class _Step:
    """A question of the protocol as a scenario step sees it (question 7 included)."""

    id: str
    answers: tuple[str, ...]
    golden_rule: int
    paragraphs: str
    section: str
    question: Question | None  # None for the record step (question 7)


def _steps(protocol: Protocol) -> dict[str, _Step]:
    known = {
        q.id: _Step(
            q.id, tuple(a.value for a in q.answers), q.golden_rule, q.paragraphs, q.section, q
        )
        for q in protocol.questions.values()
    }
    record = protocol.record
    confirm = protocol.form_slot(record.id)
    answers = confirm.answers if confirm else (Answer.YES.value, Answer.NO.value)
    known[record.id] = _Step(
        record.id, answers, record.golden_rule, record.paragraphs, record.section, None
    )
    return known


def _answer_value(value: Any) -> str | None:
    """An answer as written in YAML (``yes`` and ``no`` read as booleans) as its answer name."""
    if value is True:
        return Answer.YES.value
    if value is False:
        return Answer.NO.value
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _paragraph_range(text: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    match = _PARAGRAPHS.match(text)
    if not match:
        return None
    first = (int(match.group(1)), int(match.group(2)))
    last = (int(match.group(3)), int(match.group(4))) if match.group(3) else first
    return (first, last) if first <= last else None


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


def _listing(values: Iterable[str]) -> str:
    return ", ".join(values)


# --- reading one file ---------------------------------------------------------------------------


class _Report:
    """Problems found in one file, and typed reads of its fields that record them."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.file, where, message))

    def fields(
        self,
        raw: Mapping[str, Any],
        where: str,
        required: tuple[str, ...],
        optional: tuple[str, ...] = (),
    ) -> None:
        """Report missing required fields and unknown ones (a misspelt field is not ignored)."""
        prefix = f"{where}." if where else ""
        for name in required:
            if raw.get(name) is None:
                self.add(f"{prefix}{name}", "required field missing")
        known = (*required, *optional)
        for name in raw:
            if name not in known:
                self.add(
                    f"{prefix}{name}", f"unknown field {name!r} (known fields: {_listing(known)})"
                )

    def text(self, raw: Mapping[str, Any], name: str, where: str) -> str | None:
        value = raw.get(name)
        if value is None:
            return None  # reported by fields()
        if not isinstance(value, str):
            self.add(where, f"must be a text, not {_kind(value)}")
            return None
        value = " ".join(value.split())
        if not value:
            self.add(where, "must not be empty")
            return None
        return value

    def integer(self, raw: Mapping[str, Any], name: str, where: str) -> int | None:
        value = raw.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(where, f"must be a whole number, not {_kind(value)}")
            return None
        return value

    def mapping(self, raw: Mapping[str, Any], name: str, where: str) -> Mapping[str, Any] | None:
        value = raw.get(name)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.add(where, f"must be a mapping (name: value lines), not {_kind(value)}")
            return None
        return value

    def sequence(self, raw: Mapping[str, Any], name: str, where: str) -> list[Any] | None:
        value = raw.get(name)
        if value is None:
            return None
        if not isinstance(value, list):
            self.add(where, f"must be a list (lines starting with '- '), not {_kind(value)}")
            return None
        return value


def _load_yaml(path: Path, report: _Report) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        report.add("", f"cannot read the file: {error}")
        return None
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = error.problem or error.context or "not valid YAML"
        report.add("", f"YAML syntax error{at}: {what}")
    except yaml.YAMLError as error:
        report.add("", f"YAML syntax error: {error}")
    return None


@dataclass(frozen=True)
class _Read:
    scenario: Scenario | None
    problems: list[Problem]
    identity: dict[str, Any]  # the id and number as written (for the checks across files)


def _read(path: Path, protocol: Protocol) -> _Read:
    """One scenario file, and what is wrong with it on its own."""
    report = _Report(str(path))
    raw = _load_yaml(path, report)
    if report.problems:
        return _Read(None, report.problems, {})
    if not isinstance(raw, Mapping):
        report.add("", f"a scenario file is a mapping of fields, not {_kind(raw)}")
        return _Read(None, report.problems, {})
    identity = {
        name: raw[name]
        for name in ("id", "number")
        if isinstance(raw.get(name), str | int) and not isinstance(raw.get(name), bool)
    }
    report.fields(raw, "", _FIELDS, _OPTIONAL_FIELDS)

    scenario_id = report.text(raw, "id", "id")
    if scenario_id is not None and not _ID.match(scenario_id):
        report.add("id", f"{scenario_id!r} is not a short slug (lower case, digits, '_')")
        scenario_id = None
    number = report.integer(raw, "number", "number")
    if number is not None and number < 1:
        report.add("number", f"must be 1 or more, not {number}")
        number = None
    _check_file_name(path, scenario_id, number, report)
    title = report.text(raw, "title", "title")
    setting = report.text(raw, "setting", "setting")
    if setting is not None and not _SETTING.match(setting):
        report.add("setting", f"{setting!r} is not a slug such as 'police' or 'adult_social_care'")
    case = report.text(raw, "case", "case")
    if case is not None:
        count = len(case.split())
        low, high = CASE_WORDS
        if not low <= count <= high:
            report.add("case", f"the case has {count} words: it should have {low} to {high}")
    feedback = _feedback(raw, report)
    context = _context(raw, report, protocol)
    steps = _model(raw, report, protocol)
    expected = _expected(raw, report, protocol)
    read = _read_more(raw, report, protocol)

    for where, text in _free_texts(title, case, context, steps):
        _check_identifiers(text, where, report)

    if steps is not None and expected is not None and context is not None:
        _check_walk(steps, expected, context, report, protocol)

    if report.problems or None in (scenario_id, number, title, setting, case, feedback):
        return _Read(None, report.problems, identity)
    assert scenario_id and number and title and setting and case and feedback
    assert context and steps is not None and expected and read is not None
    scenario = Scenario(
        id=scenario_id,
        number=number,
        title=title,
        setting=setting,
        case=case,
        feedback=feedback,
        context=context,
        steps=steps,
        expected=expected,
        read=read,
        file=str(path),
    )
    return _Read(scenario, [], identity)


def _check_file_name(
    path: Path, scenario_id: str | None, number: int | None, report: _Report
) -> None:
    if scenario_id is None or number is None:
        return
    wanted = f"{number:02d}_{scenario_id}"
    match = _FILE_NAME.match(path.stem)
    if not match or int(match.group("number")) != number or match.group("id") != scenario_id:
        report.add("", f"the file name should be {wanted}{path.suffix} (number_id)")


def _feedback(raw: Mapping[str, Any], report: _Report) -> Feedback | None:
    value = report.text(raw, "feedback", "feedback")
    if value is None:
        return None
    try:
        return Feedback(value)
    except ValueError:
        report.add("feedback", f"{value!r} is not one of: {_listing(f.value for f in Feedback)}")
        return None


def _context(raw: Mapping[str, Any], report: _Report, protocol: Protocol) -> Context | None:
    data = report.mapping(raw, "context", "context")
    if data is None:
        return None
    names = tuple(c.id for c in protocol.context)
    report.fields(data, "context", names)
    values = {}
    for name in names:
        value = report.text(data, name, f"context.{name}")
        if value is not None and len(value) > CONTEXT_MAX_CHARS:
            report.add(
                f"context.{name}",
                f"{len(value)} characters: a model answer here is short "
                f"(at most {CONTEXT_MAX_CHARS})",
            )
        values[name] = value
    if None in values.values():
        return None
    try:
        return Context(**values)
    except TypeError:  # the protocol's context questions and Context disagree
        report.add("context", f"the context questions are {_listing(names)}")
        return None


def _model(
    raw: Mapping[str, Any], report: _Report, protocol: Protocol
) -> tuple[ModelStep, ...] | None:
    items = report.sequence(raw, "model", "model")
    if items is None:
        return None
    if not items:
        report.add("model", "the model answer needs at least one step")
        return None
    known = _steps(protocol)
    steps = [_model_step(item, f"model[{i}]", report, known) for i, item in enumerate(items)]
    if any(step is None for step in steps):
        return None
    return tuple(step for step in steps if step is not None)


def _model_step(raw: Any, where: str, report: _Report, known: dict[str, _Step]) -> ModelStep | None:
    if not isinstance(raw, Mapping):
        report.add(where, f"a step is a mapping (question, answer, reason, …), not {_kind(raw)}")
        return None
    report.fields(raw, where, _STEP_FIELDS, _OPTIONAL_STEP_FIELDS)
    question_id = report.text(raw, "question", f"{where}.question")
    step = known.get(question_id) if question_id else None
    if question_id is not None and step is None:
        report.add(
            f"{where}.question",
            f"unknown question id {question_id!r} (the protocol's questions: {_listing(known)})",
        )
    ok = step is not None

    answer = _answer_value(raw.get("answer")) if raw.get("answer") is not None else None
    if raw.get("answer") is not None and answer is None:
        report.add(f"{where}.answer", f"must be an answer name, not {_kind(raw.get('answer'))}")
    if step is not None and answer is not None and answer not in step.answers:
        report.add(
            f"{where}.answer",
            f"{answer!r} is not an answer to question {step.id!r} "
            f"(its answers: {_listing(step.answers)})",
        )
        ok = False
    reason = report.text(raw, "reason", f"{where}.reason")
    rule = report.integer(raw, "rule", f"{where}.rule")
    paragraphs = raw.get("paragraphs")
    if paragraphs is not None and not isinstance(paragraphs, str):
        report.add(
            f"{where}.paragraphs", f'must be a text such as "3.3 - 3.9" ({_kind(paragraphs)})'
        )
        paragraphs = None
    if step is not None:
        if rule is not None and rule != step.golden_rule:
            report.add(
                f"{where}.rule",
                f"golden rule {rule} is not the rule of question {step.id!r}: "
                f"hmg2008.yml gives golden rule {step.golden_rule}",
            )
        if paragraphs is not None and _paragraph_range(paragraphs) != _paragraph_range(
            step.paragraphs
        ):
            report.add(
                f"{where}.paragraphs",
                f"paragraphs {paragraphs!r} are not those of question {step.id!r}: "
                f"hmg2008.yml gives {step.paragraphs!r}",
            )
    quote = _quote(raw, where, report, step)

    points: tuple[CheckPoint, ...] = ()
    question = step.question if step is not None else None
    if question is not None and question.is_checklist:
        found = _points(raw.get("points"), f"{where}.points", report, question)
        ok = ok and found is not None
        points = found or ()
    elif raw.get("points") is not None and step is not None:
        report.add(
            f"{where}.points", f"points are only for the checklist question, not {step.id!r}"
        )

    if not ok or None in (question_id, answer, reason, rule, paragraphs, quote):
        return None
    assert question_id and answer and reason and rule is not None and paragraphs and quote
    return ModelStep(question_id, answer, reason, rule, " ".join(paragraphs.split()), quote, points)


def _quote(
    raw: Mapping[str, Any], where: str, report: _Report, step: _Step | None
) -> GuidanceText | None:
    """The step's quotation, checked against its section of the guidance."""
    section = report.text(raw, "section", f"{where}.section")
    value = raw.get("quote")
    if value is None:
        return None
    source = ""
    if isinstance(value, str):
        text = " ".join(value.split())
    elif isinstance(value, Mapping):
        report.fields(value, f"{where}.quote", ("text",), ("source", "section"))
        text = report.text(value, "text", f"{where}.quote.text") or ""
        source = report.text(value, "source", f"{where}.quote.source") or ""
        inner = report.text(value, "section", f"{where}.quote.section")
        if inner and section and inner != section:
            report.add(f"{where}.quote.section", f"{inner!r} disagrees with the step's {section!r}")
        section = section or inner
    else:
        report.add(
            f"{where}.quote",
            f"must be a text from the guidance, or {{text, source}}, not {_kind(value)}",
        )
        return None
    if not text:
        return None
    if step is None:
        return GuidanceText(text, section or "", source)
    if section is None:
        section = step.section
    elif section != step.section and section not in EXPLICIT_SECTIONS:
        report.add(
            f"{where}.section",
            f"a quote for question {step.id!r} comes from its own section ({step.section}) or "
            f"from {_listing(EXPLICIT_SECTIONS)}; not {section!r}",
        )
        return None
    item = GuidanceText(text, section, source)
    if len(words(item.quoted)) < MIN_QUOTE_WORDS:
        report.add(
            f"{where}.quote",
            f"too short to show where it comes from: quote at least {MIN_QUOTE_WORDS} words",
        )
    for message in guidance_problems(item):
        report.add(f"{where}.quote", f"quote {message}")
    return item


def _points(
    raw: Any, where: str, report: _Report, question: Question
) -> tuple[CheckPoint, ...] | None:
    ids = [item.id for item in question.checklist]
    if raw is None:
        report.add(
            where, f"required for question {question.id!r}: give every point ({_listing(ids)})"
        )
        return None
    if not isinstance(raw, Mapping):
        report.add(where, f"must be a mapping of checklist points, not {_kind(raw)}")
        return None
    ok = True
    for key in raw:
        if key not in ids:
            report.add(
                f"{where}.{key}",
                f"unknown checklist point {key!r} (question {question.id!r} has: {_listing(ids)})",
            )
            ok = False
    points: list[CheckPoint] = []
    stopped_at: str | None = None
    for item in question.checklist:
        at = f"{where}.{item.id}"
        if stopped_at is not None:
            if item.id in raw:
                report.add(
                    at,
                    f"never asked: the checklist stops at the 'not_sure' for {stopped_at!r}",
                )
                ok = False
            continue
        if item.id not in raw:
            report.add(
                at,
                f"missing checklist point {item.id!r}: question {question.id!r} needs every "
                f"point ({_listing(ids)})",
            )
            ok = False
            continue
        value = raw[item.id]
        reason = ""
        if isinstance(value, Mapping):
            report.fields(value, at, ("answer",), ("reason",))
            reason = report.text(value, "reason", f"{at}.reason") or ""
            value = value.get("answer")
        answer = _answer_value(value)
        allowed = item.answers
        if answer not in allowed:
            shown = _listing(("true", *allowed[1:]) if not item.choices else allowed)
            report.add(at, f"{value!r} is not an answer to this point (one of: {shown})")
            ok = False
            continue
        assert answer is not None
        if answer == Answer.NOT_SURE.value:
            stopped_at = item.id
        points.append(CheckPoint(item.id, answer, reason))
    return tuple(points) if ok else None


def _expected(raw: Mapping[str, Any], report: _Report, protocol: Protocol) -> Expected | None:
    data = report.mapping(raw, "expected", "expected")
    if data is None:
        return None
    report.fields(data, "expected", ("outcome", "path"))
    outcome = None
    value = report.text(data, "outcome", "expected.outcome")
    if value is not None:
        try:
            outcome = Outcome(value)
        except ValueError:
            report.add(
                "expected.outcome",
                f"{value!r} is not an outcome (one of: {_listing(o.value for o in Outcome)})",
            )
    path = report.sequence(data, "path", "expected.path")
    known = _steps(protocol)
    if path is not None:
        for i, item in enumerate(path):
            if not isinstance(item, str) or item not in known:
                report.add(
                    f"expected.path[{i}]",
                    f"unknown question id {item!r} (the protocol's questions: {_listing(known)})",
                )
                path = None
                break
    if outcome is None or path is None:
        return None
    return Expected(outcome, tuple(path))


def _read_more(
    raw: Mapping[str, Any], report: _Report, protocol: Protocol
) -> tuple[str, ...] | None:
    """``read``: further paragraphs of the practitioners' guidance, within those the protocol
    refers to."""
    if raw.get("read") is None:
        return ()
    items = report.sequence(raw, "read", "read")
    if items is None:
        return None
    ranges = [_paragraph_range(s.paragraphs) for s in _steps(protocol).values()]
    found = []
    for i, item in enumerate(items):
        wanted = _paragraph_range(item) if isinstance(item, str) else None
        if wanted is None:
            report.add(f"read[{i}]", f'{item!r} is not a paragraph or range such as "3.38 - 3.47"')
            continue
        if not any(r and r[0] <= wanted[0] and wanted[1] <= r[1] for r in ranges):
            report.add(
                f"read[{i}]",
                f"paragraphs {item!r} are not within any range the protocol refers to "
                f"({_listing(s.paragraphs for s in _steps(protocol).values())})",
            )
            continue
        found.append(" ".join(item.split()))
    return tuple(found) if len(found) == len(items) else None


# --- checks across fields ------------------------------------------------------------------------


def _free_texts(
    title: str | None,
    case: str | None,
    context: Context | None,
    steps: tuple[ModelStep, ...] | None,
) -> Iterable[tuple[str, str]]:
    """Every text a trainee reads, with where it is."""
    if title:
        yield "title", title
    if case:
        yield "case", case
    if context:
        for name, value in vars(context).items():
            yield f"context.{name}", value
    for i, step in enumerate(steps or ()):
        yield f"model[{i}].reason", step.reason
        for point in step.points:
            if point.reason:
                yield f"model[{i}].points.{point.id}.reason", point.reason


def _found(original: str, redacted: str) -> list[tuple[str, str]]:
    """(placeholder, the text it replaced) for each placeholder the redactor put in."""
    placeholders = "|".join(re.escape(p) for p in _IDENTIFIERS)
    parts = re.split(f"({placeholders})", redacted)
    pattern = "".join("(.+?)" if i % 2 else re.escape(part) for i, part in enumerate(parts))
    match = re.fullmatch(pattern, original, re.DOTALL)
    replaced = match.groups() if match else ("",) * (len(parts) // 2)
    return [(p, r) for p, r in zip(parts[1::2], replaced, strict=True) if p != r]


def _check_identifiers(text: str, where: str, report: _Report) -> None:
    try:
        redacted = _redact(text)
    except RuntimeError as error:  # the name lexicon is not built
        report.add(where, f"cannot check for people's names: {error}")
        return
    if redacted == text:
        return
    what = f"the {where}" if where in ("case", "title") else "this text"
    for placeholder, original in _found(text, redacted):
        said = _IDENTIFIERS[placeholder]
        report.add(
            where,
            f'{what} {said}: {original!r} — use a role ("the mother", "a Year 9 pupil") or '
            "a clearly fictional placeholder; scenarios carry no real names or identifiers",
        )


def _checklist_answer(
    question: Question, points: tuple[CheckPoint, ...], protocol: Protocol
) -> tuple[dict[str, Any], str | None, CheckPoint | None]:
    """The checks slot and the question's answer as the form would set them from these points,
    one at a time (``actions/forms.py``): "yes" once every point is confirmed, "not_sure" at a
    point answered not sure, none (the question is asked again) at a "no"; and the point where
    it stopped."""
    checks: dict[str, Any] = {}
    given = {p.id: p for p in points}
    for item in question.checklist:
        point = given.get(item.id)
        if point is None:
            return checks, None, None
        if point.answer == Answer.NOT_SURE.value:
            return checks, Answer.NOT_SURE.value, point
        result = answer_checklist_item(checks, item, point.answer, protocol)
        if result.remedy is not None:
            return checks, None, point
        checks = result.checks
        if result.complete:
            return checks, Answer.YES.value, None
    return checks, None, None


def _step_slots(step: ModelStep, protocol: Protocol) -> dict[str, Any]:
    if step.question == protocol.record.id:
        return {protocol.record.reasons_slot: step.reason, protocol.record.id: step.answer}
    question = protocol.question(step.question)
    values: dict[str, Any] = {}
    if question.is_checklist:
        assert question.checks_slot
        checks, answer, _ = _checklist_answer(question, step.points, protocol)
        values[question.checks_slot] = checks
        values[question.id] = answer
    else:
        values[question.id] = step.answer
    justification = question.justification
    if justification and step.answer == justification.when.value:
        values[justification.slot] = step.reason
    return values


def _check_walk(
    steps: tuple[ModelStep, ...],
    expected: Expected,
    context: Context,
    report: _Report,
    protocol: Protocol,
) -> None:
    values = _slot_values(context, steps, protocol)
    for i, step in enumerate(steps):
        if step.question == protocol.record.id and step.answer != Answer.YES.value:
            report.add(
                f"model[{i}].answer",
                f"the model answer to {step.question!r} saves the record: 'yes', "
                f"not {step.answer!r}",
            )
        question = protocol.questions.get(step.question)
        if question is None or not question.is_checklist:
            continue
        _, derived, stop = _checklist_answer(question, step.points, protocol)
        if derived is None and stop is not None:
            report.add(
                f"model[{i}].points.{stop.id}",
                f"{stop.answer!r} leaves question {question.id!r} open (its remedy, then the "
                "question again): a model answer confirms every point, or stops at a 'not_sure'",
            )
        elif derived is not None and derived != step.answer:
            report.add(
                f"model[{i}].answer",
                f"the points answer question {question.id!r} {derived!r}, not {step.answer!r} "
                "('yes' when every point is confirmed, 'not_sure' at a point answered not sure)",
            )
    result = walk(values, protocol)
    path = record_path(values, protocol)
    if result.outcome is None:
        report.add(
            "model",
            f"the model answers do not reach an outcome: question {result.next_question!r} is "
            "left open (it has no model answer, or its answer asks it again)",
        )
    elif result.outcome is not expected.outcome:
        report.add(
            "expected.outcome",
            f"the model answers lead to {result.outcome.value!r}, not {expected.outcome.value!r}",
        )
    if result.outcome is not None and tuple(path) != expected.path:
        report.add(
            "expected.path",
            f"the model answers follow the path {path}, not {list(expected.path)}",
        )
    asked = [step.question for step in steps]
    if result.outcome is not None and asked != path:
        missing = [q for q in path if q not in asked]
        extra = [q for q in asked if q not in path]
        details = []
        if missing:
            details.append(f"missing {_listing(missing)}")
        if extra:
            details.append(f"not on the path: {_listing(extra)}")
        if not details:
            details.append("in a different order")
        report.add(
            "model",
            f"the steps must be the questions on the path, in order ({_listing(path)}); "
            f"they are {_listing(asked)}: {'; '.join(details)}",
        )


def _slot_values(
    context: Context, steps: Iterable[ModelStep], protocol: Protocol
) -> dict[str, Any]:
    values: dict[str, Any] = dict(vars(context))
    for step in steps:
        values.update(_step_slots(step, protocol))
    return values


# --- the public functions ----------------------------------------------------------------------


def slots(scenario: Scenario, protocol: Protocol | None = None) -> dict[str, Any]:
    """The model answers as the check's slot values (context, answers, the checklist's checks
    slot, the public-interest justification, the reasons and the record's confirmation)."""
    protocol = protocol or load_protocol()
    return _slot_values(scenario.context, scenario.steps, protocol)


def feedback_for(scenario: Scenario, question_id: str) -> ModelStep | None:
    """The model answer to ``question_id`` in ``scenario`` (None when it is not on its path)."""
    return next((step for step in scenario.steps if step.question == question_id), None)


def _paths(source: str | Path | Iterable[str | Path]) -> tuple[list[Path], list[Problem]]:
    if isinstance(source, str | Path):
        directory = Path(source)
        if directory.is_file():
            return [directory], []
        if not directory.is_dir():
            return [], [Problem(str(directory), "", "no such file or directory")]
        paths = sorted(p for p in directory.iterdir() if p.suffix in SUFFIXES and p.is_file())
        if not paths:
            return [], [Problem(str(directory), "", "no scenario files (*.yml) in this directory")]
        return paths, []
    paths, problems = [], []
    for item in source:
        path = Path(item)
        if path.is_file():
            paths.append(path)
        else:
            problems.append(Problem(str(path), "", "no such file"))
    return paths, problems


def _load(
    source: str | Path | Iterable[str | Path], protocol: Protocol | None
) -> tuple[list[Scenario], list[Problem]]:
    protocol = protocol or load_protocol()
    paths, problems = _paths(source)
    scenarios: list[Scenario] = []
    seen: dict[tuple[str, Any], Path] = {}
    for path in paths:
        read = _read(path, protocol)
        problems += read.problems
        for name, value in read.identity.items():
            first = seen.setdefault((name, value), path)
            if first != path:
                problems.append(
                    Problem(
                        str(path),
                        name,
                        f"{name} {value!r} is used by two scenarios: {first.name} and {path.name}",
                    )
                )
        if read.scenario is not None and not read.problems:
            scenarios.append(read.scenario)
    if problems:
        failed = {p.file for p in problems}
        scenarios = [s for s in scenarios if s.file not in failed]
    return sorted(scenarios, key=lambda s: s.number), problems


def validate(
    source: str | Path | Iterable[str | Path] = DEFAULT_DIR, protocol: Protocol | None = None
) -> list[Problem]:
    """Everything wrong with the scenarios in a directory (or in the files listed): empty when
    they are all valid. Never raises on bad input."""
    return _load(source, protocol)[1]


def load_scenarios(
    directory: str | Path = DEFAULT_DIR, protocol: Protocol | None = None
) -> list[Scenario]:
    """The scenarios in ``directory``, by number; :class:`InvalidScenarios` if any is invalid."""
    scenarios, problems = _load(directory, protocol)
    if problems:
        raise InvalidScenarios(problems)
    return scenarios
