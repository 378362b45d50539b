"""Helpdesk accounts (advisers and leads) and API tokens for helpdesk tools.

- Passwords are hashed with Argon2id (``argon2-cffi``, its recommended parameters); a hash made
  with older parameters is upgraded at the next sign-in.
- After :data:`MAX_FAILED_SIGN_INS` wrong passwords in a row an account is locked for
  :data:`LOCK_MINUTES` minutes; a disabled account never signs in. Every refusal looks the same
  from outside (:meth:`Accounts.sign_in` returns None), so a caller learns nothing about which
  names exist.
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
from sqlalchemy import select
from sqlalchemy.future import Engine
from sqlalchemy.orm import Session

from bot.helpdesk.models import TOKEN_ROLES, USER_ROLES, ApiToken, HelpdeskUser

MAX_FAILED_SIGN_INS = 5
LOCK_MINUTES = 15
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
    locked_until: datetime | None
    created_at: datetime


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


def _user(row: HelpdeskUser) -> User:
    return User(row.name, row.role, row.disabled, row.locked_until, row.created_at)


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

    def users(self) -> list[User]:
        with Session(self.engine) as session:
            rows = session.scalars(select(HelpdeskUser).order_by(HelpdeskUser.name))
            return [_user(row) for row in rows]

    def disable_user(self, name: str) -> User:
        with Session(self.engine) as session, session.begin():
            row = session.scalar(select(HelpdeskUser).where(HelpdeskUser.name == name))
            if row is None:
                raise AccountError(f"there is no user called {name}")
            row.disabled = True
            return _user(row)

    def sign_in(self, name: str, password: str, now: datetime | None = None) -> User | None:
        """The user, if ``password`` is theirs and the account is usable; else None."""
        now = now or _now()
        with Session(self.engine) as session, session.begin():
            row = session.scalar(select(HelpdeskUser).where(HelpdeskUser.name == name))
            if row is None:
                _verify(_DUMMY_HASH, password)
                return None
            locked = row.locked_until is not None and row.locked_until > now
            if row.disabled or locked:
                _verify(_DUMMY_HASH, password)
                return None
            if not _verify(row.password_hash, password):
                row.failed_sign_ins += 1
                if row.failed_sign_ins >= MAX_FAILED_SIGN_INS:
                    row.locked_until = now + timedelta(minutes=LOCK_MINUTES)
                    row.failed_sign_ins = 0
                return None
            row.failed_sign_ins = 0
            row.locked_until = None
            if _hasher.check_needs_rehash(row.password_hash):
                row.password_hash = _hasher.hash(password)
            return _user(row)

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
