"""Throw-away PostgreSQL databases, for the tests and `make bench` (no pytest here: the tests'
fixtures built on these are in tests/support/records.py).

The server is ``$INFOSHARE_TEST_POSTGRES_URL`` (an admin URL, default
``postgresql://postgres@127.0.0.1:5432/postgres``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

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
