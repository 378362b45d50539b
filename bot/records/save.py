"""Saving a finished check as its decision record, once: saved, kept for later, or failed.

The action that finishes a check (``actions/check.py``) hands over the check's slots and says
what :func:`save_check` answers; how a record is saved — the draft from the engine's walk, one
transaction (a check saved twice returns its first record), the outbox while the database is
unreachable, the printable summary's link — is decided here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.records.draft import draft_from_check
from bot.records.links import summary_url
from bot.records.outbox import Outbox, database_unreachable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Saved:
    """The record is saved: its reference, and the printable summary's link (or None)."""

    record: Any
    link: str | None

    @property
    def reference(self) -> str:
        return str(self.record.reference)


@dataclass(frozen=True)
class Kept:
    """The database is unreachable: the record is kept in the outbox and saved once it is back
    (its reference is said then)."""


@dataclass(frozen=True)
class Failed:
    """Neither saved nor kept: the practitioner is told, and can try again."""

    reason: str


def save_check(
    slots: Mapping[str, Any],
    *,
    repository: Any,
    conversation_id: str,
    channel: str,
    advice: Mapping[str, Any] | None = None,
    made_by: str | None = None,
    outbox: Outbox | None = None,
) -> Saved | Kept | Failed:
    """Save the check in ``slots`` (a finished one: the engine's walk has an outcome)."""
    draft = None
    try:
        draft = draft_from_check(
            slots, conversation_id=conversation_id, channel=channel, advice=advice, made_by=made_by
        )
        record = repository.save(draft)
    except Exception as error:  # noqa: BLE001 - the practitioner must hear that saving failed
        logger.exception("saving the decision record failed")
        if draft is not None and database_unreachable(error):
            try:
                (outbox or Outbox()).put(draft)
            except OSError:
                logger.exception("the record could not be kept in the outbox either")
            else:
                return Kept()
        return Failed(type(error).__name__)
    return Saved(record, summary_url(record.reference, conversation_id))


__all__ = ["Failed", "Kept", "Saved", "save_check"]
