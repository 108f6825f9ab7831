"""The event store on a real PostgreSQL: no skipped events, concurrency, snapshots, upcasts."""

from __future__ import annotations

import asyncio
import random
import uuid

import pytest
from psycopg_pool import AsyncConnectionPool

from backend.platform.aggregate import Repository
from backend.platform.errors import Conflict
from backend.platform.eventstore import (
    ConcurrencyError,
    EventStore,
    FeedPosition,
    NewEvent,
    Upcasters,
)
from backend.platform.messages import Message
from backend.platform.module import ModuleContext
from backend.platform.unit_of_work import UnitOfWork
from tests.support.counter import Counter, Incremented, increment, repository

WRITERS = 8
APPENDS_PER_WRITER = 500


async def test_feed_reader_never_skips_a_committed_event(
    pool: AsyncConnectionPool, store: EventStore
) -> None:
    committed: set[uuid.UUID] = set()
    rolled_back: set[uuid.UUID] = set()
    writers_done = asyncio.Event()
    rng = random.Random(7)

    async def writer(n: int) -> None:
        async with pool.connection() as conn:
            for i in range(APPENDS_PER_WRITER):
                event = NewEvent("test.Happened", {"writer": n, "i": i})
                roll = rng.random()
                if roll < 0.9:
                    await store.append(conn, "test.Stream", str(uuid.uuid4()), 0, [event])
                    committed.add(event.id)
                    continue
                await conn.execute("BEGIN")
                await store.append(conn, "test.Stream", str(uuid.uuid4()), 0, [event])
                if roll < 0.95:  # rolled back
                    await asyncio.sleep(rng.uniform(0, 0.01))
                    await conn.execute("ROLLBACK")
                    rolled_back.add(event.id)
                else:  # held open while later positions commit
                    await asyncio.sleep(rng.uniform(0.02, 0.15))
                    await conn.execute("COMMIT")
                    committed.add(event.id)

    seen: list[uuid.UUID] = []

    async def reader() -> None:
        position = FeedPosition()
        async with pool.connection() as conn:
            while True:
                batch = await store.read_feed(conn, position, limit=200)
                seen.extend(e.id for e in batch)
                if batch:
                    position = FeedPosition(batch[-1].transaction_id, batch[-1].position)
                elif writers_done.is_set():
                    return
                else:
                    await asyncio.sleep(0.002)

    reading = asyncio.create_task(reader())
    await asyncio.gather(*(writer(n) for n in range(WRITERS)))
    writers_done.set()
    await asyncio.wait_for(reading, 60)

    assert len(committed) + len(rolled_back) == WRITERS * APPENDS_PER_WRITER
    assert rolled_back, "the test must roll some transactions back"
    assert len(seen) == len(set(seen)), "an event was read twice"
    assert set(seen) == committed
    assert not set(seen) & rolled_back


async def test_concurrent_commands_on_one_aggregate_both_take_effect(
    context: ModuleContext,
) -> None:
    repo = repository(context)
    both_loaded = asyncio.Barrier(2)
    attempts: list[int] = []

    async def add_one(name: int) -> int:
        async def command(uow: UnitOfWork) -> int:
            attempts.append(name)
            counter = await repo.load(uow, "c1") or Counter("c1")
            if len(attempts) <= 2:
                await both_loaded.wait()
            counter.increment(1)
            repo.save(uow, counter)
            return counter.total

        return await context.run_command(command)

    await increment(context, "c1")  # version 1
    totals = await asyncio.gather(add_one(1), add_one(2))

    assert sorted(totals) == [2, 3]
    assert len(attempts) == 3, "exactly one command must have retried on fresh state"
    async with context.unit_of_work() as uow:
        counter = await repo.load(uow, "c1")
    assert counter is not None and counter.total == 3 and counter.version == 3


async def test_retries_are_bounded(context: ModuleContext) -> None:
    repo = repository(context)
    calls = 0

    async def always_stale(uow: UnitOfWork) -> None:
        nonlocal calls
        calls += 1
        counter = Counter("stale")  # pretends the stream is new: always conflicts
        counter.increment(1)
        repo.save(uow, counter)

    await increment(context, "stale")
    with pytest.raises(Conflict):
        await context.run_command(always_stale)
    assert calls == context.settings.command_retries


async def test_expected_version_ahead_or_behind_is_refused(
    pool: AsyncConnectionPool, store: EventStore
) -> None:
    async with pool.connection() as conn:
        one = [NewEvent("test.Happened", {})]
        await store.append(conn, "test.Stream", "s", 0, one)
        with pytest.raises(ConcurrencyError):
            await store.append(conn, "test.Stream", "s", 5, one)  # ahead
        with pytest.raises(ConcurrencyError):
            await store.append(conn, "test.Stream", "s", 0, one)  # behind
        with pytest.raises(ConcurrencyError):
            await store.append(conn, "test.Stream", "new", 3, one)  # ahead of a new stream
        await store.append(conn, "test.Stream", "s", 1, one * 3)
        versions = [e.version for e in await store.load(conn, "test.Stream", "s")]
        assert versions == [1, 2, 3, 4]
        assert await store.load(conn, "test.Stream", "new") == []


async def test_load_reads_at_most_n_events_after_the_snapshot(context: ModuleContext) -> None:
    every = context.settings.snapshot_every
    repo = repository(context)

    async def add(times: int) -> None:
        async def command(uow: UnitOfWork) -> None:
            counter = await repo.load(uow, "big") or Counter("big")
            for _ in range(times):
                counter.increment(1)
            repo.save(uow, counter)

        await context.run_command(command)

    for _ in range(100):
        await add(100)
    await add(every - 1)

    async with context.unit_of_work() as uow:
        counter = await repo.load(uow, "big")
        unsnapshotted = await Repository(
            context.store, Counter, [Incremented], snapshot_every=0
        ).load(uow, "big")
    assert counter is not None and unsnapshotted is not None
    assert counter.total == 10_000 + every - 1
    assert counter.replayed <= every  # type: ignore[attr-defined]
    assert unsnapshotted.replayed == 10_000 + every - 1  # type: ignore[attr-defined]


async def test_old_event_versions_are_upcast_on_read(
    pool: AsyncConnectionPool, store: EventStore
) -> None:
    async with pool.connection() as conn:
        await store.append(
            conn, "counter.Counter", "old", 0,
            [NewEvent("counter.Incremented", {"amount": "3"}, schema_version=1)],
        )  # fmt: skip
    upcasters = Upcasters()
    upcasters.register("counter.Incremented", 1, lambda p: {"by": int(p["amount"])})
    upcasters.register("counter.Incremented", 2, lambda p: {**p, "source": "upcast"})
    reading = EventStore(store.schema, upcasters)
    async with pool.connection() as conn:
        (event,) = await reading.load(conn, "counter.Counter", "old")
        (from_feed,) = await reading.read_feed(conn, FeedPosition())
    assert event.schema_version == 3
    assert event.payload == {"by": 3, "source": "upcast"}
    assert from_feed.payload == event.payload


async def test_a_consumer_transaction_cannot_order_a_stream_version_before_its_parent(
    context: ModuleContext,
) -> None:
    """The feed is ordered by transaction id. A handler's unit of work that took its transaction
    id before loading the aggregate (say, by writing its inbox row first) and appended the next
    version after another writer committed would put version 2 before version 1 in the feed.
    Units of work therefore hold back the inbox row until commit."""
    from backend.platform.messages import new_message
    from tests.support.counter import CounterIncremented, topic_of

    repo = repository(context)
    message = new_message(topic_of(context.name), CounterIncremented("ordered", 0))
    async with context.pool.connection() as consumer_conn:
        handling = UnitOfWork(consumer_conn, context.store)
        handling.mark_handled(message, topic_of(context.name))  # the inbox row: held back
        await increment(context, "ordered")  # another writer commits version 1
        counter = await repo.load(handling, "ordered")
        assert counter is not None and counter.version == 1
        counter.increment(1)
        repo.save(handling, counter)
        await handling.commit()  # version 2
    async with context.pool.connection() as conn:
        feed = await context.store.read_feed(conn, FeedPosition())
    assert [(e.stream_id, e.version) for e in feed] == [("ordered", 1), ("ordered", 2)]


AWKWARD = 'quotes " and \\" backslashes \\\\ braces {} commas , unicode é ✓ 🛒 and \n newlines'


async def test_events_and_outbox_rows_keep_awkward_text_exactly(
    pool: AsyncConnectionPool, store: EventStore
) -> None:
    payloads = [{"text": AWKWARD, "nested": {"list": [AWKWARD, 1, None]}}, {"empty": ""}]
    message = Message(
        id=str(uuid.uuid4()), name="test.Awkward", subject="test.topic",
        occurred_at="2026-01-01T00:00:00+00:00", schema_version=1,
        payload={"text": AWKWARD}, metadata={"note": AWKWARD},
    )  # fmt: skip
    async with pool.connection() as conn:
        events = [NewEvent("test.Awkward", p) for p in payloads]
        await store.append(conn, "test.Stream", "awkward", 0, events, outbox=[message])
        loaded = await store.load(conn, "test.Stream", "awkward")
        cur = await conn.execute(
            f"SELECT message_id::text, topic, message FROM {store.table('outbox')}"
        )
        rows = await cur.fetchall()
    assert [(e.version, e.id, e.payload) for e in loaded] == [
        (1, events[0].id, payloads[0]),
        (2, events[1].id, payloads[1]),
    ]
    assert rows == [(message.id, "test.topic", message.to_json())]
    assert Message.from_json(rows[0][2]) == message
