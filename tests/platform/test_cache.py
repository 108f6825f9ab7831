"""The versioned read-through cache converges whatever the order, interleaving and retries of
the events it is fed (real PostgreSQL and Redis; two consumers of one group)."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from backend.platform.cache import Field, VersionedCache, message_version, with_version
from backend.platform.consumer import DeliverySettings, StreamConsumer, Subscription
from backend.platform.messages import (
    ENVELOPE_FIELD,
    MalformedMessage,
    Message,
    Payload,
    new_message,
)
from backend.platform.module import ModuleContext
from backend.platform.services import ServiceUnavailable
from backend.platform.unit_of_work import UnitOfWork
from tests.support.waiting import eventually

FIELDS = (
    Field("store_id", ""),
    Field("name", ""),
    Field("price", Decimal(0)),
    Field("removed", False, required=False),
)

# One product's events: (version, the fields the event sets).
EVENTS: list[tuple[int, dict[str, Any]]] = [
    (1, {"store_id": "s1", "name": "Tea", "price": Decimal("2.00"), "removed": False}),
    (2, {"name": "Green tea"}),
    (3, {"price": Decimal("2.50")}),
    (4, {"name": "Matcha"}),
    (5, {"price": Decimal("3.10")}),
]
FINAL = {"store_id": "s1", "name": "Matcha", "price": Decimal("3.10"), "removed": False}
STALE_READ = {"store_id": "s1", "name": "Green tea", "price": Decimal("2.00"), "removed": False}
"""What a fall-back read may have returned from the owner while the events were in flight."""


async def cache_for(ctx: ModuleContext) -> VersionedCache:
    table = ctx.store.table("products_cache")
    async with ctx.pool.connection() as conn:
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {table} (id text PRIMARY KEY, store_id text NOT NULL,"
            " name text NOT NULL, price numeric(14, 2) NOT NULL, removed boolean NOT NULL,"
            " versions jsonb NOT NULL DEFAULT '{}', updated_at timestamptz NOT NULL DEFAULT now())"
        )
    return VersionedCache(table, FIELDS)


async def apply(ctx: ModuleContext, cache: VersionedCache, key: str, version: int | None,
                values: Mapping[str, Any]) -> None:  # fmt: skip
    async with ctx.unit_of_work() as uow:
        await cache.apply(uow, key, version, values)


async def row(ctx: ModuleContext, cache: VersionedCache, key: str) -> dict[str, Any] | None:
    async with ctx.pool.connection() as conn:
        return await cache.get(conn, key)


async def test_every_order_of_an_aggregates_events_and_a_stale_read_gives_the_same_row(
    context: ModuleContext,
) -> None:
    cache = await cache_for(context)
    writes = [*EVENTS, (0, STALE_READ)]  # the read-through may land anywhere
    orders = list(itertools.permutations(writes))
    for n, order in enumerate(random.Random(7).sample(orders, 240)):
        key = f"p{n}"
        for version, values in order:
            await apply(context, cache, key, version, values)
        assert await row(context, cache, key) == FINAL, order


async def test_a_row_made_by_a_late_event_alone_is_a_miss_until_it_is_complete(
    context: ModuleContext,
) -> None:
    cache = await cache_for(context)
    await apply(context, cache, "late", 4, {"name": "Matcha"})
    assert await row(context, cache, "late") is None, "store and price are unknown yet"

    async def fetch() -> dict[str, Any]:
        return STALE_READ

    async with context.unit_of_work() as uow:
        found = await cache.read_through(uow, "late", fetch)
    assert found == {**STALE_READ, "name": "Matcha"}, "the read fills only what no event set"
    for version, values in EVENTS:
        await apply(context, cache, "late", version, values)
    assert await row(context, cache, "late") == FINAL


async def test_a_read_does_not_override_what_a_producer_without_versions_set(
    context: ModuleContext,
) -> None:
    cache = await cache_for(context)
    await apply(context, cache, "legacy", None, {**STALE_READ, "name": "Matcha"})
    await apply(context, cache, "legacy", 0, STALE_READ)  # a fall-back read, after it
    assert await row(context, cache, "legacy") == {**STALE_READ, "name": "Matcha"}
    await apply(context, cache, "legacy", 1, {"name": "Sencha"})  # any versioned event does
    assert (await row(context, cache, "legacy") or {})["name"] == "Sencha"


def test_a_version_that_is_not_a_number_makes_the_message_malformed() -> None:
    event = ProductChanged("p1", {"name": "Tea"})
    assert message_version(new_message("t", event, metadata=with_version(3))) == 3
    assert message_version(new_message("t", event)) is None
    with pytest.raises(MalformedMessage, match="aggregate_version is not a whole number"):
        message_version(new_message("t", event, metadata={"aggregate_version": "3a"}))


async def test_an_unknown_entity_is_not_cached(context: ModuleContext) -> None:
    cache = await cache_for(context)

    async def fetch() -> None:
        return None

    async with context.unit_of_work() as uow:
        assert await cache.read_through(uow, "nobody", fetch) is None
    assert await row(context, cache, "nobody") is None


@dataclass(frozen=True)
class ProductChanged(Payload):
    message_name = "test.ProductChanged"
    id: str
    values: dict[str, str]


async def test_two_consumers_with_failures_converge_on_the_last_version(
    context: ModuleContext,
) -> None:
    """Several products' events, shuffled, split between two consumers of one group, a third
    of the deliveries failing (an outage of the owner): every row ends at its last version."""
    cache = await cache_for(context)
    topic = f"test.{context.name}.products"
    rng = random.Random(11)
    failed: set[str] = set()

    async def handle(uow: UnitOfWork, message: Message) -> None:
        if message.id not in failed and rng.random() < 0.33:
            failed.add(message.id)
            raise ServiceUnavailable("the stores module is unavailable")
        values = {
            k: Decimal(v) if k == "price" else (v == "true" if k == "removed" else v)
            for k, v in message.payload["values"].items()
        }
        await cache.apply(uow, message.payload["id"], message_version(message), values)

    name = ProductChanged.message_name
    subscription = Subscription(topic, frozenset({name}), {name: handle})
    settings = DeliverySettings(
        retry_base_seconds=0.01, retry_max_seconds=0.05, block_ms=20, batch=2
    )
    consumers = [
        StreamConsumer(context.name, [subscription], context.redis, context.unit_of_work, settings)
        for _ in range(2)
    ]
    await consumers[0].ensure_groups()
    messages = []
    for product in range(8):
        for version, values in EVENTS:
            plain = {k: str(v).lower() if isinstance(v, bool) else str(v)
                     for k, v in values.items()}  # fmt: skip
            payload = ProductChanged(f"q{product}", plain)
            messages.append(new_message(topic, payload, metadata=with_version(version)))
    rng.shuffle(messages)
    for message in messages:
        await context.redis.xadd(topic, {ENVELOPE_FIELD: message.to_json()})

    tasks = [asyncio.create_task(c.run()) for c in consumers]
    try:
        rows = await eventually(
            lambda: asyncio.gather(*(row(context, cache, f"q{p}") for p in range(8))),
            lambda found: all(r == FINAL for r in found),
            timeout=30,
        )
        await eventually(
            lambda: context.redis.xpending(topic, context.name), lambda p: p["pending"] == 0
        )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert len(rows) == 8
    assert failed, "some deliveries failed and were retried"
    assert all(c.counts["handled"] for c in consumers), "both consumers took part"
