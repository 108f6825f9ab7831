"""Every module that keeps a copy of another module's data converges on the owner's last
version, whatever order an aggregate's events are handled in.

The test plays the stores and customers modules: it publishes their events, with the aggregate
version in the envelope, in every order, one entity per order, and checks each copy at the end.
(The platform test ``tests/platform/test_cache.py`` adds failures and two consumers.)
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Any

import pytest

from backend.baskets.module import module as baskets
from backend.customers import messages as customers
from backend.depot.module import module as depot
from backend.notifications.module import module as notifications
from backend.platform.cache import with_version
from backend.platform.messages import Payload, new_message
from backend.search.module import module as search
from backend.stores import messages as stores
from tests.conftest import Servers
from tests.support.backend import RunningBackend, running_backend
from tests.support.waiting import eventually

GROUPS = {stores.PRODUCT_TOPIC: 3, stores.STORE_TOPIC: 3, customers.CUSTOMER_TOPIC: 2}
"""How many of the modules under test consume each topic."""


@pytest.fixture(scope="module")
async def backend(servers: Servers) -> AsyncIterator[RunningBackend]:
    modules = [baskets, notifications, search, depot]
    async with running_backend(servers.database_url, servers.redis_url, modules) as running:
        yield running


async def publish_in_every_order(
    backend: RunningBackend, topic: str, events: Sequence[Payload]
) -> list[str]:
    """Publish ``events`` (versions 1..n of one aggregate) in every order, each order for a new
    entity id (``events`` use the id "x"); the ids, in order of the permutations."""
    ids = []
    for order in itertools.permutations(range(len(events))):
        entity = str(uuid.uuid4())
        ids.append(entity)
        for index in order:
            payload = events[index]
            message = new_message(topic, payload, metadata=with_version(index + 1))
            message = type(message)(**{**message.__dict__, "payload": {**message.payload,
                                                                       "id": entity}})  # fmt: skip
            await backend.publish(message)
    return ids


async def drained(backend: RunningBackend, topic: str) -> None:
    """Every consumer group on ``topic`` has read and acknowledged everything."""
    redis = backend.host.redis

    async def probe() -> bool:
        last = (await redis.xinfo_stream(topic))["last-generated-id"]
        groups = await redis.xinfo_groups(topic)
        return len(groups) == GROUPS[topic] and all(
            g["pending"] == 0 and g["last-delivered-id"] == last for g in groups
        )

    await eventually(probe, bool, timeout=30)


async def rows(backend: RunningBackend, query: str, ids: list[str]) -> list[tuple[Any, ...]]:
    found = await backend.sql(query + " WHERE id = ANY(%s) ORDER BY id", (ids,))
    return [tuple(row[1:]) for row in found]


async def test_product_copies_converge_on_the_last_version(backend: RunningBackend) -> None:
    events = [
        stores.ProductAdded("x", "store-1", "Tea", "", "sku", Decimal("2.00")),
        stores.ProductPriceIncreased("x", Decimal("0.50"), Decimal("2.50")),
        stores.ProductRebranded("x", "Green tea", ""),
        stores.ProductPriceDecreased("x", Decimal("0.30"), Decimal("2.20")),
    ]
    ids = await publish_in_every_order(backend, stores.PRODUCT_TOPIC, events)
    await drained(backend, stores.PRODUCT_TOPIC)
    n = len(ids)
    assert (
        await rows(
            backend, "SELECT id, store_id, name, price, removed FROM baskets.products_cache", ids
        )
        == [("store-1", "Green tea", Decimal("2.20"), False)] * n
    )
    assert (
        await rows(backend, "SELECT id, store_id, name, removed FROM depot.products_cache", ids)
        == [("store-1", "Green tea", False)] * n
    )
    assert (
        await rows(backend, "SELECT id, store_id, name FROM search.products_cache", ids)
        == [("store-1", "Green tea")] * n
    )


async def test_a_removal_wins_over_an_older_event_handled_after_it(
    backend: RunningBackend,
) -> None:
    events = [
        stores.ProductAdded("x", "store-1", "Tea", "", "sku", Decimal("2.00")),
        stores.ProductRebranded("x", "Green tea", ""),
        stores.ProductRemoved("x"),
    ]
    ids = await publish_in_every_order(backend, stores.PRODUCT_TOPIC, events)
    await drained(backend, stores.PRODUCT_TOPIC)
    assert await rows(backend, "SELECT id, removed FROM baskets.products_cache", ids) == [
        (True,)
    ] * len(ids)
    assert await rows(backend, "SELECT id, removed FROM depot.products_cache", ids) == [
        (True,)
    ] * len(ids)


async def test_store_copies_converge_on_the_last_version(backend: RunningBackend) -> None:
    events = [
        stores.StoreCreated("x", "Books", "West"),
        stores.StoreParticipationToggled("x", True),
        stores.StoreRebranded("x", "Books+"),
        stores.StoreRebranded("x", "Books & More"),
    ]
    ids = await publish_in_every_order(backend, stores.STORE_TOPIC, events)
    await drained(backend, stores.STORE_TOPIC)
    n = len(ids)
    assert (
        await rows(backend, "SELECT id, name, participating FROM baskets.stores_cache", ids)
        == [("Books & More", True)] * n
    )
    assert (
        await rows(backend, "SELECT id, name, location FROM depot.stores_cache", ids)
        == [("Books & More", "West")] * n
    )
    assert (
        await rows(backend, "SELECT id, name FROM search.stores_cache", ids)
        == [("Books & More",)] * n
    )


async def test_customer_copies_converge_on_the_last_version(backend: RunningBackend) -> None:
    """The case of the issue: a CustomerSmsChanged handled before a retried CustomerRegistered
    is not lost."""
    events = [
        customers.CustomerRegistered("x", "Ann", "555-0001"),
        customers.CustomerSmsChanged("x", "555-0002"),
        customers.CustomerSmsChanged("x", "555-0003"),
    ]
    ids = await publish_in_every_order(backend, customers.CUSTOMER_TOPIC, events)
    await drained(backend, customers.CUSTOMER_TOPIC)
    assert await rows(
        backend, "SELECT id, name, sms_number FROM notifications.customers_cache", ids
    ) == [("Ann", "555-0003")] * len(ids)
    assert await rows(backend, "SELECT id, name FROM search.customers_cache", ids) == [
        ("Ann",)
    ] * len(ids)
