"""Consumers of Redis Streams: one consumer group per (module, topic), with an inbox.

Each delivery runs in one unit of work: insert the message id into the module's inbox (a duplicate
is acknowledged and skipped), run the handler, commit, then ``XACK``. A failed delivery stays
pending and the consumer goes on with the messages behind it. Pending entries are retried with
capped exponential back-off and jitter (``XPENDING`` + ``XCLAIM``); entries left by a dead
consumer are taken over with ``XAUTOCLAIM`` once idle for ``claim_idle_seconds``.

Failures are classified (``failures.is_transient``). A transient one (PostgreSQL, Redis or another
module unavailable, a pool timeout, a lost race) is retried for as long as it lasts and never
counts towards the dead-letter queue; a warning is logged once it has lasted
``transient_warn_seconds``. A permanent one counts: after ``max_deliveries`` of them the entry goes
to ``<topic>.dlq`` with its last error, and a malformed message goes there at once. A message name
the topic's producer does not define is acknowledged and ignored (tolerant reader: a producer may
be deployed before its consumers).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import logging
import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import psycopg
import redis.asyncio as aioredis

from backend.platform import faults
from backend.platform.failures import is_transient
from backend.platform.messages import ENVELOPE_FIELD, MalformedMessage, Message
from backend.platform.unit_of_work import UnitOfWork
from observability import hops, tracing

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, Message], Awaitable[None]]
UnitOfWorkFactory = Callable[[], contextlib.AbstractAsyncContextManager[UnitOfWork]]

DLQ_SUFFIX = ".dlq"


@dataclass(frozen=True)
class Subscription:
    """A topic this module consumes: the names it may carry, and the ones this module handles.

    ``known`` comes from the producer's contract, for documentation and counting: a name outside
    it is acknowledged and ignored (counted as unknown), like a known name without a handler.
    """

    topic: str
    known: frozenset[str]
    handlers: Mapping[str, Handler]


@dataclass(frozen=True)
class DeliverySettings:
    max_deliveries: int = 5
    retry_base_seconds: float = 0.2
    retry_max_seconds: float = 10.0
    claim_idle_seconds: float = 30.0
    transient_warn_seconds: float = 30.0
    block_ms: int = 1000
    batch: int = 100


@dataclass(frozen=True)
class FailureRecord:
    """What the consumer remembers of an entry's failed deliveries (``mallbots:errors:<group>``).

    ``failures`` counts the permanent ones only; ``transient_since`` is when the current run of
    transient failures began (0 when the last failure was permanent).
    """

    error: str
    failures: int
    transient_since: float = 0.0

    def to_json(self) -> str:
        return orjson.dumps(self.__dict__).decode()

    @classmethod
    def from_json(cls, raw: bytes | str | None) -> FailureRecord | None:
        if raw is None:
            return None
        try:
            data = orjson.loads(raw)
            return cls(str(data["error"]), int(data["failures"]), float(data["transient_since"]))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            # A record in the old format (the error text alone) counts as one failure.
            return cls(raw.decode() if isinstance(raw, bytes) else raw, 1)


def cancelling() -> bool:
    """Whether this task is being cancelled. redis-py can swallow a cancellation that lands in
    a blocking read (its retry re-sends the command) or turn it into a connection error; loops
    check this so that they stop instead of going on or mistaking it for an outage."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _jitter(entry_id: str, deliveries: int) -> float:
    """A factor in [0.5, 1): the same for one entry and attempt, different across entries, so
    that entries failed by one outage are not all retried in the same instant."""
    digest = hashlib.blake2b(f"{entry_id}:{deliveries}".encode(), digest_size=2).digest()
    return 0.5 + int.from_bytes(digest, "big") / 2**17


class StreamConsumer:
    def __init__(
        self,
        group: str,
        subscriptions: Sequence[Subscription],
        redis: aioredis.Redis,
        unit_of_work: UnitOfWorkFactory,
        settings: DeliverySettings | None = None,
        name: str | None = None,
    ) -> None:
        self.group = group
        self.subscriptions = {s.topic: s for s in subscriptions}
        self.redis = redis
        self.unit_of_work = unit_of_work
        self.settings = settings or DeliverySettings()
        self.name = name or consumer_name()
        self.errors_key = f"mallbots:errors:{group}"
        self.counts: Counter[str] = Counter()
        """Delivery outcomes of this process: handled, ignored, unknown, transient, failed,
        dead_lettered."""

    async def ensure_groups(self) -> None:
        """Create this module's group on each topic, reading from the start of the stream."""
        for topic in self.subscriptions:
            try:
                await self.redis.xgroup_create(topic, self.group, id="0", mkstream=True)
            except aioredis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def leave(self) -> None:
        """On a clean stop, once nothing reads any more: delete this process's consumer from
        each group where it holds no pending entry (one it holds stays, for another process to
        claim). Best effort: a process that crashed leaves its name behind."""
        for topic in self.subscriptions:
            try:
                pending = await self.redis.xpending_range(
                    topic, self.group, "-", "+", 1, consumername=self.name
                )
                if not pending:
                    await self.redis.xgroup_delconsumer(topic, self.group, self.name)
            except (aioredis.RedisError, OSError) as exc:
                log.debug("consumer %s: not removed from %s: %s", self.name, topic, exc)

    async def run(self) -> None:
        """Consume until cancelled; survives Redis and PostgreSQL outages by retrying."""
        tracing.untraced_task()
        while True:
            try:
                await self.ensure_groups()
                while not cancelling():
                    await self.retry_pending()
                    await self.poll(self.settings.block_ms)
                raise asyncio.CancelledError
            except asyncio.CancelledError:
                raise
            except (aioredis.RedisError, OSError) as exc:
                if cancelling():
                    raise asyncio.CancelledError from exc
                log.warning("consumer %s: Redis unavailable (%s); retrying", self.group, exc)
                await asyncio.sleep(0.5)

    async def poll(self, block_ms: int | None) -> int:
        """Read and handle new entries once; return how many were read."""
        response = await self.redis.xreadgroup(
            self.group,
            self.name,
            {topic: ">" for topic in self.subscriptions},
            count=self.settings.batch,
            block=block_ms,
        )
        read = 0
        for stream, entries in response or []:
            topic = _text(stream)
            for entry_id, fields in entries:
                read += 1
                await self.deliver(topic, _text(entry_id), fields)
        return read

    def backoff(self, deliveries: int, entry_id: str = "") -> float:
        """How long an entry delivered ``deliveries`` times waits before the next delivery."""
        delay = self.settings.retry_base_seconds * 2 ** min(max(deliveries - 1, 0), 30)
        return float(min(delay, self.settings.retry_max_seconds)) * _jitter(entry_id, deliveries)

    async def retry_pending(self) -> None:
        """Retry this consumer's failed entries when due, take over dead consumers' entries."""
        for topic in self.subscriptions:
            await self._reclaim_stale(topic)
            pending = await self.redis.xpending_range(
                topic,
                self.group,
                min="-",
                max="+",
                count=self.settings.batch,
                consumername=self.name,
                idle=int(self.settings.retry_base_seconds * 500),
            )
            for entry in pending:
                entry_id = _text(entry["message_id"])
                deliveries = int(entry["times_delivered"])
                idle = int(entry["time_since_delivered"]) / 1000
                if idle < self.backoff(deliveries, entry_id):
                    continue
                await self._retry(topic, entry_id, deliveries)

    async def _failures(self, topic: str, entry_id: str, deliveries: int) -> FailureRecord:
        """The entry's record; without one (its consumer died or hung before recording), each
        delivery so far counts as a permanent failure, as it may be what kills the consumer."""
        raw = await self.redis.hget(self.errors_key, f"{topic}|{entry_id}")
        record = FailureRecord.from_json(raw)
        if record is None:
            return FailureRecord("no error recorded (the consumer died or hung)", deliveries)
        return record

    async def _reclaim_stale(self, topic: str) -> None:
        """Take over entries idle past ``claim_idle_seconds``, whoever holds them."""
        result = await self.redis.xautoclaim(
            topic, self.group, self.name,
            min_idle_time=int(self.settings.claim_idle_seconds * 1000),
            start_id="0-0", count=self.settings.batch,
        )  # fmt: skip
        for raw_id, fields in result[1] if result else []:
            entry_id = _text(raw_id)
            if fields is None:  # trimmed away: nothing left to deliver
                await self.redis.xack(topic, self.group, entry_id)
                continue
            info = await self.redis.xpending_range(
                topic, self.group, min=entry_id, max=entry_id, count=1
            )
            attempts_before = int(info[0]["times_delivered"]) - 1 if info else 0
            record = await self._failures(topic, entry_id, attempts_before)
            log.info("consumer %s took over %s %s", self.group, topic, entry_id)
            if record.failures >= self.settings.max_deliveries:
                await self.dead_letter(topic, entry_id, fields, record.error, record.failures)
            else:
                await self.deliver(topic, entry_id, fields)

    async def _retry(self, topic: str, entry_id: str, deliveries: int) -> None:
        """Deliver again one of this consumer's failed entries, or dead-letter it."""
        record = await self._failures(topic, entry_id, deliveries)
        if record.failures >= self.settings.max_deliveries:
            entries = await self.redis.xrange(topic, entry_id, entry_id, count=1)
            if entries:
                await self.dead_letter(
                    topic, entry_id, entries[0][1], record.error, record.failures
                )
            else:
                await self.redis.xack(topic, self.group, entry_id)
                await self.redis.hdel(self.errors_key, f"{topic}|{entry_id}")
            return
        claimed = await self.redis.xclaim(  # counts as a delivery (no JUSTID)
            topic, self.group, self.name,
            min_idle_time=int(self.backoff(deliveries, entry_id) * 1000), message_ids=[entry_id],
        )  # fmt: skip
        for raw_id, fields in claimed or []:
            if fields is None:
                await self.redis.xack(topic, self.group, entry_id)
                await self.redis.hdel(self.errors_key, f"{topic}|{entry_id}")
            else:
                await self.deliver(topic, _text(raw_id), fields)

    async def deliver(self, topic: str, entry_id: str, fields: Mapping[Any, Any]) -> None:
        subscription = self.subscriptions[topic]
        try:
            raw = fields.get(ENVELOPE_FIELD.encode(), fields.get(ENVELOPE_FIELD))
            if raw is None:
                raise MalformedMessage(f"stream entry has no {ENVELOPE_FIELD!r} field")
            message = Message.from_json(raw)
            if message.name in subscription.known:
                handled = message.name in subscription.handlers
                with hops.delivery(self.group, topic, message, handled):
                    await self._handle(subscription, message)
            else:  # tolerant reader: nothing to do, nothing to remember in the inbox
                self.counts["unknown"] += 1
                hops.unknown_message(self.group, topic)
                log.debug(
                    "consumer %s: unknown message name %r on %s ignored",
                    self.group,
                    message.name,
                    topic,
                )
        except MalformedMessage as exc:
            await self.dead_letter(topic, entry_id, fields, str(exc), None)
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await self._record_failure(topic, entry_id, exc)
            return
        await self.redis.xack(topic, self.group, entry_id)
        await self.redis.hdel(self.errors_key, f"{topic}|{entry_id}")

    async def _record_failure(self, topic: str, entry_id: str, exc: Exception) -> None:
        key = f"{topic}|{entry_id}"
        previous = FailureRecord.from_json(await self.redis.hget(self.errors_key, key))
        error = f"{type(exc).__name__}: {exc}"
        failures = previous.failures if previous else 0
        transient = is_transient(exc)
        hops.retried(self.group, topic, transient=transient)
        if transient:
            self.counts["transient"] += 1
            now = time.time()
            since = previous.transient_since if previous and previous.transient_since else now
            lasted = now - since
            if lasted >= self.settings.transient_warn_seconds:
                log.warning(
                    "consumer %s: %s %s has failed transiently for %.0f s, still retrying: %s",
                    self.group, topic, entry_id, lasted, error,
                )  # fmt: skip
            else:
                log.info("consumer %s: %s %s failed transiently: %s", self.group, topic, entry_id,
                         error)  # fmt: skip
            record = FailureRecord(error, failures, since)
        else:
            self.counts["failed"] += 1
            log.warning("consumer %s: %s %s failed: %r", self.group, topic, entry_id, exc)
            record = FailureRecord(error, failures + 1)
        await self.redis.hset(self.errors_key, key, record.to_json())

    async def _handle(self, subscription: Subscription, message: Message) -> None:
        try:
            async with self.unit_of_work() as uow:
                cur = await uow.conn.execute(
                    f"SELECT 1 FROM {uow.store.table('inbox')} WHERE message_id = %s",
                    (message.id,),
                    prepare=True,
                )
                if await cur.fetchone() is not None:
                    log.debug("consumer %s: duplicate %s skipped", self.group, message.id)
                    return
                uow.mark_handled(message, subscription.topic)
                handler = subscription.handlers.get(message.name)
                if handler is None:
                    self.counts["ignored"] += 1
                    return
                await handler(uow, message)
                await faults.point("consumer.after_handler")
                self.counts["handled"] += 1
        except psycopg.errors.UniqueViolation as exc:
            if exc.diag.table_name != "inbox":
                raise
            log.debug("consumer %s: concurrent duplicate %s skipped", self.group, message.id)

    async def dead_letter(
        self,
        topic: str,
        entry_id: str,
        fields: Mapping[Any, Any],
        error: str,
        deliveries: int | None,
    ) -> None:
        raw = fields.get(ENVELOPE_FIELD.encode(), fields.get(ENVELOPE_FIELD)) or repr(dict(fields))
        log.error("consumer %s: %s %s dead-lettered: %s", self.group, topic, entry_id, error)
        self.counts["dead_lettered"] += 1
        hops.dead_lettered(self.group, topic)
        await self.redis.xadd(
            topic + DLQ_SUFFIX,
            {
                ENVELOPE_FIELD: raw,
                "error": error,
                "group": self.group,
                "topic": topic,
                "original_id": entry_id,
                "deliveries": str(deliveries or 1),
                "failed_at": dt.datetime.now(dt.UTC).isoformat(),
            },
        )
        await self.redis.xack(topic, self.group, entry_id)
        await self.redis.hdel(self.errors_key, f"{topic}|{entry_id}")
