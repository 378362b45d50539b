"""An exception and what caused it, for telling failures apart (the database, Redis, the action
server): bot/channels/failures.py, bot/records/outbox.py, bot/rasa_patches.py."""

from __future__ import annotations

from collections.abc import Iterator


def causes(error: BaseException) -> Iterator[BaseException]:
    """``error``, then its ``__cause__`` (or ``__context__``), and so on, each once."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
