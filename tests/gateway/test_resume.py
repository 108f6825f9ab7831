"""Resuming subscriptions with ``after: <cursor>``: what was missed comes first, in order and
once, then live updates; a trimmed cursor is CURSOR_EXPIRED, a malformed one BAD_REQUEST, an
unknown id NOT_FOUND."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from backend.modules import select_modules
from gateway.hub import parse_cursor, stream_of
from tests.conftest import Servers
from tests.gateway.test_subscriptions import (
    AVAILABLE_LISTS,
    BASKET_UPDATED,
    CATALOG_UPDATED,
    CUSTOMER_ORDERS,
    ORDER_UPDATED,
    checked_out,
    error_of,
    no_subscribers,
    statuses_until,
    subscription,
)
from tests.support.backend import running_backend
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.mall import Mall


@pytest.fixture(scope="module")
async def mall_gateway(servers: Servers) -> AsyncIterator[tuple[Mall, RunningGateway]]:
    async with (
        running_backend(
            servers.database_url, servers.redis_url, select_modules(["all"])
        ) as backend,
        running_gateway(backend.url, servers.redis_url) as gateway,
    ):
        yield Mall(backend.http, lambda module: backend.url), gateway


@pytest.fixture
def mall(mall_gateway: tuple[Mall, RunningGateway]) -> Mall:
    return mall_gateway[0]


@pytest.fixture
def gateway(mall_gateway: tuple[Mall, RunningGateway]) -> RunningGateway:
    return mall_gateway[1]


async def add_item(mall: Mall, basket_id: str, product_id: str, quantity: int = 1) -> None:
    body = {"product_id": product_id, "quantity": quantity}
    await mall.call("PUT", "baskets", f"/{basket_id}/addItem", body)


async def open_basket(mall: Mall) -> tuple[str, str]:
    customer_id = await mall.customer("Resumer")
    _, product_id = await mall.store_with_product()
    return await mall.basket(customer_id, product_id, quantity=1), product_id


def quantities(payload: dict[str, object]) -> list[int]:
    basket = payload["basket"]
    assert isinstance(basket, dict)
    return [item["quantity"] for item in basket["items"]]


async def test_a_resumed_subscription_gets_what_it_missed_in_order_once_then_live(
    gateway: RunningGateway, mall: Mall
) -> None:
    basket_id, product_id = await open_basket(mall)
    async with subscription(gateway, BASKET_UPDATED, id=basket_id) as feed:
        assert quantities(await feed.next()) == [1]
        await add_item(mall, basket_id, product_id)
        last_seen = await feed.until(lambda b: quantities(b) == [2])
    await no_subscribers(gateway)

    await add_item(mall, basket_id, product_id)  # 3, missed
    await add_item(mall, basket_id, product_id)  # 4, missed
    after = last_seen["cursor"]
    async with subscription(gateway, BASKET_UPDATED, id=basket_id, after=after) as feed:
        missed = [await feed.next(), await feed.next()]
        assert [quantities(m) for m in missed] == [[3], [4]]
        await add_item(mall, basket_id, product_id)  # 5, live
        live = await feed.next()
        assert quantities(live) == [5]
        cursors = [parse_cursor(m["cursor"]) for m in [last_seen, *missed, live]]
        assert cursors == sorted(set(cursors))
        await feed.nothing_within(0.5)

    async with subscription(gateway, BASKET_UPDATED, id=basket_id, after=live["cursor"]) as feed:
        await feed.nothing_within(0.5)  # nothing missed since the last one
        await add_item(mall, basket_id, product_id)
        assert quantities(await feed.next()) == [6]


async def test_a_cursor_from_customer_orders_resumes_order_updated(
    gateway: RunningGateway, mall: Mall
) -> None:
    customer_id = await mall.customer("Cursor sharer")
    async with subscription(gateway, CUSTOMER_ORDERS, id=customer_id) as feed:
        before = (await feed.next())["cursor"]
        await checked_out(mall, customer_id)
        created = await feed.next()
    (order,) = created["orders"]
    assert order["status"] == "PENDING"
    approved = await mall.the_order_of(customer_id, "approved")
    assert approved["id"] == order["id"]

    # The cursor of the creation, taken from customerOrdersUpdated, resumes orderUpdated just
    # after it: the approval follows, and not the creation again.
    async with subscription(
        gateway, ORDER_UPDATED, id=order["id"], after=created["cursor"]
    ) as feed:
        assert await statuses_until(feed, "APPROVED") == ["APPROVED"]
        await feed.nothing_within(0.3)
    # The cursor of the empty snapshot (before the order existed) replays its creation.
    async with subscription(gateway, ORDER_UPDATED, id=order["id"], after=before) as feed:
        assert await statuses_until(feed, "APPROVED") == ["PENDING", "APPROVED"]


async def test_a_trimmed_cursor_is_expired_never_a_silent_gap(
    gateway: RunningGateway, mall: Mall, redis: aioredis.Redis
) -> None:
    basket_id, product_id = await open_basket(mall)
    async with subscription(gateway, BASKET_UPDATED, id=basket_id) as feed:
        await add_item(mall, basket_id, product_id)
        old = (await feed.until(lambda b: quantities(b) == [2]))["cursor"]
        await add_item(mall, basket_id, product_id)
        last = (await feed.until(lambda b: quantities(b) == [3]))["cursor"]
    await redis.xtrim(stream_of("baskets"), maxlen=1, approximate=False)

    error = await error_of(gateway, BASKET_UPDATED, id=basket_id, after=old)
    assert error["extensions"] == {"code": "CURSOR_EXPIRED"}
    assert old in error["message"]
    async with subscription(gateway, BASKET_UPDATED, id=basket_id, after=last) as feed:
        await add_item(mall, basket_id, product_id)
        assert quantities(await feed.next()) == [4]
    await no_subscribers(gateway)


@pytest.mark.parametrize(
    "cursor", ["", "yesterday", "12-", "-3", "1-2-3", "١-٢", "18446744073709551616-0"]
)
async def test_a_malformed_cursor_is_a_bad_request(
    gateway: RunningGateway, mall: Mall, cursor: str
) -> None:
    store_id, _ = await mall.store_with_product()
    error = await error_of(gateway, CATALOG_UPDATED, id=store_id, after=cursor)
    assert error["extensions"] == {"code": "BAD_REQUEST", "field": "after"}
    error = await error_of(gateway, AVAILABLE_LISTS, after=cursor)
    assert error["extensions"] == {"code": "BAD_REQUEST", "field": "after"}


async def test_a_cursor_the_stream_never_reached_is_a_bad_request(
    gateway: RunningGateway, mall: Mall
) -> None:
    store_id, _ = await mall.store_with_product()
    error = await error_of(gateway, CATALOG_UPDATED, id=store_id, after="99999999999999-0")
    assert error["extensions"] == {"code": "BAD_REQUEST", "field": "after"}


@pytest.mark.parametrize(
    ("query", "after"),
    [
        (ORDER_UPDATED, None),
        (ORDER_UPDATED, "0-0"),
        (CUSTOMER_ORDERS, None),
        (CUSTOMER_ORDERS, "0-0"),
        (BASKET_UPDATED, None),
        (BASKET_UPDATED, "0-0"),
        (CATALOG_UPDATED, None),
        (CATALOG_UPDATED, "0-0"),
    ],
)
async def test_an_unknown_id_is_not_found(
    gateway: RunningGateway, query: str, after: str | None
) -> None:
    unknown = "00000000-0000-4000-8000-0000000000ab"  # ids are UUIDs
    error = await error_of(gateway, query, id=unknown, after=after)
    assert error["extensions"] == {"code": "NOT_FOUND"}
    assert unknown in error["message"]
    await no_subscribers(gateway)
