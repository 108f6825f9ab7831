"""Event-store append rate against two anchors on the same server: the `eventsourcing` library's
PostgreSQL persistence and raw psycopg inserts of the same rows, one transaction per command."""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from collections.abc import Awaitable, Callable

import psycopg
from eventsourcing.domain import Aggregate, event
from psycopg.conninfo import conninfo_to_dict

from backend.platform import codec
from backend.platform.db import create_pool, migrate
from backend.platform.eventstore import EventStore, NewEvent
from backend.platform.messages import Message
from tests.bench.report import Row

Command = Callable[[int], Awaitable[None]]


class Thing(Aggregate):  # type: ignore[misc]
    """The library anchor's aggregate (module level: the library resolves it by topic)."""

    @event("Created")  # type: ignore[untyped-decorator]
    def __init__(self, n: int) -> None:
        self.n = n

    @event("Happened")  # type: ignore[untyped-decorator]
    def happen(self, i: int) -> None:
        self.i = i


async def _rate(command: Command, writers: int, commands: int) -> float:
    """Commands per second with ``writers`` concurrent tasks sharing ``commands`` commands."""
    counter = iter(range(commands))

    async def writer() -> None:
        for n in counter:
            await command(n)

    started = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(writers)))
    return commands / (time.perf_counter() - started)


def _outbox_message(stream_id: str) -> Message:
    return Message(
        id=str(uuid.uuid4()), name="bench.Happened", subject="bench.events",
        occurred_at="2026-01-01T00:00:00+00:00", schema_version=1,
        payload={"id": stream_id}, metadata={},
    )  # fmt: skip


async def ours(database_url: str, writers: int, events: int, commands: int) -> float:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    pool = await create_pool(database_url, size=writers)
    async with pool.connection() as conn:
        await migrate(conn, schema, None)
    store = EventStore(schema)

    async def command(n: int) -> None:
        stream_id = str(uuid.uuid4())
        batch = [NewEvent("bench.Happened", {"n": n, "i": i}) for i in range(events)]
        async with pool.connection() as conn:
            await store.append(
                conn, "bench.Stream", stream_id, 0, batch, outbox=[_outbox_message(stream_id)]
            )

    try:
        await _rate(command, writers, max(commands // 10, 20))  # warm-up
        return await _rate(command, writers, commands) * events
    finally:
        await pool.close()


async def raw_inserts(database_url: str, writers: int, events: int, commands: int) -> float:
    """The same rows (events + an outbox row) with plain INSERTs in one transaction each."""
    schema = f"bench_raw_{uuid.uuid4().hex[:8]}"
    pool = await create_pool(database_url, size=writers)
    async with pool.connection() as conn:
        await migrate(conn, schema, None)

    async def command(n: int) -> None:
        stream_id = str(uuid.uuid4())
        rows = [
            ("bench.Stream", stream_id, i + 1, uuid.uuid4(), "bench.Happened", 1,
             codec.dumps({"n": n, "i": i}), "{}")
            for i in range(events)
        ]  # fmt: skip
        message = _outbox_message(stream_id)
        async with pool.connection() as conn, conn.transaction():
            async with conn.cursor() as cur:
                await cur.executemany(
                    f"INSERT INTO {schema}.events (stream_type, stream_id, stream_version,"
                    " event_id, event_type, schema_version, payload, metadata)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    rows,
                )
            await conn.execute(
                f"INSERT INTO {schema}.outbox (message_id, topic, message) VALUES (%s, %s, %s)",
                (message.id, message.subject, message.to_json()),
            )

    try:
        await _rate(command, writers, max(commands // 10, 20))
        return await _rate(command, writers, commands) * events
    finally:
        await pool.close()


def eventsourcing_library(database_url: str, writers: int, events: int, commands: int) -> float:
    """The `eventsourcing` library (PostgreSQL persistence): same aggregates and events."""
    from eventsourcing.application import Application

    params = conninfo_to_dict(database_url)
    schema = f"bench_es_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(params["dbname"]),
        "POSTGRES_HOST": str(params["host"]),
        "POSTGRES_PORT": str(params["port"]),
        "POSTGRES_USER": str(params["user"]),
        "POSTGRES_PASSWORD": str(params.get("password", "")),
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_POOL_SIZE": str(writers),
        "CREATE_TABLE": "y",
    }
    app = Application(env=env)

    def one(n: int) -> None:
        thing = Thing(n)
        for i in range(events - 1):
            thing.happen(i)
        app.save(thing)

    def run(total: int) -> float:
        counter = iter(range(total))
        lock = threading.Lock()

        def worker() -> None:
            while True:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                one(n)

        errors: list[BaseException] = []

        def guarded() -> None:
            try:
                worker()
            except BaseException as exc:  # re-raised below: a failed run must not count
                errors.append(exc)

        threads = [threading.Thread(target=guarded) for _ in range(writers)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        if errors:
            raise errors[0]
        return total / elapsed

    try:
        run(max(commands // 10, 20))
        return run(commands) * events
    finally:
        app.close()


async def append_rows(database_url: str, smoke: bool) -> list[Row]:
    rows = []
    for events in (1, 10):
        for writers in (1, 8):
            commands = (40 if smoke else 3000) // events
            mine = await ours(database_url, writers, events, commands)
            raw = await raw_inserts(database_url, writers, events, commands)
            library = await asyncio.to_thread(
                eventsourcing_library, database_url, writers, events, commands
            )
            target = f"≥ {2 if writers == 1 else 5}× library, ≥ 0.6× raw" if events == 1 else ""
            case = f"append, {events}-event commands, {writers} writer(s)"
            rows.append(Row(case, mine, "events/s", "eventsourcing lib", library, target=target))
            rows.append(Row(case, mine, "events/s", "raw psycopg inserts", raw))
    os.environ.pop("PERSISTENCE_MODULE", None)
    return rows
