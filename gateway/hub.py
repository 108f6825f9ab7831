"""The subscription hub: one Redis reader per gateway process, fanning projection updates out.

The backend's outbox relay appends every change of a subscribable read model to the Redis stream
``mallbots.projections.<name>`` (trimmed approximately to ``MALLBOTS_PROJECTION_STREAM_MAXLEN``).
One task here reads all those streams with ``XREAD BLOCK`` from the position it has reached, and
hands each update to the in-memory queue of every subscriber that matches it: by (projection,
key), or by a predicate on the update (a customer's orders, the available shopping lists).

A stream entry id is the update's *cursor*. A subscriber registers first and buffers what the
reader dispatches, then either takes the stream's last id as the cursor of the state it fetches
(:meth:`Subscriber.start_at_end`) or replays what it missed after a cursor
(:meth:`Subscriber.replay`), then follows the buffer, skipping ids it has already delivered: no
update is lost between the replay (or the snapshot) and the live updates, and none is delivered
twice. A cursor that the stream has trimmed away is ``CURSOR_EXPIRED``, never a silent gap.

Queues are bounded: a subscriber that falls ``queue_size`` updates behind is dropped with
``SUBSCRIBER_TOO_SLOW`` (it may resume from its last cursor).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import redis.asyncio as aioredis
from graphql import GraphQLError

from backend.baskets.messages import PROJECTION as BASKETS
from backend.depot.messages import PROJECTION as SHOPPING_LISTS
from backend.ordering.messages import PROJECTION as ORDERS
from backend.platform.messages import ENVELOPE_FIELD, PROJECTION_TOPIC_PREFIX
from backend.stores.messages import PROJECTION as CATALOG
from gateway.errors import graphql_error
from observability import tracing

log = logging.getLogger(__name__)

PROJECTIONS = (ORDERS, BASKETS, CATALOG, SHOPPING_LISTS)
"""The read models that clients can subscribe to."""

CLIENT_NAME = "mallbots-gateway-hub"
"""The name of the hub's Redis connections (``CLIENT LIST`` shows them)."""

START = "0-0"
"""The cursor before every entry: the cursor of a state fetched while its stream was empty."""

_CURSOR = re.compile(r"([0-9]{1,20})-([0-9]{1,20})")
_MAX_PART = 2**64 - 1
_REPLAY_BATCH = 500
MAX_REPLAY = 2_000
"""The most stream entries one resume reads (a stream holds every key's updates): a cursor
further behind is CURSOR_EXPIRED, and the client fetches the current state instead. Without a
bound, one cheap subscription with an old cursor made the gateway read and decode the whole
stream (about 10,000 entries)."""


def _too_far_behind(cursor: str, most: int) -> GraphQLError:
    return graphql_error(
        f"cursor {cursor} is too far behind: more than {most} updates came after it;"
        " subscribe again without after to get the current state",
        "CURSOR_EXPIRED",
    )


@dataclass(frozen=True)
class Update:
    """One projection update: the new ``state`` of entry ``key``, at stream id ``cursor``."""

    projection: str
    key: str
    state: Mapping[str, Any]
    cursor: str
    rendered: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """Payloads made from this update, by operation, shared by its subscribers
    (:mod:`gateway.live`)."""

    metadata: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    """The envelope's metadata: the trace context of the change, for the push's span."""

    position: tuple[int, int] = field(init=False, compare=False, repr=False)
    """The cursor, parsed once (subscribers compare it with theirs)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "position", parse_cursor(self.cursor))


Predicate = Callable[[Update], bool]


def stream_of(projection: str) -> str:
    return PROJECTION_TOPIC_PREFIX + projection


def parse_cursor(cursor: str) -> tuple[int, int]:
    """The (milliseconds, sequence) of a stream id; BAD_REQUEST if it is not one."""
    match = _CURSOR.fullmatch(cursor)
    parts = (int(match[1]), int(match[2])) if match else None
    if parts is None or max(parts) > _MAX_PART:
        raise graphql_error(
            f"after is not a valid cursor: {cursor[:60]!r}", "BAD_REQUEST", field="after"
        )
    return parts


def cancelling() -> bool:
    """Whether this task is being cancelled. redis-py can swallow a cancellation that lands in a
    blocking read (its retry re-sends the command) or turn it into a connection error, so the
    reader checks this to stop instead of going on (as ``backend.platform.consumer`` does)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


@contextlib.contextmanager
def unavailable_on_redis_errors() -> Iterator[None]:
    """A Redis failure met on a subscriber's behalf as SUBSCRIPTIONS_UNAVAILABLE."""
    try:
        yield
    except (aioredis.RedisError, OSError) as exc:
        log.warning("hub: Redis failed for a subscriber: %r", exc)
        raise graphql_error(
            "subscriptions are unavailable (Redis cannot be reached)", "SUBSCRIPTIONS_UNAVAILABLE"
        ) from None


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def decode(projection: str, entry_id: bytes | str, fields: Mapping[Any, Any]) -> Update | None:
    """The update of one stream entry, or None (logged) for an entry that is not one."""
    cursor = _text(entry_id)
    raw = fields.get(ENVELOPE_FIELD.encode(), fields.get(ENVELOPE_FIELD))
    try:
        envelope = orjson.loads(raw)
        payload = envelope["payload"]
        update = Update(projection, str(payload["key"]), dict(payload["state"]), cursor)
        update.metadata.update(envelope.get("metadata") or {})
        return update
    except (TypeError, KeyError, ValueError, orjson.JSONDecodeError):
        log.warning("hub: %s %s is not a projection update; skipped", projection, cursor)
        return None


class HubStopped(Exception):
    """The hub stopped (the gateway is shutting down): the subscription ends."""


class Subscriber:
    """One GraphQL subscription's registration: a bounded buffer of matching updates."""

    def __init__(
        self,
        hub: SubscriptionHub,
        projection: str,
        key: str | None,
        predicate: Predicate | None,
        capacity: int,
    ) -> None:
        self.hub = hub
        self.projection = projection
        self.key = key
        self.predicate = predicate
        self.capacity = capacity
        self.position: tuple[int, int] = (0, 0)
        """The id of the last update delivered (or of the snapshot): later ones only follow."""
        self._buffer: deque[Update] = deque()
        self._ready = asyncio.Event()
        self.overflowed = False
        self.stopped = False

    def matches(self, update: Update) -> bool:
        if self.key is not None and update.key != self.key:
            return False
        return self.predicate is None or self.predicate(update)

    def offer(self, update: Update) -> None:
        """Called by the reader: buffer ``update``, or mark this subscriber as too slow."""
        if self.overflowed:
            return
        if len(self._buffer) >= self.capacity:
            self.overflowed = True
            self.hub.unregister(self)
        else:
            self._buffer.append(update)
        self._ready.set()

    def stop(self) -> None:
        self.stopped = True
        self._ready.set()

    async def start_at_end(self) -> str:
        """The stream's last id, as the cursor of a state fetched now: live updates follow it."""
        cursor = await self.hub.cursor_of_now(self.projection)
        self.position = parse_cursor(cursor)
        return cursor

    async def replay(self, after: str) -> AsyncIterator[Update]:
        """The matching updates after cursor ``after``, in order; CURSOR_EXPIRED if trimmed."""
        self.position = parse_cursor(after)
        async for update in self.hub.updates_after(self.projection, after):
            if self.matches(update):
                self.position = update.position
                yield update

    async def next(self) -> Update:
        """The next live update after ``position``; raises when dropped or when the hub stops."""
        while True:
            while self._buffer:
                update = self._buffer.popleft()
                if update.position > self.position:
                    self.position = update.position
                    return update
            if self.overflowed:
                raise graphql_error(
                    f"the subscriber fell more than {self.capacity} updates behind; subscribe"
                    " again with after: <the last cursor received>",
                    "SUBSCRIBER_TOO_SLOW",
                )
            if self.stopped:
                raise HubStopped
            self._ready.clear()
            await self._ready.wait()

    def __aiter__(self) -> AsyncIterator[Update]:
        return self._follow()

    async def _follow(self) -> AsyncIterator[Update]:
        while True:
            try:
                update = await self.next()
            except HubStopped:
                return
            yield update


class SubscriptionHub:
    """One Redis reader per gateway process; subscribers register by key or by predicate."""

    def __init__(
        self,
        redis_url: str,
        *,
        projections: Iterable[str] = PROJECTIONS,
        queue_size: int = 1000,
        block_ms: int = 1000,
        batch: int = 500,
        ready_timeout_seconds: float = 5.0,
        max_replay: int = MAX_REPLAY,
    ) -> None:
        self.redis = aioredis.Redis(
            connection_pool=aioredis.BlockingConnectionPool.from_url(
                redis_url,
                max_connections=32,
                timeout=5,
                socket_timeout=block_ms / 1000 + 10,
                client_name=CLIENT_NAME,
            )
        )
        self.projections = tuple(projections)
        self.queue_size = queue_size
        self.block_ms = block_ms
        self.batch = batch
        self.ready_timeout_seconds = ready_timeout_seconds
        self.max_replay = max_replay
        self.positions: dict[str, str] = {}
        """Per stream, the id of the last entry the reader has dispatched."""
        self._by_key: dict[tuple[str, str], set[Subscriber]] = {}
        self._by_predicate: dict[str, set[Subscriber]] = {}
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # --- lifecycle ---

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="subscription-hub")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for subscriber in self.subscribers():
            subscriber.stop()
        self._by_key.clear()
        self._by_predicate.clear()
        await self.redis.aclose()

    # --- subscribers ---

    def subscribers(self) -> list[Subscriber]:
        found = [s for group in self._by_key.values() for s in group]
        return found + [s for group in self._by_predicate.values() for s in group]

    @property
    def subscriber_count(self) -> int:
        return len(self.subscribers())

    @contextlib.asynccontextmanager
    async def subscribe(
        self, projection: str, *, key: str | None = None, predicate: Predicate | None = None
    ) -> AsyncIterator[Subscriber]:
        """Register a subscriber for the block's duration; it buffers from now on."""
        if projection not in self.projections:
            raise ValueError(f"unknown projection {projection!r}")
        await self.wait_ready()
        subscriber = Subscriber(self, projection, key, predicate, self.queue_size)
        if key is not None:
            self._by_key.setdefault((projection, key), set()).add(subscriber)
        else:
            self._by_predicate.setdefault(projection, set()).add(subscriber)
        try:
            yield subscriber
        finally:
            self.unregister(subscriber)

    def unregister(self, subscriber: Subscriber) -> None:
        if subscriber.key is not None:
            index = (subscriber.projection, subscriber.key)
            group = self._by_key.get(index)
            if group is not None:
                group.discard(subscriber)
                if not group:
                    del self._by_key[index]
        else:
            group = self._by_predicate.get(subscriber.projection)
            if group is not None:
                group.discard(subscriber)
                if not group:
                    del self._by_predicate[subscriber.projection]

    async def wait_ready(self) -> None:
        """Wait until the reader knows where each stream ends (so nothing after it is missed)."""
        if self._task is None:
            raise graphql_error("subscriptions are not available", "SUBSCRIPTIONS_UNAVAILABLE")
        try:
            await asyncio.wait_for(self._ready.wait(), self.ready_timeout_seconds)
        except TimeoutError:
            raise graphql_error(
                "subscriptions are unavailable (Redis cannot be reached)",
                "SUBSCRIPTIONS_UNAVAILABLE",
            ) from None

    def dispatch(self, update: Update) -> None:
        for subscriber in list(self._by_key.get((update.projection, update.key), ())):
            subscriber.offer(update)
        for subscriber in list(self._by_predicate.get(update.projection, ())):
            if subscriber.matches(update):
                subscriber.offer(update)

    # --- reading the streams ---

    async def last_id(self, projection: str) -> str:
        entries = await self.redis.xrevrange(stream_of(projection), "+", "-", count=1)
        return _text(entries[0][0]) if entries else START

    async def cursor_of_now(self, projection: str) -> str:
        """:meth:`last_id` for a subscriber: a Redis outage is SUBSCRIPTIONS_UNAVAILABLE."""
        with unavailable_on_redis_errors():
            return await self.last_id(projection)

    async def updates_after(self, projection: str, after: str) -> AsyncIterator[Update]:
        """Every update of ``projection`` after cursor ``after``, in order.

        The first page is read from ``after`` inclusive, so one command both proves that the
        cursor is still in the stream and starts the replay. ``0-0`` (the cursor of a state
        fetched while the stream was empty) is valid while nothing was trimmed from the stream:
        Redis 7 tells that (``entries-added`` above ``length``); Redis 6.2 cannot, and there it
        counts as the start of what the stream keeps.

        The entries are read before any is decoded or yielded, at most :attr:`max_replay` of
        them: a cursor further behind is CURSOR_EXPIRED before the client got anything.
        """
        stream = stream_of(projection)
        if after == START and await self._trimmed(stream):
            raise await self._missing(stream, after)
        low, check = ("-", False) if after == START else (after, True)
        missed: list[tuple[Any, Any]] = []
        while True:
            with unavailable_on_redis_errors():
                entries = await self.redis.xrange(stream, low, "+", count=_REPLAY_BATCH)
            page = entries
            if check:
                if not entries or _text(entries[0][0]) != after:
                    raise await self._missing(stream, after)
                check, page = False, entries[1:]
            missed += page
            if len(missed) > self.max_replay:
                raise _too_far_behind(after, self.max_replay)
            if len(entries) < _REPLAY_BATCH:
                break
            low = "(" + _text(entries[-1][0])
        for entry_id, fields in missed:
            update = decode(projection, entry_id, fields)
            if update is not None:
                yield update

    async def _trimmed(self, stream: str) -> bool:
        """Whether entries were ever trimmed from ``stream`` (known on Redis 7 only)."""
        with unavailable_on_redis_errors():
            try:
                info = await self.redis.xinfo_stream(stream)
            except aioredis.ResponseError:  # no such stream yet: nothing was trimmed
                return False
        added = info.get("entries-added")
        return added is not None and int(added) > int(info["length"])

    async def _missing(self, stream: str, cursor: str) -> GraphQLError:
        """The error for a well-formed cursor that is not in the stream."""
        with unavailable_on_redis_errors():
            last = await self.redis.xrevrange(stream, "+", "-", count=1)
        if last and parse_cursor(cursor) > parse_cursor(_text(last[0][0])):
            return graphql_error(
                f"cursor {cursor} is not a cursor of this subscription", "BAD_REQUEST",
                field="after",
            )  # fmt: skip
        return graphql_error(
            f"cursor {cursor} has expired: the updates after it are no longer kept;"
            " subscribe again without after to get the current state",
            "CURSOR_EXPIRED",
        )

    async def _run(self) -> None:
        """Read every projection stream until cancelled; survive Redis outages by retrying."""
        tracing.untraced_task()
        while True:
            try:
                if not self._ready.is_set():
                    for projection in self.projections:
                        self.positions[stream_of(projection)] = await self.last_id(projection)
                    self._ready.set()
                while not cancelling():
                    await self._poll()
                raise asyncio.CancelledError
            except asyncio.CancelledError:
                raise
            except (aioredis.RedisError, OSError) as exc:
                if cancelling():
                    raise asyncio.CancelledError from exc
                log.warning("hub: Redis unavailable (%s); retrying", exc)
                await asyncio.sleep(0.5)

    async def _poll(self) -> None:
        response = await self.redis.xread(
            dict(self.positions), count=self.batch, block=self.block_ms
        )
        for raw_stream, entries in response or []:
            stream = _text(raw_stream)
            projection = stream.removeprefix(PROJECTION_TOPIC_PREFIX)
            for entry_id, fields in entries:
                self.positions[stream] = _text(entry_id)
                update = decode(projection, entry_id, fields)
                if update is not None:
                    self.dispatch(update)
