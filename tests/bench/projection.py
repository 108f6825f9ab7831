"""Projection rebuild rate: a search-shaped read model (orders with customer, total, status)
rebuilt through the projection runner from 100,000 events. Anchor: a raw SELECT of the same
events in feed order (the read floor)."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal
from typing import Any

import redis.asyncio as aioredis
from psycopg_pool import AsyncConnectionPool

from backend.platform import codec
from backend.platform.config import Settings
from backend.platform.db import create_pool, migrate
from backend.platform.eventstore import RecordedEvent
from backend.platform.module import Module, ModuleContext, ModuleParts
from backend.platform.projections import ProjectionRunner
from backend.platform.unit_of_work import UnitOfWork
from tests.bench.report import Row

STATUSES = ("approved", "ready", "completed")


class OrderSearch:
    """The read model: one row per order; created events insert, status events update."""

    name = "order_search"

    async def reset(self, uow: UnitOfWork) -> None:
        await uow.execute(f"TRUNCATE {uow.store.table('order_search')}")

    async def handle(self, uow: UnitOfWork, event: RecordedEvent) -> None:
        await self.handle_batch(uow, [event])

    async def handle_batch(self, uow: UnitOfWork, events: list[RecordedEvent]) -> None:
        created = [e for e in events if e.type == "bench.OrderCreated"]
        if created:
            await uow.execute(
                f"INSERT INTO {uow.store.table('order_search')}"
                " (order_id, customer_id, total, status)"
                " SELECT * FROM unnest(%s::text[], %s::text[], %s::numeric[], %s::text[])",
                (
                    [e.stream_id for e in created],
                    [e.payload["customer_id"] for e in created],
                    [Decimal(e.payload["total"]) for e in created],
                    ["pending"] * len(created),
                ),
            )
        changed = {
            e.stream_id: e.payload["status"] for e in events if e.type != "bench.OrderCreated"
        }
        if changed:
            await uow.execute(
                f"UPDATE {uow.store.table('order_search')} AS o SET status = c.status"
                " FROM unnest(%s::text[], %s::text[]) AS c(order_id, status)"
                " WHERE o.order_id = c.order_id",
                (list(changed), list(changed.values())),
            )


async def _fill(pool: AsyncConnectionPool, schema: str, events: int) -> None:
    """``events`` events: each order is created, then moves through three statuses."""
    rows: list[tuple[Any, ...]] = []
    for n in range(events // 4):
        order_id = str(uuid.uuid4())
        rows.append(
            (
                order_id,
                1,
                "bench.OrderCreated",
                codec.dumps({"customer_id": f"c{n % 100}", "total": "12.50"}),
            )
        )
        rows += [(order_id, v + 2, "bench.OrderStatusChanged", codec.dumps({"status": s}))
                 for v, s in enumerate(STATUSES)]  # fmt: skip
    async with pool.connection() as conn, conn.cursor() as cur:
        for start in range(0, len(rows), 5000):
            chunk = rows[start : start + 5000]
            await cur.execute(
                f"INSERT INTO {schema}.events (stream_type, stream_id, stream_version, event_id,"
                " event_type, schema_version, payload, metadata)"
                " SELECT 'bench.Order', s, v, gen_random_uuid(), t, 1, p::jsonb, '{}'"
                " FROM unnest(%s::text[], %s::int[], %s::text[], %s::text[]) AS r(s, v, t, p)",
                ([r[0] for r in chunk], [r[1] for r in chunk], [r[2] for r in chunk],
                 [r[3] for r in chunk]),
            )  # fmt: skip


async def rebuild_rows(database_url: str, redis_url: str, smoke: bool) -> list[Row]:
    pool = await create_pool(database_url, size=2)
    redis = aioredis.from_url(redis_url)
    try:
        return await _rebuild(pool, redis, database_url, 400 if smoke else 100_000)
    finally:
        await redis.aclose()
        await pool.close()


async def _rebuild(
    pool: AsyncConnectionPool, redis: aioredis.Redis, database_url: str, events: int
) -> list[Row]:
    schema = f"bench_proj_{uuid.uuid4().hex[:8]}"
    module = Module(name=schema, build=lambda ctx: ModuleParts())
    async with pool.connection() as conn:
        await migrate(conn, schema, None)
        await conn.execute(
            f"CREATE TABLE {schema}.order_search (order_id text PRIMARY KEY,"
            " customer_id text NOT NULL, total numeric(14,2) NOT NULL, status text NOT NULL)"
        )
    await _fill(pool, schema, events)
    ctx = ModuleContext(module, Settings())
    ctx.attach(pool, redis, database_url)
    runner = ProjectionRunner(OrderSearch(), ctx.unit_of_work, batch=5000)

    started = time.perf_counter()
    async with pool.connection() as conn:
        cur = await conn.execute(
            f"SELECT global_position, transaction_id::text, stream_id, event_type, payload"
            f" FROM {schema}.events ORDER BY transaction_id, global_position"
        )
        read = len(await cur.fetchall())
    raw = read / (time.perf_counter() - started)

    await runner.reset()
    started = time.perf_counter()
    applied = await runner.catch_up()
    rate = applied / (time.perf_counter() - started)
    assert applied == events, f"rebuilt {applied} of {events} events"
    return [
        Row(f"projection rebuild, {events:,} events", rate, "events/s",
            "raw SELECT of the events", raw, target="≥ 20,000 events/s"),
    ]  # fmt: skip
