"""Where the decision records live: the database URL and the engine factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.future import Engine

from bot import settings

DATABASE_URL_ENV = settings.DATABASE_URL
VAR_DIR_ENV = settings.VAR_DIR
SQLITE_FILENAME = "infoshare.db"
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0


def var_dir() -> Path:
    """The project's runtime directory (bot/settings.py), created if missing."""
    return settings.var_dir()


def normalise_url(url: str) -> str:
    """Accept Heroku-style ``postgres://`` URLs, which SQLAlchemy 1.4 no longer does."""
    url = url.strip()
    if url.startswith("postgres://"):
        return "postgresql://" + url[len("postgres://") :]
    return url


def database_url() -> str:
    """``$DATABASE_URL`` if set, else a SQLite file ``infoshare.db`` in :func:`var_dir`."""
    configured = settings.get(DATABASE_URL_ENV)
    if configured:
        return normalise_url(configured)
    return f"sqlite:///{var_dir() / SQLITE_FILENAME}"


def safe_url(url: str) -> str:
    """The URL for messages: password hidden, or the raw text if it cannot be parsed."""
    try:
        return make_url(normalise_url(url)).render_as_string(hide_password=True)
    except Exception:  # a message helper must never fail
        return "<unparseable database URL>"


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """A SQLAlchemy 1.4 engine (2.0 style) for ``url``, default :func:`database_url`.

    SQLite gets a busy timeout and WAL journaling so that the Rasa server and the action server
    can both write to the same file. Raises ``sqlalchemy.exc.ArgumentError`` for a malformed URL
    and ``NoSuchModuleError`` for an unknown dialect; nothing connects until first use.
    """
    parsed = make_url(normalise_url(url) if url else database_url())
    if parsed.get_backend_name() == "sqlite":
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_SECONDS)
        engine = create_engine(parsed, future=True, connect_args=connect_args, **kwargs)
        in_memory = parsed.database in (None, "", ":memory:")
        event.listen(engine, "connect", _sqlite_pragmas(wal=not in_memory))
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, future=True, **kwargs)


def _sqlite_pragmas(*, wal: bool) -> Any:
    busy_ms = int(SQLITE_BUSY_TIMEOUT_SECONDS * 1000)

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
            if wal:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    return on_connect
