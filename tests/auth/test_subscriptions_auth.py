"""Authentication and authorization of subscriptions: the token in ``connection_init`` on both
WebSocket protocols and in the ``Authorization`` header over SSE; live updates only of one's own
objects, and never shared across principals."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import websockets
from gql.transport.exceptions import TransportQueryError

from tests.auth.conftest import World
from tests.gateway.test_subscription_transports import sse
from tests.gateway.test_subscriptions import (
    AVAILABLE_LISTS,
    BASKET_UPDATED,
    CATALOG_UPDATED,
    CUSTOMER_ORDERS,
    GRAPHQL_TRANSPORT_WS,
    LEGACY_GRAPHQL_WS,
    ORDER_UPDATED,
    subscription,
)
from tests.support.auth import auth_headers, token


async def first_error(
    world: World, query: str, auth: dict[str, str] | None, **variables: Any
) -> str:
    """The code of the one error a subscription ends with before any payload."""
    async with subscription(world.gateway, query, auth=auth, **variables) as feed:
        with pytest.raises(TransportQueryError) as raised:
            await feed.next()
    assert raised.value.errors is not None
    (error,) = raised.value.errors
    return str(error["extensions"]["code"])


@pytest.mark.parametrize(
    "payload", [{"Authorization": "Bearer forged"}, {"token": "forged"}, {"Authorization": 42}]
)
async def test_a_bad_token_closes_a_graphql_transport_ws_socket_with_4403(
    world: World, payload: dict[str, Any]
) -> None:
    async with websockets.connect(world.gateway.ws_url, subprotocols=[GRAPHQL_TRANSPORT_WS]) as ws:  # type: ignore[list-item]
        await ws.send(orjson.dumps({"type": "connection_init", "payload": payload}).decode())
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


async def test_a_bad_token_is_a_connection_error_on_legacy_graphql_ws(world: World) -> None:
    async with websockets.connect(world.gateway.ws_url, subprotocols=[LEGACY_GRAPHQL_WS]) as ws:  # type: ignore[list-item]
        init = {"type": "connection_init", "payload": {"Authorization": "Bearer forged"}}
        await ws.send(orjson.dumps(init).decode())
        answer = orjson.loads(await ws.recv())
    assert answer["type"] == "connection_error"
    assert answer["payload"]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_an_operation_before_connection_init_is_refused_with_4401(world: World) -> None:
    async with websockets.connect(world.gateway.ws_url, subprotocols=[GRAPHQL_TRANSPORT_WS]) as ws:  # type: ignore[list-item]
        start = {"id": "1", "type": "subscribe", "payload": {"query": "subscription { x }"}}
        await ws.send(orjson.dumps(start).decode())
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


@pytest.mark.parametrize("protocol", [GRAPHQL_TRANSPORT_WS, LEGACY_GRAPHQL_WS])
async def test_a_customer_follows_their_own_order_with_either_token_form(
    world: World, protocol: str
) -> None:
    a = world.a
    bearer = token("customer", customer_id=a.customer_id)
    for auth in ({"Authorization": f"Bearer {bearer}"}, {"token": bearer}):
        async with subscription(
            world.gateway, ORDER_UPDATED, protocol, auth=auth, id=a.order_id
        ) as feed:
            first = await feed.next()
        assert first["order"]["id"] == a.order_id


async def test_anonymous_subscribes_to_the_catalog_only(world: World) -> None:
    async with subscription(world.gateway, CATALOG_UPDATED, auth=None, id=world.store_id) as feed:
        first = await feed.next()
    assert world.product_id in [p["id"] for p in first["products"]]
    assert await first_error(world, ORDER_UPDATED, None, id=world.a.order_id) == "UNAUTHENTICATED"
    assert await first_error(world, AVAILABLE_LISTS, None) == "UNAUTHENTICATED"


async def test_another_customers_objects_cannot_be_followed(world: World) -> None:
    a, b = world.a, world.b
    assert await first_error(world, ORDER_UPDATED, b.headers, id=a.order_id) == "NOT_FOUND"
    assert await first_error(world, BASKET_UPDATED, b.headers, id=a.basket_id) == "NOT_FOUND"
    assert (
        await first_error(world, ORDER_UPDATED, b.headers, id=a.order_id, after="0-0")
        == "NOT_FOUND"
    )
    assert await first_error(world, CUSTOMER_ORDERS, b.headers, id=a.customer_id) == "FORBIDDEN"
    assert await first_error(world, AVAILABLE_LISTS, b.headers) == "FORBIDDEN"
    bot = auth_headers("bot", bot_id=world.bot_id)
    async with subscription(world.gateway, AVAILABLE_LISTS, auth=bot) as feed:
        lists = await feed.next()
    assert lists["snapshot"] is True


async def test_two_customers_with_one_document_each_see_only_their_own_orders(
    world: World,
) -> None:
    """The live payloads of one operation are rendered once and shared: never across
    principals, even for the same document."""
    a, b = world.a, world.b
    async with (
        subscription(world.gateway, CUSTOMER_ORDERS, auth=a.headers, id=a.customer_id) as of_a,
        subscription(world.gateway, CUSTOMER_ORDERS, auth=b.headers, id=b.customer_id) as of_b,
    ):
        assert {o["id"] for o in (await of_a.next())["orders"]} >= {a.order_id}
        assert {o["id"] for o in (await of_b.next())["orders"]} >= {b.order_id}
        basket = await world.mall.basket(a.customer_id, world.product_id, quantity=1)
        await world.mall.checkout(basket, await world.mall.payment(a.customer_id, "49.99"))
        update = await of_a.until(lambda u: not u["snapshot"])
        assert update["customerId"] == a.customer_id
        for order in update["orders"]:
            assert (await world.mall.order(order["id"]))["customer_id"] == a.customer_id
        await of_b.nothing_within(1.0)


async def test_sse_takes_the_token_from_the_authorization_header(world: World) -> None:
    a, b = world.a, world.b
    async with sse(world.gateway, ORDER_UPDATED, a.headers, id=a.order_id) as stream:
        name, first = await stream.event()
    assert name == "next" and first["data"]["orderUpdated"]["order"]["id"] == a.order_id
    async with sse(world.gateway, ORDER_UPDATED, b.headers, id=a.order_id) as stream:
        name, refused = await stream.event()
    assert refused["errors"][0]["extensions"]["code"] == "NOT_FOUND"
