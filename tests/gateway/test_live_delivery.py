"""Live updates on WebSocket transports (gateway.live): each update is executed once per distinct
operation and sent to every subscriber of it with its own operation id; subscribers of other
operations get their own selections; a subscriber that goes away leaves the others unharmed."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from starlette.websockets import WebSocket, WebSocketDisconnect

from backend.modules import select_modules
from backend.platform.principal import Principal
from gateway.backend import BackendClient
from gateway.live import LiveSink, operation_key
from tests.conftest import Servers
from tests.gateway.test_subscriptions import (
    GRAPHQL_TRANSPORT_WS,
    LEGACY_GRAPHQL_WS,
    Feed,
    hub_of,
    no_subscribers,
    subscription,
)
from tests.support.backend import running_backend
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.mall import Mall

WITH_PRODUCTS = """subscription($id: ID!) {
  basketUpdated(basketId: $id) { cursor basket { items { quantity product { name } } } } }"""
QUANTITIES = """subscription($id: ID!) {
  basketUpdated(basketId: $id) { cursor basket { items { quantity } } } }"""
ALIASED = """subscription($id: ID!) {
  change: basketUpdated(basketId: $id) { at: cursor basket { lines: items { n: quantity } } } }"""


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


def backend_of(gateway: RunningGateway) -> BackendClient:
    client: BackendClient = gateway.app.state.backend
    return client


async def add(mall: Mall, basket_id: str, product_id: str) -> None:
    body = {"product_id": product_id, "quantity": 1}
    await mall.call("PUT", "baskets", f"/{basket_id}/addItem", body)


async def first_quantity(feed: Feed, quantity: int) -> dict[str, Any]:
    return dict(await feed.until(lambda p: p["basket"]["items"][0]["quantity"] == quantity))


@pytest.mark.parametrize("protocol", [GRAPHQL_TRANSPORT_WS, LEGACY_GRAPHQL_WS])
async def test_subscribers_of_one_operation_share_each_update_executed_once(
    gateway: RunningGateway, mall: Mall, protocol: str
) -> None:
    _, product_id = await mall.store_with_product()
    basket_id = await mall.basket(await mall.customer("Sharing"), product_id, quantity=1)
    async with contextlib.AsyncExitStack() as stack:
        feeds = [
            await stack.enter_async_context(
                subscription(gateway, WITH_PRODUCTS, protocol, id=basket_id)
            )
            for _ in range(4)
        ]
        for feed in feeds:
            await first_quantity(feed, 1)
        calls = backend_of(gateway).calls
        await add(mall, basket_id, product_id)
        updates = [await first_quantity(feed, 2) for feed in feeds]
        assert all(update == updates[0] for update in updates)
        (item,) = updates[0]["basket"]["items"]
        assert item["product"]["name"]  # an async reference, loaded from the backend
        # One batch read of the item's product for all four subscribers, not one each.
        assert backend_of(gateway).calls - calls == 1
    await no_subscribers(gateway)


async def test_each_operation_gets_its_own_selection_of_an_update(
    gateway: RunningGateway, mall: Mall
) -> None:
    _, product_id = await mall.store_with_product()
    basket_id = await mall.basket(await mall.customer("Selections"), product_id, quantity=1)
    async with (
        subscription(gateway, QUANTITIES, id=basket_id) as plain,
        subscription(gateway, ALIASED, id=basket_id) as aliased,
    ):
        aliased.field = "change"  # the response key of an aliased field is its alias
        await first_quantity(plain, 1)
        assert (await aliased.next())["basket"] == {"lines": [{"n": 1}]}
        await add(mall, basket_id, product_id)
        update = await first_quantity(plain, 2)
        assert update["basket"] == {"items": [{"quantity": 2}]}
        changed = await aliased.until(lambda p: p["basket"]["lines"][0]["n"] == 2)
        assert changed == {"at": update["cursor"], "basket": {"lines": [{"n": 2}]}}
    await no_subscribers(gateway)


async def test_a_subscriber_that_disconnects_leaves_the_others_served(
    gateway: RunningGateway, mall: Mall
) -> None:
    _, product_id = await mall.store_with_product()
    basket_id = await mall.basket(await mall.customer("Leaving"), product_id, quantity=1)
    async with subscription(gateway, QUANTITIES, id=basket_id) as staying:
        await first_quantity(staying, 1)
        async with subscription(gateway, QUANTITIES, id=basket_id) as leaving:
            await first_quantity(leaving, 1)
            assert hub_of(gateway).subscriber_count == 2
        await add(mall, basket_id, product_id)
        await first_quantity(staying, 2)
        await add(mall, basket_id, product_id)
        await first_quantity(staying, 3)
        assert hub_of(gateway).subscriber_count == 1
    await no_subscribers(gateway)


def test_an_operation_key_ignores_the_order_of_variables_and_keeps_principals_apart() -> None:
    a, b = Principal("customer", customer_id="a"), Principal("customer", customer_id="b")
    assert operation_key("q", None, {"a": 1, "b": 2}, a) == operation_key(
        "q", None, {"b": 2, "a": 1}, a
    )
    assert operation_key("q", None, {"a": 1}, a) != operation_key("q", "Named", {"a": 1}, a)
    assert operation_key("q", None, {"a": 1}, a) != operation_key("q", None, {"a": 2}, a)
    assert operation_key("q", None, {"a": 1}, a) != operation_key("q", None, {"a": 1}, b)


async def test_a_live_frame_carries_its_operation_id_and_stops_once_the_client_leaves() -> None:
    incoming: list[dict[str, Any]] = [
        {"type": "websocket.connect"},
        {"type": "websocket.disconnect", "code": 1001},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    socket = WebSocket({"type": "websocket", "path": "/graphql", "headers": []}, receive, send)
    await socket.accept()
    sink = LiveSink(socket, 'op "1"', "next", "key")
    assert await sink.send('{"data":{"n":1}}')
    frame = orjson.loads(sent[-1]["text"])
    assert frame == {"id": 'op "1"', "type": "next", "payload": {"data": {"n": 1}}}
    with pytest.raises(WebSocketDisconnect):
        await socket.receive_text()  # the client leaves
    assert not await sink.send('{"data":{"n":2}}')
    assert len(sent) == 2  # the accept and the first frame only
