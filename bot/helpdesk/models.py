"""The helpdesk's tables, on the decision records' metadata (one Alembic history).

- ``helpdesk_users``: advisers and leads who sign in to the helpdesk page;
- ``api_tokens``: bearer tokens for helpdesk tools, stored as SHA-256 hashes;
- ``advice_requests``: a practitioner's "not sure", de-identified, with its answer.
- ``audit_log``: every read and change of a record or an advice request (append-only);
- ``helpdesk_sessions``: who is signed in to the helpdesk pages (ended at sign-out, disable,
  password or role change);
- ``sign_in_failures``: wrong sign-ins by name typed and by source address;
- ``audit_references``: the references each list, export or alike-cases panel showed.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Integer, String, Text, false

from bot.records.models import Base, UTCDateTime

USER_ROLES = ("adviser", "lead")
# channel: an integration's token for the REST channel (bot/channels/rest.py), no API access
TOKEN_ROLES = ("reporting", "adviser", "channel")
STATUSES = ("open", "claimed", "answered", "closed")


def _now() -> datetime:
    return datetime.now(timezone.utc)


class HelpdeskUser(Base):
    __tablename__ = "helpdesk_users"

    id = Column(Integer, primary_key=True, autoincrement=True)
    name = Column(String(64), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(16), nullable=False)
    disabled = Column(Boolean, nullable=False, default=False, server_default=false())
    created_at = Column(UTCDateTime(), nullable=False, default=_now)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id = Column(Integer, primary_key=True, autoincrement=True)
    name = Column(String(64), nullable=False)
    token_hash = Column(String(64), nullable=False, unique=True)
    prefix = Column(String(16), nullable=False)
    role = Column(String(16), nullable=False)
    created_at = Column(UTCDateTime(), nullable=False, default=_now)
    revoked_at = Column(UTCDateTime(), nullable=True)
    last_used_at = Column(UTCDateTime(), nullable=True)


class AdviceRequestRow(Base):
    __tablename__ = "advice_requests"

    id = Column(Integer, primary_key=True, autoincrement=True)
    # the seek_advice record's reference (ISD-000123): the request's reference too
    reference = Column(String(32), nullable=False, unique=True)
    status = Column(String(16), nullable=False, index=True, default="open")
    urgent = Column(Boolean, nullable=False, default=False, server_default=false())
    unsure_question = Column(String(64), nullable=True)
    # the half-built decision, de-identified: what, with whom, why, answers so far, the
    # practitioner's question (never the conversation id: that is below, for the answer's way back)
    content = Column(JSON, nullable=False)
    conversation_id = Column(String(255), nullable=False)
    channel = Column(String(64), nullable=False)
    created_at = Column(UTCDateTime(), nullable=False, default=_now, index=True)
    claimed_by = Column(String(64), nullable=True)
    claimed_at = Column(UTCDateTime(), nullable=True)
    answered_by = Column(String(64), nullable=True)
    answered_at = Column(UTCDateTime(), nullable=True)
    advice = Column(Text, nullable=True)
    suggested_answer = Column(String(32), nullable=True)
    citation = Column(String(64), nullable=True)
    closed_at = Column(UTCDateTime(), nullable=True)
    # where a proactive answer goes: a Teams conversation reference (service URL, conversation,
    # bot, user), taken from the authenticated activity the request came with; null elsewhere
    reply_to = Column(JSON(none_as_null=True), nullable=True)
    # when the answer was shown to the practitioner (pushed to an open chat, or at a message)
    delivered_at = Column(UTCDateTime(), nullable=True)


class AuditEntry(Base):
    """One read or change of a record or an advice request: who, what, when, from where.

    Append-only: nothing in the assistant updates or deletes a row, and the migration adds
    triggers that refuse UPDATE and DELETE on SQLite and PostgreSQL alike."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True, autoincrement=True)
    at = Column(UTCDateTime(), nullable=False, default=_now, index=True)
    # "user:jo.adviser", "token:crm#3", "cli:alice", "link" (a printable summary's keyed link)
    actor = Column(String(96), nullable=False)
    # record.read, record.list, record.export, advice.read, advice.list, advice.claim,
    # advice.answer, report.read, audit.read, user.disable|enable|password|role|sign-out
    action = Column(String(32), nullable=False)
    reference = Column(String(32), nullable=True, index=True)
    detail = Column(Text, nullable=True)  # the filters of a list, how many rows it gave
    source = Column(String(128), nullable=True)  # the client's address, or "cli"


class HelpdeskSession(Base):
    """A signed-in person's session on the helpdesk pages (bot/web/sessions.py).

    The browser's cookie holds a random secret, signed; the row keeps its SHA-256 only. A session
    counts while its row says it has not ended, its person's account is enabled, it was used in
    the last idle period and began within the absolute lifetime. Signing out ends the row;
    disabling an account, changing its password or its role ends every row of that person."""

    __tablename__ = "helpdesk_sessions"

    id = Column(Integer, primary_key=True, autoincrement=True)
    secret_hash = Column(String(64), nullable=False, unique=True)
    user_name = Column(String(64), nullable=False, index=True)
    csrf = Column(String(64), nullable=False)
    created_at = Column(UTCDateTime(), nullable=False, default=_now)
    last_seen_at = Column(UTCDateTime(), nullable=False, default=_now)
    ended_at = Column(UTCDateTime(), nullable=True)
    # why it ended: "signed out", "disabled", "password changed", "role changed", "ended"
    ended_why = Column(String(32), nullable=True)


class SignInFailures(Base):
    """Wrong sign-ins counted by what they aimed at: ``name:<its SHA-256>`` (any name typed,
    known or not; the name itself is not stored) and ``address:<client address>``
    (bot/helpdesk/throttle.py). Counted with one atomic UPDATE, so parallel guesses cannot
    overwrite each other's count."""

    __tablename__ = "sign_in_failures"

    key = Column(String(160), primary_key=True)
    failures = Column(Integer, nullable=False, default=0, server_default="0")
    first_at = Column(UTCDateTime(), nullable=False, default=_now)
    blocked_until = Column(UTCDateTime(), nullable=True)


class AuditReference(Base):
    """The references a list, an export or a panel of alike cases showed, one row each, linked
    to its audit entry: "who has seen ISD-000123" finds the lists it was in too. Append-only,
    like the log (revision 0012's triggers)."""

    __tablename__ = "audit_references"

    entry_id = Column(Integer, ForeignKey("audit_log.id"), primary_key=True)
    reference = Column(String(32), primary_key=True, index=True)
