"""What several Rasa servers share through Redis, and its one-server fallback in memory.

With ``INFOSHARE_REDIS_URL`` set (``make run-cluster``), every Rasa server of a deployment uses
the same Redis for:

* **Rasa's lock store** (:class:`LockStore`, named in ``endpoints.yml``): one message of a
  conversation at a time, whichever server it reaches — Rasa's own ``RedisLockStore`` with the
  deployment's ``key_prefix``;
* **the web chat's messages between servers**: python-socketio's ``AsyncRedisManager``
  (:func:`socketio_manager`), so that a reply emitted to a conversation's room reaches the pages
  open on it on any server;
* **the helpdesk's answers pushed to a page open on another server** (:class:`PushRelay`);
* **the rate limits** (:class:`RateLimiter`) — per conversation, per source address and over
  all — counted once for all servers.

Without it (one server: ``make run``) the lock store is Rasa's in-memory one, socket.io keeps its
rooms in memory, and the rate limit counts in memory: nothing else changes.

Redis down: Rasa cannot take the conversation's lock, so no message is processed (nothing is
half-done); the channels answer with a clear message (bot/channels/failures.py) and the check
goes on when Redis is back (redis-py reconnects by itself). The rate limit then counts in memory.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from bot import settings

logger = logging.getLogger(__name__)

DEFAULT_PREFIX = "infoshare"
DEFAULT_RATE = "60/60"
DEFAULT_ADDRESS_RATE = "240/60"
DEFAULT_TOTAL_RATE = "1200/60"


def redis_url() -> str:
    """``INFOSHARE_REDIS_URL``, or "" for one server without Redis."""
    return settings.get(settings.REDIS_URL)


def prefix() -> str:
    """The deployment's key prefix (letters and digits: Rasa's lock store requires it)."""
    value = settings.get(settings.REDIS_PREFIX, DEFAULT_PREFIX)
    if not re.fullmatch(r"[A-Za-z0-9]{1,40}", value):
        raise ValueError(f"{settings.REDIS_PREFIX} must be 1-40 letters and digits, not {value!r}")
    return value


# --- Rasa's lock store -------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def atomic_redis_lock_store() -> type:
    """Rasa's ``RedisLockStore`` with every change to a conversation's lock made atomically.

    Rasa 3.6 changes a lock in Redis by reading it, changing it in Python and writing it back
    (``issue_ticket``, ``update_lock``, ``finish_serving``, ``cleanup``). Within one server that
    is safe (one event loop, blocking calls); across servers two of them interleave: a ticket
    issued on one server is overwritten by the other's, and two messages of one conversation are
    processed at once — seen in tests/e2e/test_cluster.py as lost turns and errors. Here each
    change is one Redis transaction (WATCH the key, read, MULTI, write; redis-py retries it when
    the key changed meanwhile). The tickets, their order and lifetimes are Rasa's own
    ``TicketLock``.
    """
    from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore, TicketLock

    class AtomicRedisLockStore(RedisLockStore):
        def _atomically(self, conversation_id: str, change: Callable[[Any], Any]) -> Any:
            key = self.key_prefix + conversation_id

            def transaction(pipe: Any) -> Any:
                stored = pipe.get(key)
                lock = TicketLock.from_dict(json.loads(stored)) if stored else None
                result, changed = change(lock)
                pipe.multi()
                if changed is None:
                    pipe.delete(key)
                else:
                    pipe.set(key, changed.dumps())
                return result

            return self.red.transaction(transaction, key, value_from_callable=True)

        def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
            def change(lock: Any) -> tuple[int, Any]:
                lock = lock or self.create_lock(conversation_id)
                return lock.issue_ticket(lock_lifetime), lock

            try:
                return self._atomically(conversation_id, change)
            except Exception as error:
                raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

        def update_lock(self, conversation_id: str) -> None:
            def change(lock: Any) -> tuple[None, Any]:
                if lock is not None:
                    lock.remove_expired_tickets()
                return None, lock

            self._atomically(conversation_id, change)

        def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
            def change(lock: Any) -> tuple[None, Any]:
                if lock is not None:
                    lock.remove_ticket_for(ticket_number)
                return None, lock

            self._atomically(conversation_id, change)

        def cleanup(self, conversation_id: str, ticket_number: int) -> None:
            def change(lock: Any) -> tuple[None, Any]:
                if lock is None:
                    return None, None
                lock.remove_ticket_for(ticket_number)
                return None, lock if lock.is_someone_waiting() else None

            self._atomically(conversation_id, change)

    return AtomicRedisLockStore


class LockStore:
    """``lock_store: {type: bot.coordination.LockStore}``: Rasa's ``RedisLockStore`` on
    ``INFOSHARE_REDIS_URL`` with the deployment's prefix — with its changes made atomic
    (:func:`atomic_redis_lock_store`) — or its ``InMemoryLockStore`` without.

    Rasa builds custom lock stores as ``cls(endpoint_config=…)``; this class hands back Rasa's own
    store, so the locking is Rasa's ticket lock.
    """

    def __new__(cls, endpoint_config: Any = None) -> Any:  # noqa: ARG003 - Rasa's signature
        from rasa.core.lock_store import InMemoryLockStore

        url = redis_url()
        if not url:
            return InMemoryLockStore()
        parsed = urlparse(url)
        database = (parsed.path or "/0").lstrip("/") or "0"
        store = atomic_redis_lock_store()(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 6379,
            db=int(database),
            username=parsed.username or None,
            password=parsed.password or None,
            use_ssl=parsed.scheme == "rediss",
            key_prefix=prefix(),
            socket_timeout=5,
        )
        logger.info("Rasa's lock store: Redis at %s, key prefix %s", _safe(url), store.key_prefix)
        return store


def _safe(url: str) -> str:
    parsed = urlparse(url)
    host = parsed.hostname or ""
    return f"{parsed.scheme}://{host}:{parsed.port or 6379}{parsed.path}"


# --- socket.io between servers -----------------------------------------------------------------


def socketio_manager() -> Any | None:
    """python-socketio's Redis client manager for the web chat, or None for one server."""
    url = redis_url()
    if not url:
        return None
    import socketio

    return socketio.AsyncRedisManager(url, channel=f"{prefix()}-socketio")


# --- the helpdesk's answers to a page open on another server -----------------------------------

Handler = Callable[[str], Awaitable[Any]]


class PushRelay:
    """Asks every Rasa server to push the answer to ``reference`` to its pages.

    The answer is given on one server (the helpdesk page or API); the practitioner's page may be
    connected to another. Each server subscribes to ``<prefix>:answers`` and tries the push
    itself: the one with the page claims the delivery in the database (``mark_delivered``), so the
    answer is shown once, and none claims it if no page is open (it then waits for the next
    message or the page's return, as on one server).
    """

    def __init__(self, url: str, channel: str) -> None:
        self.url = url
        self.channel = channel
        self._task: asyncio.Task | None = None
        self._redis: Any = None
        # this server's own requests come back to it: ignored (it tried already, and trying
        # again would race the server that has the page for the delivery's claim)
        self.origin = uuid.uuid4().hex

    def _client(self) -> Any:
        if self._redis is None:
            from redis import asyncio as aioredis

            self._redis = aioredis.Redis.from_url(self.url, socket_timeout=5)
        return self._redis

    async def publish(self, reference: str) -> bool:
        try:
            heard = await self._client().publish(
                self.channel, json.dumps({"reference": reference, "origin": self.origin})
            )
            logger.info("the answer to %s relayed to the other servers (%s)", reference, heard - 1)
            return True
        except Exception as error:  # noqa: BLE001 - the answer waits for the next message
            logger.warning("could not relay the answer to %s: %s", reference, error)
            return False

    def start(self, handler: Handler) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._listen(handler))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self._redis is not None:
            await self._redis.close()
            self._redis = None

    async def _listen(self, handler: Handler) -> None:
        from redis import asyncio as aioredis

        delay = 1.0
        while True:
            # its own connection, waiting for messages without a read timeout (a timeout would
            # drop the subscription between messages); health checks find a dead one
            listener = aioredis.Redis.from_url(
                self.url, socket_connect_timeout=5, health_check_interval=30
            )
            try:
                pubsub = listener.pubsub(ignore_subscribe_messages=True)
                await pubsub.subscribe(self.channel)
                delay = 1.0
                async for message in pubsub.listen():
                    try:
                        data = json.loads(message["data"])
                        reference, origin = data["reference"], data.get("origin")
                    except (KeyError, TypeError, ValueError):
                        continue
                    if origin == self.origin:
                        continue
                    logger.debug("answers relay: asked to push %s", reference)
                    await handler(str(reference))
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - Redis down: try again, slower each time
                logger.warning("answers relay: %s; retrying in %.0f s", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
            finally:
                await listener.close()


def push_relay() -> PushRelay | None:
    url = redis_url()
    return PushRelay(url, f"{prefix()}:answers") if url else None


# --- the rate limits: per conversation, per source address, over all ---------------------------


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @property
    def enabled(self) -> bool:
        return self.count > 0


def rate(name: str = settings.RATE_LIMIT, default: str = DEFAULT_RATE) -> Rate:
    """The setting ``name`` (COUNT/SECONDS, or 0 for no limit): by default
    ``INFOSHARE_RATE_LIMIT``, 60/60."""
    value = settings.get(name, default)
    if value == "0":
        return Rate(0, 1)
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", value)
    if not match or int(match.group(2)) < 1:
        raise ValueError(f"{name} must be COUNT/SECONDS (e.g. 20/10) or 0, not {value!r}")
    return Rate(int(match.group(1)), int(match.group(2)))


def exempt_addresses() -> frozenset[str]:
    """``INFOSHARE_RATE_LIMIT_EXEMPT``: addresses (space-separated) the address and overall
    limits do not count — a trusted integration's host; never the practitioners' proxy."""
    return frozenset(settings.get(settings.RATE_LIMIT_EXEMPT).split())


class RateLimiter:
    """Fixed-window limits on the messages the channels take, each COUNT per SECONDS:

    - per conversation (``INFOSHARE_RATE_LIMIT``, default 60/60): no practitioner types that
      fast, and a script replaying a whole check (about 20 messages in a few seconds) stays
      under it;
    - per source address (``INFOSHARE_RATE_LIMIT_ADDRESS``, default 240/60: an office of a
      hundred practitioners behind one address has room), so that a flood with a new sender per
      message is limited too;
    - over all (``INFOSHARE_RATE_LIMIT_TOTAL``, default 1200/60 for the deployment): what the
      servers can answer, so that a flood from many addresses slows down, instead of taking
      the service down.

    A message is counted against its conversation, then (if that allowed it) its address, then
    (if that did) the whole: one conversation's flood does not use up its office's allowance,
    nor one address's flood everyone's. Addresses in ``INFOSHARE_RATE_LIMIT_EXEMPT`` are
    counted per conversation only. Counted in Redis when the deployment has one (so the limits
    hold across servers), in memory otherwise or while Redis is unreachable.
    """

    def __init__(
        self,
        limit: Rate,
        url: str = "",
        key_prefix: str = DEFAULT_PREFIX,
        *,
        per_address: Rate = Rate(0, 1),
        total: Rate = Rate(0, 1),
        exempt: frozenset[str] = frozenset(),
    ) -> None:
        self.limit = limit
        self.per_address = per_address
        self.total = total
        self.exempt = exempt
        self.url = url
        self.key_prefix = key_prefix
        self._redis: Any = None
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    async def allow(self, sender: str, address: str | None = None) -> tuple[bool, int]:
        """Whether this message may go on, and (if not) the seconds until it may; ``address``:
        where it came from (None: not counted by address)."""
        checks = [(f"conversation:{sender}", self.limit)]
        if address is None or address not in self.exempt:
            if address is not None:  # None: a channel whose callers share an address (Teams)
                checks.append((f"address:{address}", self.per_address))
            checks.append(("all", self.total))
        for key, limit in checks:  # counted in turn: a message refused is not counted further
            if limit.enabled:
                allowed, retry = await self._allow(key, limit)
                if not allowed:
                    return False, retry
        return True, 0

    async def _allow(self, key: str, limit: Rate) -> tuple[bool, int]:
        window = int(time.time() // limit.seconds)
        count = await self._count_in_redis(key, window, limit) if self.url else None
        if count is None:
            count = self._count_in_memory(key, (window + 1) * limit.seconds)
        retry = max(1, int((window + 1) * limit.seconds - time.time()) + 1)
        return count <= limit.count, retry

    async def _count_in_redis(self, key: str, window: int, limit: Rate) -> int | None:
        key = f"{self.key_prefix}:rate:{key}:{window}"
        try:
            if self._redis is None:
                from redis import asyncio as aioredis

                self._redis = aioredis.Redis.from_url(self.url, socket_timeout=2)
            async with self._redis.pipeline(transaction=True) as pipe:
                count, _ = await pipe.incr(key).expire(key, limit.seconds + 1).execute()
            return int(count)
        except Exception as error:  # noqa: BLE001 - Redis down: count here meanwhile
            logger.debug("rate limit in memory: %s", error)
            return None

    def _count_in_memory(self, key: str, ends: int) -> int:
        """Count one for ``key`` in the window that ends at ``ends`` (epoch seconds)."""
        with self._lock:
            if len(self._counts) > 10_000:  # forget windows that have ended
                now = time.time()
                self._counts = {k: v for k, v in self._counts.items() if k[1] > now}
            found = (key, ends)
            self._counts[found] = self._counts.get(found, 0) + 1
            return self._counts[found]


_limiter: RateLimiter | None = None


def rate_limiter() -> RateLimiter:
    """The process's rate limiter (built at first use, from the settings)."""
    global _limiter
    if _limiter is None:
        url = redis_url()
        _limiter = RateLimiter(
            rate(),
            url,
            prefix() if url else DEFAULT_PREFIX,
            per_address=rate(settings.RATE_LIMIT_ADDRESS, DEFAULT_ADDRESS_RATE),
            total=rate(settings.RATE_LIMIT_TOTAL, DEFAULT_TOTAL_RATE),
            exempt=exempt_addresses(),
        )
    return _limiter
