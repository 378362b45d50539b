"""Run the Alembic migrations of the decision records programmatically, from any directory."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.future import Engine

from bot.records.db import make_engine

VERSION_TABLE = "infoshare_alembic_version"
MIGRATION_LOCK_ID = 0x1_5D_0001  # PostgreSQL advisory lock key held while migrating
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class NotMigratedError(RuntimeError):
    """The database lacks the decision records schema, or an older version of it."""


def alembic_config() -> Config:
    """A file-less Alembic config pointing at the package's migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def upgrade(url: str | None = None, *, engine: Engine | None = None) -> str | None:
    """``alembic upgrade head`` on ``engine``, or on a new engine for ``url``
    (default :func:`bot.records.db.database_url`). Returns the revision now current."""
    own_engine = engine is None
    engine = make_engine(url) if engine is None else engine
    try:
        config = alembic_config()
        try:
            with engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except Exception:
            # Two processes migrating one SQLite file at start-up: the loser fails on "table
            # already exists". That is fine if the winner got to head. (PostgreSQL takes a lock.)
            if current_revision(engine) != head_revision():
                raise
        return current_revision(engine)
    finally:
        if own_engine:
            engine.dispose()


def ensure_migrated(engine: Engine) -> None:
    """Raise :class:`NotMigratedError` unless the schema is at the latest revision."""
    current, head = current_revision(engine), head_revision()
    if current is None:
        raise NotMigratedError(
            "the database has no decision records table yet: run `infoshare db upgrade`"
        )
    if current != head:
        raise NotMigratedError(
            f"the database schema is at revision {current}, this version needs {head}: "
            "run `infoshare db upgrade`"
        )
