"""MALLBOTS_DATABASE_URL_<MODULE>: a module on a PostgreSQL database of its own.

The ordering module runs on a second database of the test server while the others share the
first; a checkout still goes all the way through the saga to an approved order, and ordering's
tables (events, outbox, inbox, its read model) are in the second database only.
"""

from __future__ import annotations

from typing import Any

import psycopg

from backend.modules import select_modules
from backend.platform.databases import module_database_urls
from tests.conftest import Servers
from tests.support.backend import drop_database, fresh_database, running_backend
from tests.support.mall import Mall, money


async def tables_of(url: str, schema: str) -> set[str]:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        cur = await conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
        )
        return {row[0] for row in await cur.fetchall()}


async def one(url: str, query: str, params: tuple[Any, ...] = ()) -> Any:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        cur = await conn.execute(query, params)
        row = await cur.fetchone()
        assert row is not None
        return row[0]


def test_the_setting_names_the_module() -> None:
    environ = {
        "MALLBOTS_DATABASE_URL_ORDERING": "postgresql://orders-db/mallbots",
        "MALLBOTS_DATABASE_URL_SEARCH": "",
        "DATABASE_URL": "postgresql://shared/mallbots",
    }
    assert module_database_urls(environ) == {"ordering": "postgresql://orders-db/mallbots"}


async def test_a_module_on_its_own_database_takes_part_in_the_checkout(servers: Servers) -> None:
    ordering_url = await fresh_database(servers.database_url)
    try:
        async with running_backend(
            servers.database_url,
            servers.redis_url,
            select_modules(["all"]),
            database_urls={"ordering": ordering_url},
        ) as backend:
            mall = Mall(backend.http, lambda module: backend.url)
            _, product_id = await mall.store_with_product("12.50")
            customer_id = await mall.customer()
            basket_id = await mall.basket(customer_id, product_id, quantity=2)
            await mall.checkout(basket_id, await mall.payment(customer_id, "25.00"))

            order = await mall.the_order_of(customer_id, "approved")
            assert money(order["total"]) == money("25.00")

            assert {"events", "outbox", "inbox"} <= await tables_of(ordering_url, "ordering")
            assert await tables_of(backend.database_url, "ordering") == set()
            assert {"events", "outbox"} <= await tables_of(backend.database_url, "baskets")
            assert await tables_of(ordering_url, "baskets") == set()
            recorded = await one(
                ordering_url,
                "SELECT count(*) FROM ordering.events WHERE stream_id = %s",
                (order["id"],),
            )
            assert recorded >= 2  # created, then approved
    finally:
        await drop_database(ordering_url)
