"""The mall every authorization test asks about: two customers with an approved order each,
two stores with a product each and a bot, behind a real gateway and backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from backend.modules import select_modules
from tests.conftest import Servers
from tests.support.auth import auth_headers
from tests.support.backend import RunningBackend, running_backend
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.mall import Mall


@dataclass
class Shopper:
    customer_id: str
    order_id: str
    basket_id: str
    payment_id: str
    headers: dict[str, str]


@dataclass
class World:
    gateway: RunningGateway
    backend: RunningBackend
    mall: Mall
    a: Shopper
    b: Shopper
    store_id: str
    product_id: str
    other_store_id: str
    other_product_id: str
    bot_id: str


async def shopper(mall: Mall, product_id: str, name: str) -> Shopper:
    customer_id = await mall.customer(name)
    basket_id = await mall.basket(customer_id, product_id, quantity=1)
    payment_id = await mall.payment(customer_id, "49.99")
    await mall.checkout(basket_id, payment_id)
    order = await mall.the_order_of(customer_id, "approved")
    return Shopper(
        customer_id,
        order["id"],
        basket_id,
        payment_id,
        auth_headers("customer", customer_id=customer_id),
    )


@pytest.fixture(scope="module")
async def world(servers: Servers) -> AsyncIterator[World]:
    async with running_backend(
        servers.database_url, servers.redis_url, select_modules(["all"])
    ) as backend:
        mall = Mall(backend.http, lambda module: backend.url)
        store_id, product_id = await mall.store_with_product("49.99")
        other_store_id, other_product_id = await mall.store_with_product("5.00")
        a = await shopper(mall, product_id, "Alice")
        b = await shopper(mall, product_id, "Bob")
        bot = await mall.call("POST", "depot", "/bots", {"name": "Robbie"}, 201)
        async with running_gateway(backend.url, servers.redis_url) as gateway:
            yield World(
                gateway,
                backend,
                mall,
                a,
                b,
                store_id,
                product_id,
                other_store_id,
                other_product_id,
                bot["id"],
            )
