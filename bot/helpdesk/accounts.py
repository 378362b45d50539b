"""Helpdesk accounts (advisers and leads) and API tokens for helpdesk tools.

- Passwords are hashed with Argon2id (``argon2-cffi``, its recommended parameters); a hash made
  with older parameters is upgraded at the next sign-in.
- Wrong passwords are counted by the name typed (known or not) and by the source address
  (:mod:`bot.helpdesk.throttle`, atomically): after :data:`MAX_FAILED_SIGN_INS` for one name
  (``INFOSHARE_SIGN_IN_NAME_LIMIT``), or 50 from one address, they are refused for
  :data:`LOCK_MINUTES` minutes, the right password too; a disabled account never signs in.
  Every refusal looks the same from outside (:meth:`Accounts.sign_in` returns None), so a
  caller learns nothing about which names exist.
- Sessions are rows (``helpdesk_sessions``): the browser holds a random secret, the row its
  SHA-256. :meth:`Accounts.session` reads the person's role from their account at every request;
  a session ends when its person signs out, after ``INFOSHARE_SESSION_IDLE_MINUTES`` unused
  (60) or ``INFOSHARE_SESSION_HOURS`` after sign-in (8), and at once, for every session of that
  person, when their account is disabled or its password or role is changed.
- API tokens are random (``secrets.token_urlsafe``), shown once when made, and stored as their
  SHA-256 (a token has 256 bits of entropy: no slow hash is needed); ``revoke`` ends one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.future import Engine
from sqlalchemy.orm import Session

from bot import settings
from bot.helpdesk import throttle
from bot.helpdesk.models import TOKEN_ROLES, USER_ROLES, ApiToken, HelpdeskSession, HelpdeskUser

MAX_FAILED_SIGN_INS = throttle.DEFAULT_NAME_LIMIT
LOCK_MINUTES = throttle.BLOCK_MINUTES
DEFAULT_IDLE_MINUTES = 60
DEFAULT_SESSION_HOURS = 8
# a session's last use is written at most this often (not at every page)
SEEN_EVERY = timedelta(minutes=1)
MIN_PASSWORD_LENGTH = 12
TOKEN_PREFIX = "isk_"  # "infoshare key": easy to spot in a log or a leaked file
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
_hasher = PasswordHasher()
# Verified against when the name is unknown, so that both refusals take as long.
_DUMMY_HASH = _hasher.hash("not a real password, for timing only")


class AccountError(ValueError):
    """Bad input for an account or a token: the message says what is wrong."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    disabled: bool
    locked_until: datetime | None  # wrong passwords for this name: refused until then
    created_at: datetime


@dataclass(frozen=True)
class SignedIn:
    """A live session: its row's id, the person (role read from the account now), its CSRF
    token."""

    id: int
    name: str
    role: str
    csrf: str

    def as_dict(self) -> dict:
        return {"name": self.name, "role": self.role, "csrf": self.csrf, "session": self.id}


@dataclass(frozen=True)
class Token:
    id: int
    name: str
    prefix: str
    role: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _user(row: HelpdeskUser, locked_until: datetime | None = None) -> User:
    return User(row.name, row.role, row.disabled, locked_until, row.created_at)


def _not_live(row: HelpdeskSession, user: HelpdeskUser, now: datetime) -> str | None:
    """Why session ``row`` of ``user`` signs no one in at ``now`` (None: it is live)."""
    if row.ended_at is not None:
        return "ended"
    if user.disabled:
        return "disabled"
    if now - row.created_at > session_lifetime():
        return "lifetime"
    if now - row.last_seen_at > idle_limit():
        return "idle"
    return None


def idle_limit() -> timedelta:
    return timedelta(minutes=settings.number(settings.SESSION_IDLE_MINUTES, DEFAULT_IDLE_MINUTES))


def session_lifetime() -> timedelta:
    return timedelta(hours=settings.number(settings.SESSION_HOURS, DEFAULT_SESSION_HOURS))


def _token(row: ApiToken) -> Token:
    return Token(
        row.id, row.name, row.prefix, row.role, row.created_at, row.revoked_at, row.last_used_at
    )


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not _NAME.fullmatch(name):
        raise AccountError(
            "a name is 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit"
        )
    return name


def check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    return password


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Accounts:
    """Users and tokens in the records database (migrated: ``infoshare db upgrade``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- users ------------------------------------------------------------------------------

    def add_user(self, name: str, password: str, role: str) -> User:
        name, password = check_name(name), check_password(password)
        if role not in USER_ROLES:
            raise AccountError(f"a role is one of {', '.join(USER_ROLES)}")
        with Session(self.engine) as session, session.begin():
            if session.scalar(select(HelpdeskUser).where(HelpdeskUser.name == name)):
                raise AccountError(f"there is already a user called {name}")
            row = HelpdeskUser(name=name, password_hash=_hasher.hash(password), role=role)
            session.add(row)
            session.flush()
            return _user(row)

    def users(self, now: datetime | None = None) -> list[User]:
        now = now or _now()
        throttled = throttle.Throttle(self.engine)
        with Session(self.engine) as session:
            rows = list(session.scalars(select(HelpdeskUser).order_by(HelpdeskUser.name)))
        found = []
        for row in rows:
            until = throttled.blocked_until(throttle.name_key(row.name))
            found.append(_user(row, until if until and until > now else None))
        return found

    def _change_user(self, name: str, why: str, change: dict) -> User:
        """Change ``name``'s account and end every session of theirs (``why``), at once."""
        with Session(self.engine) as session, session.begin():
            row = session.scalar(select(HelpdeskUser).where(HelpdeskUser.name == name))
            if row is None:
                raise AccountError(f"there is no user called {name}")
            for key, value in change.items():
                setattr(row, key, value)
            self._end_sessions(session, name, why)
            return _user(row)

    def disable_user(self, name: str) -> User:
        return self._change_user(name, "disabled", {"disabled": True})

    def enable_user(self, name: str) -> User:
        return self._change_user(name, "enabled", {"disabled": False})

    def set_password(self, name: str, password: str) -> User:
        return self._change_user(
            name, "password changed", {"password_hash": _hasher.hash(check_password(password))}
        )

    def set_role(self, name: str, role: str) -> User:
        if role not in USER_ROLES:
            raise AccountError(f"a role is one of {', '.join(USER_ROLES)}")
        return self._change_user(name, "role changed", {"role": role})

    def sign_in(
        self, name: str, password: str, address: str | None = None, now: datetime | None = None
    ) -> User | None:
        """The user, if ``password`` is theirs, the account is usable and neither the name nor
        the ``address`` is blocked for wrong passwords; else None (and the failure counted)."""
        now = now or _now()
        limits = throttle.keys(name or "", address)
        throttled = throttle.Throttle(self.engine)
        with Session(self.engine) as session:
            row = session.scalar(select(HelpdeskUser).where(HelpdeskUser.name == name))
        if throttled.blocked(limits, now):
            _verify(_DUMMY_HASH, password)
            # the address's count goes on; the name's block is not made longer by guesses (or
            # anyone could keep someone else's account locked by typing at it)
            throttled.failed({k: n for k, n in limits.items() if k.startswith("address:")}, now)
            return None
        if row is None or row.disabled:
            _verify(_DUMMY_HASH, password)
            throttled.failed(limits, now)
            return None
        if not _verify(row.password_hash, password):
            throttled.failed(limits, now)
            return None
        throttled.succeeded(name)
        if _hasher.check_needs_rehash(row.password_hash):
            with Session(self.engine) as session, session.begin():
                session.execute(
                    update(HelpdeskUser)
                    .where(HelpdeskUser.id == row.id)
                    .values(password_hash=_hasher.hash(password))
                )
        return _user(row)

    # --- sessions ---------------------------------------------------------------------------

    def start_session(self, user: User, now: datetime | None = None) -> tuple[str, SignedIn]:
        """A new session for ``user``: the secret for the browser's cookie, and the session."""
        now = now or _now()
        secret = secrets.token_urlsafe(32)
        with Session(self.engine) as session, session.begin():
            row = HelpdeskSession(
                secret_hash=token_hash(secret),
                user_name=user.name,
                csrf=secrets.token_urlsafe(24),
                created_at=now,
                last_seen_at=now,
            )
            session.add(row)
            session.flush()
            return secret, SignedIn(row.id, user.name, user.role, row.csrf)

    def session(self, secret: str, now: datetime | None = None) -> SignedIn | None:
        """The live session whose cookie holds ``secret``, with the person's role as their
        account has it now; None when it ended, went idle, outlived its lifetime, or the account
        is disabled or gone."""
        if not secret or len(secret) > 200:
            return None
        now = now or _now()
        with Session(self.engine) as session, session.begin():
            found = session.execute(
                select(HelpdeskSession, HelpdeskUser)
                .join(HelpdeskUser, HelpdeskUser.name == HelpdeskSession.user_name)
                .where(HelpdeskSession.secret_hash == token_hash(secret))
            ).first()
            if found is None:
                return None
            row, user = found
            why = _not_live(row, user, now)
            if why in ("lifetime", "idle"):  # over by the clock: ended for good
                row.ended_at, row.ended_why = now, why
            if why:
                return None
            if now - row.last_seen_at > SEEN_EVERY:
                row.last_seen_at = now
            return SignedIn(row.id, user.name, user.role, row.csrf)

    def end_session(self, secret: str, why: str = "signed out") -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(HelpdeskSession)
                .where(
                    HelpdeskSession.secret_hash == token_hash(secret),
                    HelpdeskSession.ended_at.is_(None),
                )
                .values(ended_at=_now(), ended_why=why)
            )

    def end_sessions(self, name: str, why: str = "ended") -> int:
        """End every live session of ``name``; how many there were."""
        with Session(self.engine) as session, session.begin():
            return self._end_sessions(session, name, why)

    def session_alive(self, session_id: int, name: str) -> bool:
        """Whether session ``session_id`` of ``name`` is still live (a staff token's check)."""
        with Session(self.engine) as session:
            found = session.execute(
                select(HelpdeskSession, HelpdeskUser)
                .join(HelpdeskUser, HelpdeskUser.name == HelpdeskSession.user_name)
                .where(HelpdeskSession.id == session_id, HelpdeskSession.user_name == name)
            ).first()
        return found is not None and _not_live(*found, _now()) is None

    @staticmethod
    def _end_sessions(session: Session, name: str, why: str) -> int:
        result = session.execute(
            update(HelpdeskSession)
            .where(HelpdeskSession.user_name == name, HelpdeskSession.ended_at.is_(None))
            .values(ended_at=_now(), ended_why=why)
        )
        return result.rowcount or 0

    # --- tokens -----------------------------------------------------------------------------

    def create_token(self, name: str, role: str) -> tuple[Token, str]:
        """A new token and its secret (shown once: only its hash is kept)."""
        name = check_name(name)
        if role not in TOKEN_ROLES:
            raise AccountError(f"a token's role is one of {', '.join(TOKEN_ROLES)}")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with Session(self.engine) as session, session.begin():
            row = ApiToken(name=name, token_hash=token_hash(secret), prefix=secret[:12], role=role)
            session.add(row)
            session.flush()
            return _token(row), secret

    def tokens(self) -> list[Token]:
        with Session(self.engine) as session:
            return [_token(row) for row in session.scalars(select(ApiToken).order_by(ApiToken.id))]

    def revoke_token(self, token_id: int) -> Token:
        with Session(self.engine) as session, session.begin():
            row = session.get(ApiToken, token_id)
            if row is None:
                raise AccountError(f"there is no token {token_id}")
            if row.revoked_at is None:
                row.revoked_at = _now()
            return _token(row)

    def authenticate_token(self, secret: str) -> Token | None:
        """The token for ``secret`` if it exists and is not revoked (and note its use)."""
        if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
            return None
        digest = token_hash(secret)
        with Session(self.engine) as session, session.begin():
            row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
            if row is None or row.revoked_at is not None:
                return None
            if not hmac.compare_digest(row.token_hash, digest):  # pragma: no cover
                return None
            row.last_used_at = _now()
            return _token(row)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
