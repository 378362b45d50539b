"""Test support: throw-away PostgreSQL databases and database fixtures (needs pytest).

The server is ``$INFOSHARE_TEST_POSTGRES_URL`` (an admin URL, default
``postgresql://postgres@127.0.0.1:5432/postgres``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ADMIN_URL_ENV = "INFOSHARE_TEST_POSTGRES_URL"
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def admin_url() -> str:
    return os.environ.get(ADMIN_URL_ENV) or DEFAULT_ADMIN_URL


def postgres_unavailable_reason(url: str | None = None) -> str | None:
    """Why PostgreSQL cannot be used for tests, or None if it can."""
    url = url or admin_url()
    engine = create_engine(url, future=True, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        first_line = str(getattr(error, "orig", error)).strip().splitlines()[:1]
        where = make_url(url).render_as_string(hide_password=True)
        return f"PostgreSQL at {where} is unreachable: {' '.join(first_line)}"
    finally:
        engine.dispose()
    return None


@contextmanager
def temporary_postgres_database(prefix: str = "infoshare_test") -> Iterator[str]:
    """Create a uniquely named database, yield its URL, drop it afterwards."""
    admin = make_url(admin_url())
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, future=True, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield admin.set(database=name).render_as_string(hide_password=False)
        finally:
            with engine.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


# --- pytest fixtures: import them into a test module to use them -----------------------------
# ``records_db_url``: a migrated, empty database; ``blank_db_url``: an empty, unmigrated one.
# Both are parametrised over SQLite (a file in tmp_path) and PostgreSQL. PostgreSQL tests are
# skipped when the server is unreachable, unless INFOSHARE_TEST_REQUIRE_POSTGRES=1 (CI), which
# makes them fail instead.

REQUIRE_POSTGRES_ENV = "INFOSHARE_TEST_REQUIRE_POSTGRES"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _require_postgres() -> None:
    reason = postgres_unavailable_reason()
    if reason is None:
        return
    if os.environ.get(REQUIRE_POSTGRES_ENV, "") not in ("", "0"):
        pytest.fail(f"{reason} (and {REQUIRE_POSTGRES_ENV} is set)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_postgres_url() -> Iterator[str]:
    """One migrated PostgreSQL database for the test session."""
    from bot.records.migrate import upgrade

    _require_postgres()
    with temporary_postgres_database() as url:
        upgrade(url)
        yield url


@pytest.fixture(params=BACKENDS)
def records_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database with no records in it (ids start again at 1)."""
    from bot.records.migrate import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'records.db'}"
        upgrade(url)
        return url
    url: str = request.getfixturevalue("shared_postgres_url")
    engine = create_engine(url, future=True)
    try:
        with engine.begin() as connection:
            # DELETE is ~20x faster than TRUNCATE on a table this small.
            connection.execute(text("DELETE FROM decision_records"))
            connection.execute(
                text("SELECT setval(pg_get_serial_sequence('decision_records', 'id'), 1, false)")
            )
    finally:
        engine.dispose()
    return url


@pytest.fixture(params=BACKENDS)
def blank_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database: no tables at all."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    _require_postgres()
    with temporary_postgres_database() as url:
        yield url
