"""Aggregate load time at 10, 1,000 and 100,000 events, with snapshots and without (anchor)."""

from __future__ import annotations

import time
import uuid

import redis.asyncio as aioredis

from backend.platform.aggregate import Repository
from backend.platform.config import Settings
from backend.platform.db import create_pool, migrate
from backend.platform.module import ModuleContext
from backend.platform.unit_of_work import UnitOfWork
from tests.bench.report import Row, median
from tests.support.counter import Counter, Incremented, counter_module

EVERY = 100


async def _grow(ctx: ModuleContext, counter_id: str, events: int) -> None:
    """Append ``events`` increments in commands of up to 1,000 events, snapshotting as usual."""
    repo = Repository(ctx.store, Counter, [Incremented], snapshot_every=EVERY)
    done = 0
    while done < events:
        size = min(1000, events - done)

        async def command(uow: UnitOfWork, size: int = size) -> None:
            counter = await repo.load(uow, counter_id) or Counter(counter_id)
            for _ in range(size):
                counter.increment(1)
            repo.save(uow, counter)

        await ctx.run_command(command)
        done += size


async def _load_ms(ctx: ModuleContext, counter_id: str, every: int, rounds: int) -> float:
    repo = Repository(ctx.store, Counter, [Incremented], snapshot_every=every)
    samples = []
    for _ in range(rounds):
        async with ctx.unit_of_work() as uow:
            started = time.perf_counter()
            counter = await repo.load(uow, counter_id)
            samples.append((time.perf_counter() - started) * 1000)
        assert counter is not None
    return median(samples)


async def load_rows(database_url: str, redis_url: str, smoke: bool) -> list[Row]:
    schema = f"bench_agg_{uuid.uuid4().hex[:8]}"
    module = counter_module(schema)
    pool = await create_pool(database_url, size=2)
    redis = aioredis.from_url(redis_url)
    async with pool.connection() as conn:
        await migrate(conn, schema, module.migrations)
    ctx = ModuleContext(module, Settings(snapshot_every=EVERY))
    ctx.attach(pool, redis, database_url)
    sizes = (10, 100, 1_000) if smoke else (10, 1_000, 100_000)
    rows = []
    try:
        for size in sizes:
            counter_id = f"agg-{size}"
            await _grow(ctx, counter_id, size + EVERY // 2)  # a tail after the last snapshot
            rounds = 3 if smoke else (5 if size >= 100_000 else 30)
            with_snapshots = await _load_ms(ctx, counter_id, EVERY, rounds)
            without = await _load_ms(ctx, counter_id, 0, rounds)
            rows.append(Row(f"aggregate load, {size:,} events", with_snapshots, "ms",
                            "same, no snapshots", without, higher_is_better=False,
                            target="flat (within 2×) from 1,000 to 100,000"))  # fmt: skip
    finally:
        await ctx.detach()
        await redis.aclose()
        await pool.close()
    return rows
