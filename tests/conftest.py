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

from pathlib import Path

import pytest

pytest_plugins = [
    "support.records",
    "support.helpdesk",
    "support.servers",
    "support.browser",
]

TESTS = Path(__file__).resolve().parent
# A whole run takes the fast tests first: a broken unit test shows in seconds, not after the
# servers' minutes.
TIERS = ("unit", "integration", "e2e")


def _tier(item: pytest.Item) -> int:
    try:
        top = item.path.relative_to(TESTS).parts[0]
    except ValueError:
        return len(TIERS)
    return TIERS.index(top) if top in TIERS else len(TIERS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """tests/unit, then tests/integration, then tests/e2e (a stable sort: each module's tests
    stay together and in their order)."""
    items.sort(key=_tier)
