"""Nested references resolve through DataLoaders: a page of orders with each order's customer
and each item's product and store costs a handful of backend calls, whatever its size."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from backend.modules import select_modules
from gateway import loaders
from gateway.backend import BackendClient
from gateway.context import Context
from tests.conftest import Servers
from tests.gateway.graphql_http import data
from tests.support.auth import INTERNAL_TOKEN
from tests.support.backend import RunningBackend, running_backend
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.mall import Mall
from tests.support.waiting import eventually

ORDERS = 6
PAGE = """query($stores: [ID!]) {
  searchOrders(first: 50, filter: {storeIds: $stores}) {
    edges { node { id customer { name }
                   items { productId product { name price } store { name } } } } } }"""


@pytest.fixture(scope="module")
async def backend(servers: Servers) -> AsyncIterator[RunningBackend]:
    async with running_backend(
        servers.database_url, servers.redis_url, select_modules(["all"])
    ) as running:
        yield running


@pytest.fixture(scope="module")
async def gateway(backend: RunningBackend, servers: Servers) -> AsyncIterator[RunningGateway]:
    async with running_gateway(backend.url, servers.redis_url) as running:
        yield running


@pytest.fixture(scope="module")
async def orders(backend: RunningBackend) -> dict[str, Any]:
    """``ORDERS`` orders, each of three products from two stores, by as many customers."""
    mall = Mall(backend.http, lambda module: backend.url)
    first_store, first_product = await mall.store_with_product("2.00")
    second_store, second_product = await mall.store_with_product("3.00")
    extra = await mall.call(
        "POST", "stores", f"/{first_store}/products", {"name": "Bookmark", "price": "1.00"}, 201
    )
    products = [first_product, second_product, extra["id"]]
    for n in range(ORDERS):
        customer_id = await mall.customer(f"Reader {n}")
        basket_id = await mall.basket(customer_id, first_product, quantity=1)
        for product_id in products[1:]:
            await mall.call(
                "PUT", "baskets", f"/{basket_id}/addItem",
                {"product_id": product_id, "quantity": 1},
            )  # fmt: skip
        await mall.checkout(basket_id, await mall.payment(customer_id, "6.00"))
    stores = [first_store, second_store]
    await eventually(
        lambda: mall.call("POST", "search", "/orders", {"filters": {"store_ids": stores}}),
        lambda found: len(found["orders"]) == ORDERS,
        timeout=30,
    )
    return {"stores": stores, "products": products}


def calls(gateway: RunningGateway) -> int:
    client: BackendClient = gateway.app.state.backend
    return client.calls


async def test_a_page_of_orders_costs_a_handful_of_calls(
    gateway: RunningGateway, orders: dict[str, Any]
) -> None:
    before = calls(gateway)
    found = await data(gateway, PAGE, stores=orders["stores"])
    made = calls(gateway) - before

    nodes = [edge["node"] for edge in found["searchOrders"]["edges"]]
    assert len(nodes) == ORDERS
    assert sorted(n["customer"]["name"] for n in nodes) == [f"Reader {n}" for n in range(ORDERS)]
    for node in nodes:
        assert [item["productId"] for item in node["items"]] == orders["products"]
        assert [item["product"]["name"] for item in node["items"]] == [
            "EDA with Golang", "EDA with Golang", "Bookmark"
        ]  # fmt: skip
        assert all(item["store"]["name"] == "Waldorf Books" for item in node["items"])
    references = ORDERS * (1 + 2 * 3)
    assert made == 4, f"{made} backend calls for {references} references"  # search + 3 batches


async def test_an_unknown_reference_is_null_and_the_others_still_load(
    gateway: RunningGateway, backend: RunningBackend, orders: dict[str, Any]
) -> None:
    mall = Mall(backend.http, lambda module: backend.url)
    extra = orders["products"][2]
    await mall.call("DELETE", "stores", f"/products/{extra}", {})

    before = calls(gateway)
    found = await data(gateway, PAGE, stores=orders["stores"])
    assert calls(gateway) - before == 4
    for edge in found["searchOrders"]["edges"]:
        items = edge["node"]["items"]
        assert [item["product"] is None for item in items] == [False, False, True]
        assert items[2]["store"] == {"name": "Waldorf Books"}


async def test_a_batch_of_more_than_a_hundred_ids_is_split(backend: RunningBackend) -> None:
    mall = Mall(backend.http, lambda module: backend.url)
    store_id, _ = await mall.store_with_product()
    created = [
        (await mall.call(
            "POST", "stores", f"/{store_id}/products", {"name": f"P{n:03}", "price": "1"}, 201
        ))["id"]
        for n in range(120)
    ]  # fmt: skip
    client = BackendClient(backend.url, internal_token=INTERNAL_TOKEN)
    try:
        load = loaders.batch(Context(backend=client, hub=None), "/stores/products", "products")
        found = await load([*created, "unknown"])
    finally:
        await client.aclose()
    assert client.calls == 2
    assert [row["name"] if row else None for row in found] == [
        *(f"P{n:03}" for n in range(120)),
        None,
    ]
