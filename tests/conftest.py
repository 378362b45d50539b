"""The tests' shared fixtures, registered once for the whole tree (tests/unit, tests/integration,
tests/e2e): they live in tests/support as pytest plugins, and any test may ask for them by name.

- ``support.records``: ``records_db_url``, ``blank_db_url``, ``shared_postgres_url`` (SQLite and
  PostgreSQL);
- ``support.helpdesk``: ``engine`` (a migrated database, SQLite and PostgreSQL);
- ``support.servers``: ``session_servers`` and ``chat`` (the real action and Rasa servers, started
  once for the session);
- ``support.browser``: ``browser`` (Debian's Chromium through Playwright, one per module).

Helpers that are no fixtures are imported from their module (``from support.servers import
Chat``); no test module imports another.
"""

pytest_plugins = [
    "support.records",
    "support.helpdesk",
    "support.servers",
    "support.browser",
]
