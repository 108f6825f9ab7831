"""Outbox, relay, consumers, retries and dead letters against real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from backend.platform.consumer import DLQ_SUFFIX, DeliverySettings, StreamConsumer
from backend.platform.embedded import EmbeddedRedis, remove_tree
from backend.platform.messages import ENVELOPE_FIELD, Message, new_message
from backend.platform.module import ModuleContext
from backend.platform.relay import OutboxRelay
from backend.platform.streams import (
    NOTHING_HANDLED,
    handled_until,
    list_dead_letters,
    trim_acknowledged,
)
from tests.conftest import Servers
from tests.support.counter import CounterIncremented, increment, topic_of
from tests.support.waiting import eventually


async def effects(ctx: ModuleContext) -> list[tuple[str, str, int]]:
    async with ctx.pool.connection() as conn:
        cur = await conn.execute(
            f"SELECT message_id::text, counter_id, total FROM {ctx.store.table('effects')}"
            " ORDER BY counter_id, total"
        )
        return await cur.fetchall()


async def outbox_size(ctx: ModuleContext) -> int:
    async with ctx.pool.connection() as conn:
        cur = await conn.execute(f"SELECT count(*) FROM {ctx.store.table('outbox')}")
        row = await cur.fetchone()
        assert row is not None
        return int(row[0])


def consumer_for(ctx: ModuleContext, **settings: Any) -> StreamConsumer:
    parts = ctx.module.build(ctx)
    delivery = DeliverySettings(
        **{"retry_base_seconds": 0.05, "claim_idle_seconds": 0.5, "block_ms": 50, **settings}
    )
    return StreamConsumer(ctx.name, parts.subscriptions, ctx.redis, ctx.unit_of_work, delivery)


@contextlib.asynccontextmanager
async def running(*jobs: Any) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(job()) for job in jobs]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


class Worker:
    """A worker process of the counter module (tests/support/worker.py)."""

    def __init__(self, role: str, schema: str, servers: Servers, fault: str | None) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": servers.database_url,
            "REDIS_URL": servers.redis_url,
        }
        if fault:
            env["MALLBOTS_FAULT_PAUSE"] = fault
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.worker", role, schema],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )

    async def wait_for_line(self, prefix: str, timeout: float = 30) -> None:
        assert self.process.stderr is not None
        stderr = self.process.stderr

        def read() -> None:
            for line in stderr:
                if line.startswith(prefix):
                    return
            raise AssertionError(f"worker ended before printing {prefix!r}")

        await asyncio.wait_for(asyncio.to_thread(read), timeout)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


async def test_committed_messages_reach_the_consumer_in_order(context: ModuleContext) -> None:
    consumer = consumer_for(context)
    await consumer.ensure_groups()
    async with running(context.relay.run, consumer.run):
        for _ in range(20):
            await increment(context, "a")
            await increment(context, "b")
        rows = await eventually(lambda: effects(context), lambda r: len(r) == 40)
    assert [total for _, counter, total in rows if counter == "a"] == list(range(1, 21))
    assert await outbox_size(context) == 0


async def test_a_duplicate_delivery_takes_effect_once(context: ModuleContext) -> None:
    consumer = consumer_for(context)
    await consumer.ensure_groups()
    message = new_message(topic_of(context.name), CounterIncremented("dup", 1))
    for _ in range(3):
        await context.redis.xadd(message.subject, {ENVELOPE_FIELD: message.to_json()})
    while await consumer.poll(None):
        pass
    assert await effects(context) == [(message.id, "dup", 1)]
    pending = await context.redis.xpending(message.subject, context.name)
    assert pending["pending"] == 0


async def test_relay_killed_after_xadd_publishes_again_and_effect_happens_once(
    context: ModuleContext, servers: Servers
) -> None:
    await increment(context, "crash")
    worker = Worker("relay", context.name, servers, fault="relay.after_publish")
    try:
        await worker.wait_for_line("FAULT")
    finally:
        worker.kill()
    topic = topic_of(context.name)
    assert await context.redis.xlen(topic) == 1
    assert await outbox_size(context) == 1, "the row must not be marked sent before the kill"

    consumer = consumer_for(context)
    await consumer.ensure_groups()
    async with running(context.relay.run, consumer.run):
        await eventually(lambda: outbox_size(context), lambda n: n == 0)
        rows = await eventually(lambda: effects(context), lambda r: len(r) == 1)
        await eventually(
            lambda: context.redis.xpending(topic, context.name), lambda p: p["pending"] == 0
        )
    entries = await context.redis.xrange(topic)
    ids = {Message.from_json(fields[ENVELOPE_FIELD.encode()]).id for _, fields in entries}
    assert len(entries) == 2 and len(ids) == 1, "the same message was published twice"
    assert await effects(context) == rows and len(rows) == 1


async def test_consumer_killed_mid_handler_is_reclaimed_and_effect_happens_once(
    context: ModuleContext, servers: Servers
) -> None:
    await increment(context, "victim")
    async with running(context.relay.run):
        await eventually(lambda: outbox_size(context), lambda n: n == 0)
    worker = Worker("consumer", context.name, servers, fault="consumer.after_handler")
    try:
        await worker.wait_for_line("FAULT")
    finally:
        worker.kill()
    topic = topic_of(context.name)
    pending = await context.redis.xpending(topic, context.name)
    assert pending["pending"] == 1, "the killed consumer held the message"
    assert await effects(context) == [], "the killed consumer's transaction must not commit"

    consumer = consumer_for(context, claim_idle_seconds=0.3)
    async with running(consumer.run):
        await eventually(
            lambda: context.redis.xpending(topic, context.name), lambda p: p["pending"] == 0
        )
    rows = await effects(context)
    assert [(counter, total) for _, counter, total in rows] == [("victim", 1)]


async def test_poison_message_is_dead_lettered_then_replayed_once_fixed(
    context: ModuleContext, servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MALLBOTS_TEST_FAIL_COUNTER", "poison")
    consumer = consumer_for(context, max_deliveries=3)
    await consumer.ensure_groups()
    topic = topic_of(context.name)
    dlq = topic + DLQ_SUFFIX
    async with running(context.relay.run, consumer.run):
        await increment(context, "poison")
        await increment(context, "healthy")
        await eventually(lambda: effects(context), lambda r: len(r) == 1)
        letters = await eventually(lambda: list_dead_letters(context.redis, dlq), bool)
    assert [(c, t) for _, c, t in await effects(context)] == [("healthy", 1)]
    (letter,) = letters
    assert letter.error == "RuntimeError: handler refused counter poison"
    assert letter.deliveries == 3
    assert letter.group == context.name
    assert (await context.redis.xpending(topic, context.name))["pending"] == 0

    monkeypatch.delenv("MALLBOTS_TEST_FAIL_COUNTER")  # the handler is fixed
    env = {**os.environ, "DATABASE_URL": servers.database_url, "REDIS_URL": servers.redis_url}
    listing = subprocess.run(
        [sys.executable, "-m", "backend.cli", "dlq", "list", topic],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "handler refused counter poison" in listing.stdout
    replay = subprocess.run(
        [sys.executable, "-m", "backend.cli", "dlq", "replay", topic],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "replayed 1 message(s)" in replay.stdout
    async with running(consumer.run):
        rows = await eventually(lambda: effects(context), lambda r: len(r) == 2)
    assert sorted((c, t) for _, c, t in rows) == [("healthy", 1), ("poison", 1)]
    assert await context.redis.xlen(dlq) == 0


async def test_malformed_messages_go_to_the_dlq_and_never_block_the_stream(
    context: ModuleContext,
) -> None:
    consumer = consumer_for(context)
    await consumer.ensure_groups()
    topic = topic_of(context.name)
    good = new_message(topic, CounterIncremented("after-the-bad-ones", 7))
    missing = new_message(topic, CounterIncremented("x", 1))
    bad_entries = [
        {ENVELOPE_FIELD: "this is not JSON"},
        {ENVELOPE_FIELD: missing.to_json().replace('"total":1', '"wrong":1')},
        {"something": "else"},
    ]
    for fields in bad_entries:
        await context.redis.xadd(topic, fields)
    await context.redis.xadd(topic, {ENVELOPE_FIELD: good.to_json()})
    while await consumer.poll(None):
        pass

    assert [(c, t) for _, c, t in await effects(context)] == [("after-the-bad-ones", 7)]
    errors = [letter.error for letter in await list_dead_letters(context.redis, topic + ".dlq")]
    assert len(errors) == 3
    assert errors[0].startswith("message is not JSON")
    assert errors[1] == "counter.CounterIncremented: total: missing"
    assert errors[2] == "stream entry has no 'message' field"
    assert (await context.redis.xpending(topic, context.name))["pending"] == 0


async def test_nothing_is_lost_while_redis_is_down(context: ModuleContext) -> None:
    root = Path(tempfile.mkdtemp(prefix="mallbots-outage-"))
    own_redis = EmbeddedRedis(root, durable=True)
    own_redis.start()
    client = aioredis.from_url(own_redis.url, socket_timeout=2)
    context.attach(context.pool, client, context.relay.database_url)
    consumer = consumer_for(context)
    try:
        await consumer.ensure_groups()
        async with running(context.relay.run, consumer.run):
            for _ in range(10):
                await increment(context, "outage")
            await eventually(lambda: effects(context), lambda r: len(r) == 10)
            own_redis.stop()
            for _ in range(40):  # commands keep committing: only PostgreSQL is needed
                await increment(context, "outage")
            assert await outbox_size(context) == 40
            own_redis.restart()
            rows = await eventually(lambda: effects(context), lambda r: len(r) == 50, timeout=30)
    finally:
        await client.aclose()
        own_redis.stop()
        remove_tree(root)
    assert [total for _, _, total in rows] == list(range(1, 51))


async def _leads(relay: OutboxRelay) -> bool:
    return relay.is_leader


async def _relay_waits(context: ModuleContext) -> bool:
    """Whether a relay's lease session sits idle after its outbox read (it listens before it
    reads, so it is now waiting for a notification or the next poll)."""
    async with context.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND state = 'idle' AND query LIKE 'SELECT position, topic, message FROM %outbox%'"
        )
        row = await cur.fetchone()
    return bool(row and row[0])


async def test_a_waiting_relay_in_another_process_is_woken_by_notify(
    context: ModuleContext, servers: Servers
) -> None:
    from backend.platform.config import Settings

    # Polls 30 s apart (the lease is long enough not to shorten them): only NOTIFY relays the
    # row within the 10 s the test waits.
    slow = ModuleContext(context.module, Settings(relay_poll_seconds=30, relay_lease_seconds=90))
    slow.attach(context.pool, context.redis, servers.database_url)
    writer = ModuleContext(context.module, Settings())
    writer.attach(context.pool, context.redis, servers.database_url)
    topic = topic_of(context.name)
    async with running(slow.relay.run):
        await eventually(lambda: _leads(slow.relay), bool)
        await eventually(lambda: _relay_waits(context), bool)  # drained, now waiting
        await increment(writer, "notified")
        assert not writer.relay.is_leader
        await eventually(lambda: context.redis.xlen(topic), lambda n: n == 1, timeout=10)


async def test_trimming_keeps_every_unacknowledged_entry(redis: aioredis.Redis) -> None:
    topic = f"test.trim.{os.getpid()}.{id(redis)}"
    ids = [await redis.xadd(topic, {"n": str(i)}) for i in range(10)]
    await redis.xgroup_create(topic, "fast", id="0")
    await redis.xgroup_create(topic, "slow", id="0")
    read = await redis.xreadgroup("fast", "c", {topic: ">"}, count=10)
    await redis.xack(topic, "fast", *[entry_id for entry_id, _ in read[0][1]])
    read = await redis.xreadgroup("slow", "c", {topic: ">"}, count=6)
    await redis.xack(topic, "slow", *[entry_id for entry_id, _ in read[0][1][:3]])

    removed = await trim_acknowledged(redis, topic, keep_seconds=0)

    remaining = [entry_id for entry_id, _ in await redis.xrange(topic)]
    assert removed == 3
    assert remaining == ids[3:], "entries 4-6 are pending, 7-10 unread by 'slow'"
    await redis.delete(topic)


async def test_how_far_a_group_has_handled_a_stream(redis: aioredis.Redis) -> None:
    """What the saga timer asks before deciding a deadline: every entry added before the time
    returned is read and acknowledged (entry ids are their milliseconds)."""
    topic = f"test.handled.{os.getpid()}.{id(redis)}"

    def at(milliseconds: int) -> dt.datetime:
        return dt.datetime.fromtimestamp(milliseconds / 1000, dt.UTC)

    before = dt.datetime.now(dt.UTC)
    nothing_waits = await handled_until(redis, topic, "g")  # no stream: read up to the check
    assert before <= nothing_waits <= dt.datetime.now(dt.UTC)
    for ms in (1000, 2000, 3000):
        await redis.xadd(topic, {"n": str(ms)}, id=f"{ms}-0")
    assert await handled_until(redis, topic, "g") == NOTHING_HANDLED  # no group yet
    await redis.xgroup_create(topic, "g", id="0")
    assert await handled_until(redis, topic, "g") < at(1000)
    read = await redis.xreadgroup("g", "c", {topic: ">"}, count=2)
    await redis.xack(topic, "g", *[entry_id for entry_id, _ in read[0][1]])
    assert at(1000) < await handled_until(redis, topic, "g") < at(3000)
    await redis.xreadgroup("g", "c", {topic: ">"}, count=1)  # read, not acknowledged
    assert at(2000) < await handled_until(redis, topic, "g") < at(3000)
    await redis.xack(topic, "g", "3000-0")
    before = dt.datetime.now(dt.UTC)
    assert before <= await handled_until(redis, topic, "g") <= dt.datetime.now(dt.UTC)
    await redis.delete(topic)


async def test_a_frozen_leader_loses_the_lease_within_seconds(
    context: ModuleContext, servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A leader frozen with SIGSTOP keeps its TCP connection alive (the kernel still answers),
    so only the server's idle-session timeout frees its advisory lock: then a standby relays."""
    monkeypatch.setenv("MALLBOTS_RELAY_LEASE_SECONDS", "1.5")
    topic = topic_of(context.name)
    worker = Worker("relay", context.name, servers, fault=None)
    try:
        await increment(context, "frozen")
        await eventually(lambda: context.redis.xlen(topic), lambda n: n == 1)  # it leads
        # frozen only once it has also deleted the row it published: frozen between its XADD and
        # its DELETE, the standby would publish that row again (at least once), making three
        await eventually(lambda: outbox_size(context), lambda n: n == 0)
        worker.process.send_signal(signal.SIGSTOP)
        await increment(context, "frozen")
        standby = OutboxRelay(
            servers.database_url, context.redis, context.name, poll_seconds=0.05, lease_seconds=1.5
        )
        async with running(standby.run):
            await eventually(lambda: context.redis.xlen(topic), lambda n: n == 2, timeout=15)
            assert standby.is_leader
    finally:
        worker.process.send_signal(signal.SIGCONT)
        worker.kill()
    assert await outbox_size(context) == 0


async def test_a_row_redis_refuses_is_parked_and_the_rows_behind_it_go_out(
    context: ModuleContext, servers: Servers
) -> None:
    topic = topic_of(context.name)
    await context.redis.set(topic, "not a stream")  # XADD on it fails with WRONGTYPE
    await increment(context, "parked")
    async with context.pool.connection() as conn:
        moved = await context.relay.relay_batch(conn)
        assert moved == 1
        await context.redis.delete(topic)
        await increment(context, "parked")
        assert await context.relay.relay_batch(conn) == 1
        cur = await conn.execute(f"SELECT topic, error FROM {context.store.table('outbox_parked')}")
        parked = await cur.fetchall()
    assert await outbox_size(context) == 0
    assert len(parked) == 1 and parked[0][0] == topic
    assert parked[0][1].startswith("ResponseError: WRONGTYPE")
    (entry,) = await context.redis.xrange(topic)
    assert Message.from_json(entry[1][ENVELOPE_FIELD.encode()]).payload["total"] == 2

    env = {
        **os.environ,
        "DATABASE_URL": servers.database_url,
        "MALLBOTS_EXTRA_MODULES": "tests.support.counter:modules_from_env",
        "MALLBOTS_TEST_COUNTER_SCHEMA": context.name,
    }

    def cli(*args: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "backend.cli", "outbox", *args, "--modules", context.name],
            env=env, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip

    listing = cli("parked")
    assert "WRONGTYPE" in listing and listing.endswith("1 parked row(s)\n")
    assert cli("requeue") == "requeued 1 row(s)\n"  # the cause is gone: the key was deleted
    async with context.pool.connection() as conn:
        assert await context.relay.relay_batch(conn) == 1
    totals = [Message.from_json(f[ENVELOPE_FIELD.encode()]).payload["total"]
              for _, f in await context.redis.xrange(topic)]  # fmt: skip
    assert totals == [2, 1]
