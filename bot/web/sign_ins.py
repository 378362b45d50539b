"""Sign-ins' password hashing on its own small pool, with a queue limit.

Each sign-in verifies an Argon2id hash: 64 MiB of memory and tens of milliseconds of CPU. Run
in the executor every database call shares, a flood of sign-ins would hold every page of the
helpdesk (and the API) behind it. Here they run on :data:`WORKERS` threads of their own, and
when :data:`QUEUE_LIMIT` are already waiting or running, another is refused at once
(:class:`Busy`: the page answers 429 with ``Retry-After``) instead of queueing without end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

WORKERS = 2
QUEUE_LIMIT = 8
RETRY_AFTER_SECONDS = 30

_pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="sign-in")
_in_flight = 0


class Busy(RuntimeError):
    """Too many sign-ins are already being checked."""


async def run(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` on the sign-in pool; :class:`Busy` when the queue is full."""
    global _in_flight
    if _in_flight >= QUEUE_LIMIT:
        raise Busy
    _in_flight += 1  # the event loop's thread only: no lock needed
    try:
        return await asyncio.get_running_loop().run_in_executor(_pool, function, *args)
    finally:
        _in_flight -= 1
