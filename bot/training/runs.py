"""Training runs: a trainee's practice of a scenario, kept apart from the decision records.

They live in their own table (``training_runs``, Alembic revision 0007), so they are never among
the decision records: not in ``infoshare records``, the records API or the helpdesk reports.
No personal identifiers: the conversation is kept only as a one-way hash (to count a trainee's
runs), with the scenario, the answers, the paths and the score.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Column, Integer, String, select
from sqlalchemy.future import Engine
from sqlalchemy.orm import Session

from bot.records.models import Base, UTCDateTime


def _now() -> datetime:
    return datetime.now(timezone.utc)


class TrainingRunRow(Base):
    __tablename__ = "training_runs"

    id = Column(Integer, primary_key=True, autoincrement=True)
    reference = Column(String(32), nullable=True, unique=True)  # TRN-000001
    scenario = Column(Integer, nullable=False, index=True)
    scenario_id = Column(String(64), nullable=False)
    trainee = Column(String(64), nullable=False)  # pseudonym: a hash of the conversation
    cohort = Column(String(32), nullable=True, index=True)
    answers = Column(JSON, nullable=False)
    path = Column(JSON, nullable=False)
    model_path = Column(JSON, nullable=False)
    matched = Column(Integer, nullable=False)
    total = Column(Integer, nullable=False)
    created_at = Column(UTCDateTime(), nullable=False, default=_now)


@dataclass(frozen=True)
class TrainingRun:
    reference: str
    scenario: int
    scenario_id: str
    trainee: str
    cohort: str | None
    answers: dict[str, str]
    path: list[str]
    model_path: list[str]
    matched: int
    total: int
    created_at: datetime


def pseudonym(conversation_id: str) -> str:
    return "trainee-" + hashlib.sha256(conversation_id.encode()).hexdigest()[:12]


def _run(row: TrainingRunRow) -> TrainingRun:
    return TrainingRun(
        row.reference,
        row.scenario,
        row.scenario_id,
        row.trainee,
        row.cohort,
        dict(row.answers),
        list(row.path),
        list(row.model_path),
        row.matched,
        row.total,
        row.created_at,
    )


class TrainingRuns:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save(
        self,
        result: Any,  # bot.training.practice.Result
        conversation_id: str,
        cohort: str | None = None,
    ) -> TrainingRun:
        row = TrainingRunRow(
            scenario=result.scenario.number,
            scenario_id=result.scenario.id,
            trainee=pseudonym(conversation_id),
            cohort=cohort,
            answers=dict(result.answers),
            path=list(result.path),
            model_path=list(result.model_path),
            matched=result.matched,
            total=result.total,
        )
        with Session(self.engine) as session, session.begin():
            session.add(row)
            session.flush()
            row.reference = f"TRN-{row.id:06d}"
            session.flush()
            return _run(row)

    def list(self, scenario: int | None = None, cohort: str | None = None) -> list[TrainingRun]:
        query = select(TrainingRunRow).order_by(TrainingRunRow.id)
        if scenario is not None:
            query = query.where(TrainingRunRow.scenario == scenario)
        if cohort is not None:
            query = query.where(TrainingRunRow.cohort == cohort)
        with Session(self.engine) as session:
            return [_run(row) for row in session.scalars(query)]

    def for_trainee(self, conversation_id: str) -> list[TrainingRun]:
        query = select(TrainingRunRow).where(TrainingRunRow.trainee == pseudonym(conversation_id))
        with Session(self.engine) as session:
            return [_run(row) for row in session.scalars(query.order_by(TrainingRunRow.id))]


def as_dict(run: TrainingRun) -> Mapping[str, Any]:
    return {**run.__dict__, "created_at": run.created_at.isoformat()}
