"""Cohorts: a trainer's group of trainees, their report and their answers as xAPI statements.

``infoshare cohorts create NAME`` makes a code to hand out; a trainee says "join cohort ABC123"
in the chat, and their training runs carry the code. ``infoshare cohorts report CODE`` gives, per
question, the share of runs answered as the model, the scenarios that diverge most, and each
trainee's (pseudonymous) score, with charts; ``infoshare cohorts xapi CODE`` exports one xAPI
statement per key question answered, for a learning record store.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Boolean, Column, Integer, String, UniqueConstraint, delete, false, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.future import Engine
from sqlalchemy.orm import Session

from bot.charts import chart_settings, figure, html_table, svg
from bot.protocol import load_protocol
from bot.protocol.messages import question_title
from bot.records.export import csv_cell
from bot.records.models import Base, UTCDateTime
from bot.training.practice import compare, shipped
from bot.training.runs import TrainingRun, TrainingRuns
from bot.training.scenarios import ModelStep, Scenario

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud in a classroom
CODE_LENGTH = 6
_CODE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
JOIN = re.compile(rf"\bjoin(?: the)? cohort\W+([A-Za-z0-9]{{{CODE_LENGTH}}})\b", re.IGNORECASE)
XAPI_ANSWERED = "http://adlnet.gov/expapi/verbs/answered"


def _now() -> datetime:
    return datetime.now(timezone.utc)


class CohortRow(Base):
    __tablename__ = "cohorts"

    id = Column(Integer, primary_key=True, autoincrement=True)
    code = Column(String(16), nullable=False, unique=True)
    name = Column(String(128), nullable=False)
    # immediate | end: the trainer's choice for the session, over each scenario's; null: theirs
    feedback = Column(String(16), nullable=True)
    created_at = Column(UTCDateTime(), nullable=False, default=_now)
    # group mode: the scenario the trainer opened for the cohort, and whether the model answers
    # have been revealed
    live_scenario = Column(Integer, nullable=True)
    revealed = Column(Boolean, nullable=False, default=False, server_default=false())


class TrainingAnswerRow(Base):
    """A trainee's answer in a group session, as it is given (the latest per question)."""

    __tablename__ = "training_answers"
    __table_args__ = (UniqueConstraint("cohort", "scenario", "trainee", "key"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    cohort = Column(String(16), nullable=False)
    scenario = Column(Integer, nullable=False)
    trainee = Column(String(64), nullable=False)
    key = Column(String(64), nullable=False)
    value = Column(String(64), nullable=False)
    at = Column(UTCDateTime(), nullable=False, default=_now)


@dataclass(frozen=True)
class Cohort:
    code: str
    name: str
    created_at: datetime
    feedback: str | None = None
    live_scenario: int | None = None
    revealed: bool = False


def _cohort(row: CohortRow) -> Cohort:
    return Cohort(
        row.code, row.name, row.created_at, row.feedback, row.live_scenario, bool(row.revealed)
    )


class CohortError(ValueError):
    pass


def normal_code(text: str | None) -> str | None:
    code = (text or "").strip().upper()
    return code if _CODE.match(code) else None


class Cohorts:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, name: str, feedback: str | None = None) -> Cohort:
        name = " ".join((name or "").split())
        if not name or len(name) > 128:
            raise CohortError("a cohort needs a name of 1 to 128 characters")
        if feedback not in (None, "immediate", "end"):
            raise CohortError("feedback is immediate or end")
        for _ in range(5):
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            try:
                with Session(self.engine) as session, session.begin():
                    row = CohortRow(code=code, name=name, feedback=feedback)
                    session.add(row)
                    session.flush()
                    return _cohort(row)
            except IntegrityError:
                continue  # the same code drawn twice: draw again
        raise CohortError("could not draw a free cohort code")

    def get(self, code: str | None) -> Cohort | None:
        code = normal_code(code)
        if code is None:
            return None
        with Session(self.engine) as session:
            row = session.scalar(select(CohortRow).where(CohortRow.code == code))
            return _cohort(row) if row else None

    def open_session(self, code: str, scenario: int | None) -> Cohort:
        """Group mode: open ``scenario`` for the cohort (None: end the session). The answers of
        an earlier session of the same scenario are cleared; the model answers are hidden."""
        with Session(self.engine) as session, session.begin():
            row = session.scalar(select(CohortRow).where(CohortRow.code == normal_code(code)))
            if row is None:
                raise CohortError(f"there is no cohort {code!r}")
            if scenario is not None:
                session.execute(
                    delete(TrainingAnswerRow).where(
                        TrainingAnswerRow.cohort == row.code,
                        TrainingAnswerRow.scenario == scenario,
                    )
                )
            row.live_scenario, row.revealed = scenario, False
            session.flush()
            return _cohort(row)

    def reveal(self, code: str) -> Cohort:
        with Session(self.engine) as session, session.begin():
            row = session.scalar(select(CohortRow).where(CohortRow.code == normal_code(code)))
            if row is None or row.live_scenario is None:
                raise CohortError("no group session is open for this cohort")
            row.revealed = True
            session.flush()
            return _cohort(row)

    def note_answer(self, code: str, scenario: int, trainee: str, key: str, value: str) -> None:
        """A trainee's answer in the group session (the latest per question counts)."""
        with Session(self.engine) as session, session.begin():
            session.execute(
                delete(TrainingAnswerRow).where(
                    TrainingAnswerRow.cohort == code,
                    TrainingAnswerRow.scenario == scenario,
                    TrainingAnswerRow.trainee == trainee,
                    TrainingAnswerRow.key == key,
                )
            )
            session.add(
                TrainingAnswerRow(
                    cohort=code, scenario=scenario, trainee=trainee, key=key, value=value[:64]
                )
            )

    def split(self, code: str, scenario: int) -> dict[str, dict[str, int]]:
        """How the trainees' answers split: key → answer → how many trainees gave it."""
        found: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        query = select(TrainingAnswerRow.key, TrainingAnswerRow.value).where(
            TrainingAnswerRow.cohort == code, TrainingAnswerRow.scenario == scenario
        )
        with Session(self.engine) as session:
            for key, value in session.execute(query):
                found[key][value] += 1
        return {key: dict(values) for key, values in found.items()}

    def list(self) -> list[Cohort]:
        with Session(self.engine) as session:
            rows = session.scalars(select(CohortRow).order_by(CohortRow.id.desc()))
            return [_cohort(row) for row in rows]


# --- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionShare:
    question: str
    title: str
    answered: int  # runs in which the trainee answered it (it was on their route)
    as_model: int

    @property
    def share(self) -> float | None:
        return self.as_model / self.answered if self.answered else None


@dataclass(frozen=True)
class CohortReport:
    cohort: Cohort
    runs: int
    questions: tuple[QuestionShare, ...]
    scenarios: tuple[tuple[int, str, int, float], ...]  # number, title, runs, mean score share
    trainees: tuple[tuple[str, int, int, int], ...]  # pseudonym, runs, matched, total


def _as_model(scenario: Scenario, run: TrainingRun, question: str) -> bool | None:
    """Whether the run answered ``question`` as the model (None: never answered it)."""
    step = next(s for s in scenario.steps if s.question == question)
    if step.points:
        keys = [f"{question}.{p.id}" for p in step.points]
        given = [(k, run.answers[k]) for k in keys if k in run.answers]
        if not given:
            return None
        wrong = [k for k, v in given if compare(scenario, k, True if v == "yes" else v)]
        return not wrong and len(given) == len(keys)
    if question not in run.answers:
        return None
    return compare(scenario, question, run.answers[question]) is None


def _answers(
    runs: Sequence[TrainingRun],
) -> Iterator[tuple[TrainingRun, Scenario, list[tuple[ModelStep, bool]]]]:
    """Each run with its scenario and the key questions it answered: (step, as the model)."""
    protocol = load_protocol()
    scenarios = {s.number: s for s in shipped()}
    for run in runs:
        scenario = scenarios.get(run.scenario)
        if scenario is None:
            continue
        answered = []
        for step in scenario.steps:
            if step.question == protocol.record.id:
                continue
            same = _as_model(scenario, run, step.question)
            if same is not None:
                answered.append((step, same))
        yield run, scenario, answered


def build(cohort: Cohort, runs: Sequence[TrainingRun]) -> CohortReport:
    protocol = load_protocol()
    scenarios = {s.number: s for s in shipped()}
    answered: dict[str, int] = defaultdict(int)
    as_model: dict[str, int] = defaultdict(int)
    by_scenario: dict[int, list[float]] = defaultdict(list)
    by_trainee: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for run, _, steps in _answers(runs):
        for step, same in steps:
            answered[step.question] += 1
            as_model[step.question] += same
        by_scenario[run.scenario].append(run.matched / run.total if run.total else 0.0)
        totals = by_trainee[run.trainee]
        totals[0] += 1
        totals[1] += run.matched
        totals[2] += run.total
    order = [*protocol.question_ids]
    questions = tuple(
        QuestionShare(q, question_title(q, protocol), answered[q], as_model[q])
        for q in sorted(answered, key=lambda q: order.index(q) if q in order else len(order))
    )
    diverging = tuple(
        sorted(
            (
                (n, scenarios[n].title, len(shares), sum(shares) / len(shares))
                for n, shares in by_scenario.items()
            ),
            key=lambda row: (row[3], row[0]),
        )
    )
    trainees = tuple(sorted((t, *v) for t, v in by_trainee.items()))
    return CohortReport(cohort, len(runs), questions, diverging, trainees)


def report(engine: Engine, code: str) -> CohortReport:
    cohort = Cohorts(engine).get(code)
    if cohort is None:
        raise CohortError(f"there is no cohort {code!r}")
    return build(cohort, TrainingRuns(engine).list(cohort=cohort.code))


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


def render_csv(result: CohortReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(("section", "key", "subkey", "value"))
    rows: list[tuple[Any, ...]] = [("cohort", result.cohort.code, "name", result.cohort.name)]
    rows.append(("cohort", result.cohort.code, "runs", result.runs))
    for q in result.questions:
        rows += [
            ("question", q.question, "answered", q.answered),
            ("question", q.question, "as_model", q.as_model),
        ]
    for number, _, count, share in result.scenarios:
        rows += [
            ("scenario", number, "runs", count),
            ("scenario", number, "mean_score", round(share, 3)),
        ]
    for trainee, count, matched, total in result.trainees:
        rows += [
            ("trainee", trainee, "runs", count),
            ("trainee", trainee, "matched", matched),
            ("trainee", trainee, "total", total),
        ]
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return buffer.getvalue()


def _chart(result: CohortReport) -> str:
    """The share answered as the model, per question, as horizontal bars (SVG)."""
    if not result.questions:
        return ""
    labels = [q.title.split(" ", 1)[0] for q in result.questions]  # "Q4"
    values = [round((q.share or 0) * 100) for q in result.questions]
    with chart_settings():
        drawn, axes = figure(6.0, 0.45 * len(values) + 1.0)
        bars = axes.barh(labels, values, color="#d0d0d0", edgecolor="#111111", hatch="//")
        axes.invert_yaxis()
        axes.set_xlim(0, 100)
        axes.set_xlabel("% of runs answered as the model")
        axes.bar_label(bars, labels=[f"{v}%" for v in values], padding=3)
        return svg(drawn, "cohort", "Share of runs answered as the model, per question")


def report_body(result: CohortReport) -> str:
    """The report's figures, chart and tables (for a page of its own or the helpdesk's)."""
    questions = html_table(
        "Per question: runs that answered it, and as the model",
        ("Question", "Answered", "As the model", "Share"),
        [(q.title, q.answered, q.as_model, _percent(q.share)) for q in result.questions],
    )
    scenarios = html_table(
        "Scenarios, most divergent first (mean score)",
        ("Scenario", "Runs", "Mean score"),
        [(f"{n}. {title}", count, _percent(share)) for n, title, count, share in result.scenarios],
    )
    trainees = html_table(
        "Trainees (pseudonyms)",
        ("Trainee", "Runs", "Answered as the model"),
        [(t, count, f"{m} of {total}") for t, count, m, total in result.trainees],
    )
    chart = _chart(result)
    return (
        f"<p>{result.runs} training run(s).</p>"
        + (f'<figure class="report-chart">{chart}</figure>' if chart else "")
        + questions
        + scenarios
        + trainees
    )


def render_html(result: CohortReport) -> str:
    from html import escape as e

    from bot.charts import REPORT_STYLE as STYLE

    title = f"Cohort {e(result.cohort.code)}: {e(result.cohort.name)}"
    return (
        '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{STYLE}</style></head>"
        f"<body><main><h1>{title}</h1>{report_body(result)}</main></body></html>\n"
    )


# --- xAPI --------------------------------------------------------------------------------------


def xapi_statements(engine: Engine, code: str, home_page: str = "urn:infoshare") -> list[dict]:
    """One xAPI statement per key question answered in the cohort's runs: actor the trainee's
    pseudonym, verb "answered", object the scenario's question, result success (as the model)."""
    cohort = Cohorts(engine).get(code)
    if cohort is None:
        raise CohortError(f"there is no cohort {code!r}")
    protocol = load_protocol()
    statements = []
    for run, scenario, steps in _answers(TrainingRuns(engine).list(cohort=cohort.code)):
        for step, success in steps:
            activity = f"{home_page}/scenarios/{scenario.id}/questions/{step.question}"
            statements.append(
                {
                    "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{activity}#{run.reference}")),
                    "actor": {
                        "objectType": "Agent",
                        "account": {"homePage": home_page, "name": run.trainee},
                    },
                    "verb": {"id": XAPI_ANSWERED, "display": {"en-GB": "answered"}},
                    "object": {
                        "objectType": "Activity",
                        "id": activity,
                        "definition": {
                            "name": {
                                "en-GB": f"{scenario.title} — "
                                f"{question_title(step.question, protocol)}"
                            },
                            "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                        },
                    },
                    "result": {"success": bool(success), "response": _response(run, step)},
                    "context": {
                        "registration": str(uuid.uuid5(uuid.NAMESPACE_URL, run.reference)),
                        "extensions": {f"{home_page}/cohort": cohort.code},
                    },
                    "timestamp": run.created_at.isoformat(),
                }
            )
    return statements


def _response(run: TrainingRun, step: Any) -> str:
    if step.points:
        return ",".join(
            f"{p.id}={run.answers.get(f'{step.question}.{p.id}', '')}" for p in step.points
        )
    return run.answers.get(step.question, "")
