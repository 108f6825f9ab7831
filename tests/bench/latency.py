"""Commit-to-handler latency: a command commits, the relay publishes, a consumer handles it.
Anchor: a bare Redis XADD -> XREADGROUP BLOCK round on the same server (the transport's floor)."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid

import redis.asyncio as aioredis

from backend.platform.config import Settings
from backend.platform.consumer import DeliverySettings, StreamConsumer, Subscription
from backend.platform.db import create_pool, migrate
from backend.platform.messages import Message, decode_payload
from backend.platform.module import ModuleContext
from backend.platform.unit_of_work import UnitOfWork
from tests.bench.report import Row, median, percentile
from tests.support.counter import CounterIncremented, counter_module, increment, topic_of


async def commit_to_handler(database_url: str, redis_url: str, samples: int) -> list[float]:
    schema = f"bench_lat_{uuid.uuid4().hex[:8]}"
    module = counter_module(schema)
    pool = await create_pool(database_url, size=4)
    redis = aioredis.from_url(redis_url)
    async with pool.connection() as conn:
        await migrate(conn, schema, module.migrations)
    ctx = ModuleContext(module, Settings())
    ctx.attach(pool, redis, database_url)
    arrived: dict[int, float] = {}
    waiter: asyncio.Event = asyncio.Event()

    async def handler(uow: UnitOfWork, message: Message) -> None:
        arrived[decode_payload(message, CounterIncremented).total] = time.perf_counter()
        waiter.set()

    subscription = Subscription(
        topic_of(schema), frozenset({CounterIncremented.message_name}),
        {CounterIncremented.message_name: handler},
    )  # fmt: skip
    consumer = StreamConsumer(
        schema, [subscription], redis, ctx.unit_of_work, DeliverySettings(block_ms=1000)
    )
    await consumer.ensure_groups()
    tasks = [asyncio.create_task(ctx.relay.run()), asyncio.create_task(consumer.run())]
    latencies = []
    try:
        for n in range(1, samples + 21):
            waiter.clear()
            total = await increment(ctx, "latency")
            committed = time.perf_counter()
            await asyncio.wait_for(waiter.wait(), 10)
            if n > 20:  # warm-up
                latencies.append((arrived[total] - committed) * 1000)
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await ctx.detach()
        await redis.aclose()
        await pool.close()
    return latencies


async def redis_floor(redis_url: str, samples: int) -> list[float]:
    producer = aioredis.from_url(redis_url)
    consumer = aioredis.from_url(redis_url)
    topic = f"bench.floor.{uuid.uuid4().hex[:8]}"
    await producer.xgroup_create(topic, "g", id="0", mkstream=True)
    latencies = []
    try:
        for n in range(samples + 20):
            reading = asyncio.create_task(
                consumer.xreadgroup("g", "c", {topic: ">"}, count=1, block=5000)
            )
            await asyncio.sleep(0)
            sent = time.perf_counter()
            await producer.xadd(topic, {"n": str(n)})
            await reading
            if n >= 20:
                latencies.append((time.perf_counter() - sent) * 1000)
    finally:
        await producer.delete(topic)
        await producer.aclose()
        await consumer.aclose()
    return latencies


async def latency_rows(database_url: str, redis_url: str, smoke: bool) -> list[Row]:
    samples = 10 if smoke else 300
    ours = await commit_to_handler(database_url, redis_url, samples)
    floor = await redis_floor(redis_url, samples)
    return [
        Row("commit → handler p50", median(ours), "ms", "Redis XADD→XREADGROUP", median(floor),
            higher_is_better=False, target="p50 < 5 ms (book: 500 ms poll)"),
        Row("commit → handler p99", percentile(ours, 99), "ms", "Redis XADD→XREADGROUP",
            percentile(floor, 99), higher_is_better=False),
    ]  # fmt: skip
