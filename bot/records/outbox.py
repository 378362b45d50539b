"""Records that could not be saved because the database was unreachable, kept until it is back.

When the records database cannot be reached at the moment a practitioner confirms "save", the
action server writes the record's draft here (one JSON file per check, written whole then renamed
into place, in ``<var>/outbox/``), tells the practitioner that it is kept and will be saved, and
saves it as soon as the database answers: a background thread of the action server tries every
:data:`RETRY_SECONDS`, and every message of that conversation tries too. Saving is idempotent by
``(conversation_id, check_id)`` (bot/records/repository.py), so a draft saved by both, or saved
just before the database dropped the reply, is stored once. The practitioner is given the
reference at their next message after it is saved.

The outbox is on the action server's disk: with several action-server machines each keeps its
own, and the directory must survive a restart (a persistent volume in Kubernetes: deploy/).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from dataclasses import asdict
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from bot import settings
from bot.causes import causes
from bot.records.fields import FIELDS, FieldKind
from bot.records.repository import RecordDraft

logger = logging.getLogger(__name__)

RETRY_SECONDS = 10.0


def _file_stem(conversation_id: str) -> str:
    return hashlib.sha256(conversation_id.encode("utf-8")).hexdigest()[:32]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


class Outbox:
    """Drafts waiting for the database, one file per conversation's check."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or settings.var_dir() / "outbox"

    def _path(self, conversation_id: str, check_id: str) -> Path:
        check = hashlib.sha256(check_id.encode("utf-8")).hexdigest()[:16]
        return self.directory / f"{_file_stem(conversation_id)}-{check}.json"

    def put(self, draft: Any) -> Path:
        """Keep ``draft`` on disk (fsynced) until it is saved."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(draft.conversation_id, draft.check_id)
        data = {name: _plain(value) for name, value in asdict(draft).items()}
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
        logger.warning("record of %s kept in the outbox: %s", draft.conversation_id, path.name)
        return path

    def waiting(self, conversation_id: str | None = None) -> list[Path]:
        if not self.directory.is_dir():
            return []
        pattern = f"{_file_stem(conversation_id)}-*.json" if conversation_id else "*.json"
        return sorted(self.directory.glob(pattern))

    @staticmethod
    def draft(path: Path) -> Any:
        data = json.loads(path.read_text(encoding="utf-8"))
        for f in FIELDS:
            if f.kind is FieldKind.WHEN and isinstance(data.get(f.name), str):
                data[f.name] = datetime.fromisoformat(data[f.name])
        return RecordDraft(**data)

    def flush(self, repository: Any, conversation_id: str | None = None) -> list[Any]:
        """Save what waits (for one conversation, or all); the records saved. Stops at the first
        failure (the database is still down): the rest stay for the next try."""
        saved = []
        for path in self.waiting(conversation_id):
            try:
                draft = self.draft(path)
            except (OSError, ValueError, TypeError):
                if path.exists():
                    logger.exception("outbox file %s cannot be read; left for a person", path)
                continue
            try:
                record = repository.save(draft)
            except Exception as error:  # noqa: BLE001 - still down: try later
                logger.info("outbox: the database is still unreachable (%s)", error)
                break
            path.with_suffix(".saved").write_text(record.reference, encoding="utf-8")
            path.unlink(missing_ok=True)
            logger.info("outbox: saved %s for %s", record.reference, draft.conversation_id)
            saved.append(record)
        return saved

    def saved_since(self, conversation_id: str) -> list[str]:
        """References of this conversation's kept records saved since it was last told (each
        is returned once)."""
        if not self.directory.is_dir():
            return []
        found = []
        for marker in sorted(self.directory.glob(f"{_file_stem(conversation_id)}-*.saved")):
            try:
                found.append(marker.read_text(encoding="utf-8").strip())
                marker.unlink()
            except FileNotFoundError:  # another worker told it
                continue
        return found


def database_unreachable(error: BaseException) -> bool:
    """Did this fail because the database could not be reached (rather than a fault of ours)?"""
    import sqlalchemy.exc

    for current in causes(error):
        if isinstance(
            current,
            sqlalchemy.exc.OperationalError
            | sqlalchemy.exc.InterfaceError
            | sqlalchemy.exc.DisconnectionError,
        ):
            return True
        if isinstance(current, sqlalchemy.exc.DBAPIError) and current.connection_invalidated:
            return True
    return False


def start_retrying(repository_factory: Any, outbox: Outbox | None = None) -> threading.Thread:
    """A daemon thread saving what the outbox holds every :data:`RETRY_SECONDS`."""
    outbox = outbox or Outbox()
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(RETRY_SECONDS):
            if outbox.waiting():
                try:
                    outbox.flush(repository_factory())
                except Exception:  # noqa: BLE001 - never let the thread die
                    logger.exception("outbox: retry failed")

    thread = threading.Thread(target=run, name="records-outbox", daemon=True)
    thread.start()
    return thread
