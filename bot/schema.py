"""Every table of the assistant's database in one metadata, for Alembic and the tests.

The records, the helpdesk and training share one database and one migration history
(``bot/records/migrations``). Their models all hang on ``bot.records.models.metadata``; this
module imports each of them so that whatever reads the whole schema sees every table, while
``bot.records`` itself knows nothing of the helpdesk or training.
"""

from __future__ import annotations

from bot.helpdesk import models as helpdesk_models
from bot.records.models import metadata
from bot.training import cohorts, runs

TABLE_MODULES = (helpdesk_models, cohorts, runs)

__all__ = ["TABLE_MODULES", "metadata"]
