"""Producers put the aggregate's version in the envelope (``aggregate_version``), one more for
each event, so that consumers can tell a newer event from an older one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from backend.customers import messages as customers_messages
from backend.customers.module import module as customers
from backend.platform.cache import VERSION_HEADER
from backend.stores import messages as stores_messages
from backend.stores.module import module as stores
from tests.conftest import Servers
from tests.support.backend import RunningBackend, running_backend
from tests.support.waiting import eventually


@pytest.fixture(scope="module")
async def backend(servers: Servers) -> AsyncIterator[RunningBackend]:
    async with running_backend(servers.database_url, servers.redis_url, [stores, customers]) as b:
        yield b


async def ok(backend: RunningBackend, method: str, path: str, body: Any = None) -> Any:
    response = await backend.http.request(method, path, json=body if body is not None else {})
    assert response.is_success, f"{method} {path}: {response.text}"
    return response.json()


async def versions(backend: RunningBackend, topic: str, entity: str, count: int) -> list[str]:
    messages = await eventually(
        lambda: backend.published(topic),
        lambda ms: len([m for m in ms if m.payload["id"] == entity]) >= count,
    )
    return [m.metadata[VERSION_HEADER] for m in messages if m.payload["id"] == entity]


async def test_store_and_product_events_carry_their_aggregates_version(
    backend: RunningBackend,
) -> None:
    store = (await ok(backend, "POST", "/api/stores", {"name": "Books", "location": "West"}))["id"]
    await ok(backend, "PUT", f"/api/stores/{store}/participating")
    await ok(backend, "PUT", f"/api/stores/{store}/rebrand", {"name": "Books+"})
    body = {"name": "Tea", "sku": "1", "price": "2.00"}
    product = (await ok(backend, "POST", f"/api/stores/{store}/products", body))["id"]
    await ok(backend, "PUT", f"/api/stores/products/{product}/increasePrice", {"price": "2.50"})
    await ok(backend, "PUT", f"/api/stores/products/{product}/rebrand", {"name": "Green tea"})
    await ok(backend, "DELETE", f"/api/stores/products/{product}")
    assert await versions(backend, stores_messages.STORE_TOPIC, store, 3) == ["1", "2", "3"]
    assert await versions(backend, stores_messages.PRODUCT_TOPIC, product, 4) == [
        "1", "2", "3", "4"
    ]  # fmt: skip


async def test_customer_events_carry_the_customers_version(backend: RunningBackend) -> None:
    body = {"name": "Ann", "sms_number": "555-0001"}
    customer = (await ok(backend, "POST", "/api/customers", body))["id"]
    await ok(backend, "PUT", f"/api/customers/{customer}/change-sms", {"sms_number": "555-0002"})
    await ok(backend, "PUT", f"/api/customers/{customer}/disable")
    await ok(backend, "PUT", f"/api/customers/{customer}/change-sms", {"sms_number": "555-0003"})
    topic = customers_messages.CUSTOMER_TOPIC
    assert await versions(backend, topic, customer, 4) == ["1", "2", "3", "4"]
