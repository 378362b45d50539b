"""Advice requests: a practitioner's "not sure", de-identified, queued for the helpdesk.

:func:`request_content` builds what the adviser sees from the check's slots, through the protocol
(the questions in the guidance's words) and redaction (every free text again, names included):
what, with whom and why, the answers so far with the practitioner's reasons and how each was
given, the question where they were unsure, and their own question. Nothing else of the
conversation goes in it.

:class:`AdviceRequests` keeps them: a request's reference is its ``seek_advice`` record's; its
status goes open → claimed → answered → closed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.future import Engine
from sqlalchemy.orm import Session

from bot import settings
from bot.helpdesk import messages as helpdesk_say
from bot.helpdesk import notify
from bot.helpdesk.models import STATUSES, AdviceRequestRow
from bot.links import safe_links
from bot.nlp.redaction import redact
from bot.protocol import answered_by_on_path, load_protocol, walk
from bot.protocol import messages as say
from bot.protocol.model import Protocol
from bot.text import clean_free_text

logger = logging.getLogger(__name__)

MAX_ADVICE_LENGTH = 4000
MAX_CITATION_LENGTH = 64
DEFAULT_CLOSE_DAYS = 14.0  # answered requests close after this (INFOSHARE_ADVICE_CLOSE_DAYS)


class RequestError(ValueError):
    """A request that cannot be made or changed: the message says why."""


class UnknownRequest(RequestError):
    """No request has that reference."""


class BadAnswer(RequestError):
    """An answer that cannot be taken as given (empty advice, a suggested answer the question
    does not have, a citation too long)."""


@dataclass(frozen=True)
class AdviceRequest:
    reference: str
    status: str
    urgent: bool
    unsure_question: str | None
    content: dict[str, Any]
    channel: str
    created_at: datetime
    claimed_by: str | None
    claimed_at: datetime | None
    answered_by: str | None
    answered_at: datetime | None
    advice: str | None
    suggested_answer: str | None
    citation: str | None
    closed_at: datetime | None
    delivered_at: datetime | None = None

    def as_advice(self) -> helpdesk_say.Advice:
        """The answer as the practitioner is told it (``advice`` must be set)."""
        return helpdesk_say.Advice(
            self.reference,
            self.advice or "",
            self.suggested_answer,
            (self.content.get("unsure") or {}).get("title"),
            self.citation,
            (self.content.get("unsure") or {}).get("id"),
        )

    def as_dict(self) -> dict[str, Any]:
        """What an adviser (page or API) may see: never the conversation id."""
        data = {
            name: getattr(self, name)
            for name in self.__dataclass_fields__  # type: ignore[attr-defined]
        }
        for name, value in data.items():
            if isinstance(value, datetime):
                data[name] = value.isoformat()
        return data


def _clean(text: Any) -> str:
    return redact(clean_free_text(str(text or "")).text)


def request_content(
    slots: Mapping[str, Any], question: str, protocol: Protocol | None = None
) -> dict[str, Any]:
    """The half-built decision, de-identified, as the adviser will see it."""
    protocol = protocol or load_protocol()
    result = walk(slots, protocol)
    context = {c.id: _clean(slots.get(c.id)) or None for c in protocol.context}
    answers = [
        {"kind": fact.kind.value, "label": fact.label, "value": _clean(fact.value)}
        for fact in say.facts(slots, protocol)
        if fact.kind is not say.FactKind.CONTEXT
    ]
    unsure = result.advice_needed_at
    unsure_info = None
    if unsure:
        q = protocol.owner(unsure) or protocol.question(unsure.split(".")[0])
        unsure_info = {
            "id": unsure,
            "title": say.question_title(unsure, protocol),
            "golden_rule": q.golden_rule,
            "golden_rule_text": protocol.golden_rules[q.golden_rule],
            "paragraphs": q.paragraphs,
            "answers": [a.value for a in q.answers],
        }
    return {
        "context": [
            {"id": c.id, "label": c.label, "value": context[c.id]} for c in protocol.context
        ],
        "answers": answers,
        "unsure": unsure_info,
        "question": _clean(question) or None,
        # how each answer so far was given, by step key (the record's ``answered_by``)
        "how_answered": answered_by_on_path(slots, protocol),
    }


def _request(row: AdviceRequestRow) -> AdviceRequest:
    return AdviceRequest(
        reference=row.reference,
        status=row.status,
        urgent=row.urgent,
        unsure_question=row.unsure_question,
        content=row.content,
        channel=row.channel,
        created_at=row.created_at,
        claimed_by=row.claimed_by,
        claimed_at=row.claimed_at,
        answered_by=row.answered_by,
        answered_at=row.answered_at,
        advice=row.advice,
        suggested_answer=row.suggested_answer,
        citation=row.citation,
        closed_at=row.closed_at,
        delivered_at=row.delivered_at,
    )


def advice_of(request: AdviceRequest) -> dict[str, Any]:
    """The advice as a continued check's record carries it (``advice``, docs/design.md §5)."""
    return {
        "reference": request.reference,
        "adviser": request.answered_by,
        "advice": request.advice,
        "suggested_answer": request.suggested_answer,
        "citation": request.citation,
        "asked_at": request.created_at,
        "answered_at": request.answered_at,
    }


def _now() -> datetime:
    return datetime.now(timezone.utc)


class AdviceRequests:
    """The advice requests in the records database."""

    #: how often reads look for answered requests to close (at most once a minute per process:
    #: not a write transaction on every read, such as the look for answers at every message)
    STALE_CHECK_SECONDS = 60.0

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._stale_checked_at: float | None = None

    def _close_stale_now_and_then(self) -> None:
        import time

        now = time.monotonic()
        if self._stale_checked_at is None or now - self._stale_checked_at >= (
            self.STALE_CHECK_SECONDS
        ):
            self._stale_checked_at = now
            self.close_stale()

    def create(
        self,
        reference: str,
        slots: Mapping[str, Any],
        question: str,
        *,
        conversation_id: str,
        channel: str,
        reply_to: Mapping[str, Any] | None = None,
    ) -> AdviceRequest:
        content = request_content(slots, question)
        row = AdviceRequestRow(
            reference=reference,
            status="open",
            urgent=bool(slots.get("safeguarding_concern")),
            unsure_question=(content["unsure"] or {}).get("id"),
            content=content,
            conversation_id=conversation_id,
            channel=channel,
            reply_to=dict(reply_to) if reply_to else None,
        )
        try:
            with Session(self.engine) as session, session.begin():
                session.add(row)
                session.flush()
                created = _request(row)
        except IntegrityError:
            raise RequestError(f"there is already a request {reference}") from None
        self._notify(created)
        return created

    @staticmethod
    def _notify(created: AdviceRequest) -> None:
        """E-mail the helpdesk (when configured); a failure is logged, the request kept."""
        try:
            notify.send(
                created.reference,
                created.urgent,
                (created.content.get("unsure") or {}).get("title"),
            )
        except notify.NotifyError:
            logger.exception("notifying the helpdesk failed")

    def list(self, status: str | None = None, limit: int = 100) -> list[AdviceRequest]:
        """Requests with ``status`` (default: open and claimed), urgent first, then oldest."""
        self._close_stale_now_and_then()
        wanted = [status] if status else ["open", "claimed"]
        if any(s not in STATUSES for s in wanted):
            raise RequestError(f"a status is one of {', '.join(STATUSES)}")
        query = (
            select(AdviceRequestRow)
            .where(AdviceRequestRow.status.in_(wanted))
            .order_by(
                case((AdviceRequestRow.urgent, 0), else_=1),
                AdviceRequestRow.created_at,
                AdviceRequestRow.id,
            )
            .limit(limit)
        )
        with Session(self.engine) as session:
            return [_request(row) for row in session.scalars(query)]

    def answered(self, limit: int = 500) -> list[AdviceRequest]:
        """Requests with advice (answered or closed), newest answers first: the precedents'
        pool."""
        query = (
            select(AdviceRequestRow)
            .where(AdviceRequestRow.advice.is_not(None))
            .order_by(AdviceRequestRow.answered_at.desc(), AdviceRequestRow.id.desc())
            .limit(limit)
        )
        with Session(self.engine) as session:
            return [_request(row) for row in session.scalars(query)]

    def count(self, status: str) -> int:
        with Session(self.engine) as session:
            return session.scalar(select(func.count()).where(AdviceRequestRow.status == status))

    def get(self, reference: str) -> AdviceRequest:
        self._close_stale_now_and_then()
        with Session(self.engine) as session:
            return _request(self._row(session, reference))

    def conversation_of(self, reference: str) -> tuple[str, str]:
        """Where the answer goes back to: (conversation id, channel)."""
        with Session(self.engine) as session:
            row = self._row(session, reference)
            return row.conversation_id, row.channel

    def for_delivery(self, reference: str) -> tuple[AdviceRequest, str, str, dict[str, Any] | None]:
        """The request and where its answer goes — conversation id, channel, reply address —
        in one read (the answer's push)."""
        self._close_stale_now_and_then()
        with Session(self.engine) as session:
            row = self._row(session, reference)
            return _request(row), row.conversation_id, row.channel, row.reply_to

    def reply_to(self, reference: str) -> dict[str, Any] | None:
        """The channel's address for a proactive answer (a Teams conversation reference)."""
        with Session(self.engine) as session:
            return self._row(session, reference).reply_to

    def undelivered(self, conversation_id: str) -> list[AdviceRequest]:
        """This conversation's answered requests whose answer it has not been shown yet."""
        query = (
            select(AdviceRequestRow)
            .where(
                AdviceRequestRow.conversation_id == conversation_id,
                AdviceRequestRow.status == "answered",
                AdviceRequestRow.delivered_at.is_(None),
            )
            .order_by(AdviceRequestRow.answered_at, AdviceRequestRow.id)
        )
        with Session(self.engine) as session:
            return [_request(row) for row in session.scalars(query)]

    def latest_answered(self, conversation_id: str) -> AdviceRequest | None:
        """The last request this conversation sent that has an answer (for "continue my
        check" without a reference)."""
        query = (
            select(AdviceRequestRow)
            .where(
                AdviceRequestRow.conversation_id == conversation_id,
                AdviceRequestRow.advice.is_not(None),
            )
            .order_by(AdviceRequestRow.answered_at.desc(), AdviceRequestRow.id.desc())
            .limit(1)
        )
        with Session(self.engine) as session:
            row = session.scalar(query)
            return _request(row) if row is not None else None

    def mark_delivered(self, reference: str) -> bool:
        """Note that the answer was shown; False when it already had been (shown once only)."""
        with Session(self.engine) as session, session.begin():
            row = self._row(session, reference, lock=True)
            if row.delivered_at is not None:
                return False
            row.delivered_at = _now()
            return True

    def unmark_delivered(self, reference: str) -> None:
        """The push did not reach the chat after all: say it at the next message instead."""
        with Session(self.engine) as session, session.begin():
            self._row(session, reference, lock=True).delivered_at = None

    def close_stale(self, now: datetime | None = None) -> int:
        """Close answered requests older than ``INFOSHARE_ADVICE_CLOSE_DAYS`` (default 14):
        the practitioner did not come back to finish the check. Returns how many were closed."""
        days = settings.number(settings.ADVICE_CLOSE_DAYS, DEFAULT_CLOSE_DAYS)
        if days <= 0:
            return 0
        now = now or _now()
        cutoff = now - timedelta(days=days)
        with Session(self.engine) as session, session.begin():
            rows = session.scalars(
                select(AdviceRequestRow).where(
                    AdviceRequestRow.status == "answered", AdviceRequestRow.answered_at < cutoff
                )
            ).all()
            for row in rows:
                row.status, row.closed_at = "closed", now
            return len(rows)

    def claim(self, reference: str, by: str) -> AdviceRequest:
        with Session(self.engine) as session, session.begin():
            row = self._row(session, reference, lock=True)
            if row.status == "claimed" and row.claimed_by == by:
                return _request(row)  # claiming twice changes nothing
            if row.status != "open":
                who = f" by {row.claimed_by}" if row.claimed_by else ""
                raise RequestError(f"{reference} is {row.status}{who}, not open")
            row.status, row.claimed_by, row.claimed_at = "claimed", by, _now()
            session.flush()
            return _request(row)

    def answer(
        self,
        reference: str,
        by: str,
        advice: str,
        suggested_answer: str | None = None,
        citation: str | None = None,
    ) -> AdviceRequest:
        # shown in the chat as Markdown: links only to http, https and mailto (bot/links.py);
        # and, like everything a person types, redacted before it is stored (it goes onto the
        # continued record too): names, numbers, e-mails, addresses
        cleaned = clean_free_text(advice or "", limit=MAX_ADVICE_LENGTH).text
        advice = redact(safe_links(cleaned)).strip()
        if not advice:
            raise BadAnswer("advice: the advice is empty")
        citation = safe_links((citation or "").strip()).strip() or None
        if citation and len(citation) > MAX_CITATION_LENGTH:
            raise BadAnswer(f"citation: at most {MAX_CITATION_LENGTH} characters")
        with Session(self.engine) as session, session.begin():
            row = self._row(session, reference, lock=True)
            if row.status not in ("open", "claimed"):
                raise RequestError(f"{reference} is {row.status}: it cannot be answered again")
            if row.status == "claimed" and row.claimed_by != by:
                raise RequestError(f"{reference} is claimed by {row.claimed_by}")
            allowed = (row.content.get("unsure") or {}).get("answers") or []
            if suggested_answer is not None and suggested_answer not in allowed:
                raise BadAnswer(
                    f"suggested_answer: one of {', '.join(allowed) or 'none'} for this question"
                )
            now = _now()
            if row.status == "open":
                row.claimed_by, row.claimed_at = by, now
            row.status, row.answered_by, row.answered_at = "answered", by, now
            row.advice, row.suggested_answer, row.citation = advice, suggested_answer, citation
            session.flush()
            return _request(row)

    def close(self, reference: str) -> AdviceRequest:
        with Session(self.engine) as session, session.begin():
            row = self._row(session, reference, lock=True)
            if row.status != "closed":
                row.status, row.closed_at = "closed", _now()
            session.flush()
            return _request(row)

    @staticmethod
    def _row(session: Session, reference: str, lock: bool = False) -> AdviceRequestRow:
        query = select(AdviceRequestRow).where(AdviceRequestRow.reference == reference)
        if lock:
            query = query.with_for_update()
        row = session.scalar(query)
        if row is None:
            raise UnknownRequest(f"there is no request {reference}")
        return row
