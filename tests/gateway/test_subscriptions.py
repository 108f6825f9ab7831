"""GraphQL subscriptions fed by the projection streams, through real clients (gql over
graphql-transport-ws) against a running gateway in front of a backend with every module."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport
from graphql import GraphQLError

from backend.modules import select_modules
from gateway.hub import CLIENT_NAME, SubscriptionHub, Update, parse_cursor, stream_of
from tests.conftest import Servers
from tests.support.auth import ADMIN
from tests.support.backend import running_backend
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.mall import Mall
from tests.support.waiting import eventually

GRAPHQL_TRANSPORT_WS = WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL
LEGACY_GRAPHQL_WS = WebsocketsTransport.APOLLO_SUBPROTOCOL

ORDER_UPDATED = """subscription($id: ID!, $after: String) {
  orderUpdated(orderId: $id, after: $after) { cursor order { id status total } } }"""
CUSTOMER_ORDERS = """subscription($id: ID!, $after: String) {
  customerOrdersUpdated(customerId: $id, after: $after) {
    cursor snapshot customerId orders { id status } } }"""
BASKET_UPDATED = """subscription($id: ID!, $after: String) {
  basketUpdated(basketId: $id, after: $after) {
    cursor basket { id status items { productId quantity } } } }"""
CATALOG_UPDATED = """subscription($id: ID!, $after: String) {
  catalogUpdated(storeId: $id, after: $after) {
    cursor snapshot storeId products { id name price } removedProductIds } }"""
AVAILABLE_LISTS = """subscription($after: String) {
  availableShoppingListsUpdated(after: $after) {
    cursor snapshot shoppingLists { id orderId status } } }"""


class Feed:
    """The payloads of one subscription, read one at a time with a deadline.

    A task pulls the results into a queue, so a read that times out leaves the subscription
    running (cancelling gql's iterator itself would end the subscription)."""

    def __init__(self, results: AsyncIterator[dict[str, Any]], field: str) -> None:
        self.field = field
        self.queue: asyncio.Queue[dict[str, Any] | BaseException] = asyncio.Queue()
        self.pump = asyncio.create_task(self._pump(results))

    async def _pump(self, results: AsyncIterator[dict[str, Any]]) -> None:
        try:
            async for result in results:
                await self.queue.put(result)
            await self.queue.put(StopAsyncIteration())
        except Exception as exc:
            await self.queue.put(exc)

    async def next(self, timeout: float = 20.0) -> Any:
        result = await asyncio.wait_for(self.queue.get(), timeout)
        if isinstance(result, BaseException):
            raise result
        return result[self.field]

    async def until(self, match: Callable[[Any], bool], timeout: float = 20.0) -> Any:
        """The first payload that ``match``es, skipping others. A state fetched for a snapshot
        may already include changes whose updates the backend's relay had not yet appended to
        the stream: those updates follow the snapshot (each payload is a whole new state)."""
        while not match(payload := await self.next(timeout)):
            pass
        return payload

    async def nothing_within(self, seconds: float) -> None:
        with pytest.raises(TimeoutError):
            await self.next(timeout=seconds)

    async def close(self) -> None:
        self.pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.pump


@contextlib.asynccontextmanager
async def subscription(
    gateway: RunningGateway,
    query: str,
    protocol: str = GRAPHQL_TRANSPORT_WS,
    auth: dict[str, str] | None = ADMIN,
    **variables: Any,
) -> AsyncIterator[Feed]:
    """A gql client on its own WebSocket connection; leaving the block disconnects it.
    ``auth`` goes in ``connection_init`` (an admin's token unless given; None: anonymous)."""
    transport = WebsocketsTransport(
        url=gateway.ws_url, subprotocols=[protocol], init_payload=dict(auth or {})
    )
    request = GraphQLRequest(query, variable_values=variables)
    async with Client(transport=transport) as session:
        field = query.split("{", 2)[1].split("(")[0].strip()
        feed = Feed(session.subscribe(request), field)
        try:
            yield feed
        finally:
            await feed.close()


async def error_of(gateway: RunningGateway, query: str, **variables: Any) -> dict[str, Any]:
    """The one GraphQL error a subscription ends with before any payload."""
    async with subscription(gateway, query, **variables) as feed:
        with pytest.raises(TransportQueryError) as raised:
            await feed.next()
    assert raised.value.errors is not None
    (error,) = raised.value.errors
    return dict(error)


def hub_of(gateway: RunningGateway) -> SubscriptionHub:
    hub: SubscriptionHub = gateway.app.state.hub
    return hub


async def no_subscribers(gateway: RunningGateway) -> None:
    await eventually(lambda: _count(gateway), lambda n: n == 0, timeout=10)


async def _count(gateway: RunningGateway) -> int:
    return hub_of(gateway).subscriber_count


async def statuses_until(feed: Feed, last: str, seen: list[str] | None = None) -> list[str]:
    """The order statuses a feed shows until ``last``, appended to ``seen`` (every change of an
    order is a change of status, so a repeated status would be an update delivered twice)."""
    seen = [] if seen is None else seen
    while not seen or seen[-1] != last:
        seen.append((await feed.next())["order"]["status"])
        assert len(seen) <= 6, seen
    return seen


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


async def checked_out(mall: Mall, customer_id: str, quantity: int = 2) -> str:
    """A basket of the customer with one product, checked out with a payment; its id."""
    _, product_id = await mall.store_with_product("49.99")
    basket_id = await mall.basket(customer_id, product_id, quantity=quantity)
    payment_id = await mall.payment(customer_id, str(Decimal("49.99") * quantity))
    await mall.checkout(basket_id, payment_id)
    return basket_id


async def new_order(gateway: RunningGateway, mall: Mall, customer_id: str) -> tuple[str, str]:
    """Check out a basket while subscribed to the customer's orders (through GraphQL): the new
    order's id, and the cursor taken before it existed (valid for orderUpdated too)."""
    async with subscription(gateway, CUSTOMER_ORDERS, id=customer_id) as feed:
        first = await feed.next()
        assert first["snapshot"] is True and first["orders"] == []
        await checked_out(mall, customer_id)
        created = await feed.next()
    assert created["snapshot"] is False
    (order,) = created["orders"]
    assert order["status"] == "PENDING"
    return order["id"], first["cursor"]


async def test_order_updated_follows_the_happy_path_to_completed(
    gateway: RunningGateway, mall: Mall
) -> None:
    customer_id = await mall.customer("Happy")
    order_id, before = await new_order(gateway, mall, customer_id)
    async with subscription(gateway, ORDER_UPDATED, id=order_id, after=before) as feed:
        seen = await statuses_until(feed, "APPROVED")

        order = await mall.order(order_id)
        bot = await mall.call("POST", "depot", "/bots", {"name": "Robbie"}, 201)
        shopping = f"/shopping/{order['shopping_id']}"
        await mall.call("PUT", "depot", f"{shopping}/assign", {"bot_id": bot["id"]})
        await mall.call("PUT", "depot", f"{shopping}/complete", {})
        await statuses_until(feed, "READY", seen)

        await eventually(
            lambda: mall.http.get(f"{mall.base_of('payments')}/api/payments/invoices/{order_id}"),
            lambda r: r.status_code == 200,
        )
        await mall.call("PUT", "payments", f"/invoices/{order_id}/pay", {})
        await statuses_until(feed, "COMPLETED", seen)
        assert seen == ["PENDING", "APPROVED", "READY", "COMPLETED"]
        completed = await mall.order(order_id)
        assert completed["status"] == "completed" and completed["total"] == "99.98"
        await feed.nothing_within(0.5)
    await no_subscribers(gateway)


async def test_order_updated_shows_a_disabled_customers_order_rejected(
    gateway: RunningGateway, mall: Mall
) -> None:
    customer_id = await mall.customer("Disabled")
    await mall.call("PUT", "customers", f"/{customer_id}/disable", {})
    order_id, before = await new_order(gateway, mall, customer_id)
    async with subscription(gateway, ORDER_UPDATED, id=order_id, after=before) as feed:
        assert await statuses_until(feed, "REJECTED") == ["PENDING", "REJECTED"]
    async with subscription(gateway, ORDER_UPDATED, id=order_id) as feed:
        current = await feed.next()
        assert current["order"]["status"] == "REJECTED"
        assert parse_cursor(current["cursor"]) > parse_cursor(before)
    await no_subscribers(gateway)


async def test_customer_orders_updated_shows_only_that_customers_orders(
    gateway: RunningGateway, mall: Mall
) -> None:
    customer_id, other_id = await mall.customer("Mine"), await mall.customer("Other")
    async with subscription(gateway, CUSTOMER_ORDERS, id=customer_id) as feed:
        first = await feed.next()
        assert first == {**first, "snapshot": True, "customerId": customer_id, "orders": []}
        await checked_out(mall, other_id)
        await checked_out(mall, customer_id)
        seen = await feed.next()
        (order,) = seen["orders"]
        assert (await mall.order(order["id"]))["customer_id"] == customer_id
    async with subscription(gateway, CUSTOMER_ORDERS, id=customer_id) as feed:
        snapshot = await feed.next()
        assert snapshot["snapshot"] is True
        assert [o["id"] for o in snapshot["orders"]] == [order["id"]]


async def test_basket_updated_starts_with_the_basket_then_follows_its_items(
    gateway: RunningGateway, mall: Mall
) -> None:
    customer_id = await mall.customer("Basket")
    _, product_id = await mall.store_with_product()
    basket_id = await mall.basket(customer_id, product_id, quantity=1)
    async with subscription(gateway, BASKET_UPDATED, id=basket_id) as feed:
        first = await feed.next()
        assert first["basket"]["status"] == "OPEN"
        assert first["basket"]["items"] == [{"productId": product_id, "quantity": 1}]
        await mall.call(
            "PUT", "baskets", f"/{basket_id}/addItem", {"product_id": product_id, "quantity": 2}
        )
        second = await feed.until(lambda b: b["basket"]["items"][0]["quantity"] > 1)
        assert second["basket"]["items"] == [{"productId": product_id, "quantity": 3}]
        assert parse_cursor(second["cursor"]) > parse_cursor(first["cursor"])
        assert hub_of(gateway).subscriber_count == 1
    await no_subscribers(gateway)


async def test_catalog_updated_shows_products_added_changed_and_removed(
    gateway: RunningGateway, mall: Mall
) -> None:
    store_id, product_id = await mall.store_with_product("10.00")
    async with subscription(gateway, CATALOG_UPDATED, id=store_id) as feed:
        first = await feed.next()
        assert first["snapshot"] is True and first["storeId"] == store_id
        assert first["products"] == [{"id": product_id, "name": "EDA with Golang",
                                      "price": "10.00"}]  # fmt: skip
        await mall.call("PUT", "stores", f"/products/{product_id}/increasePrice", {"price": "12"})
        changed = await feed.until(lambda c: c["products"][:1] != first["products"])
        assert changed["snapshot"] is False and changed["removedProductIds"] == []
        assert [p["price"] for p in changed["products"]] == ["12.00"]
        await mall.call("DELETE", "stores", f"/products/{product_id}", {})
        removed = await feed.until(lambda c: c["products"] != changed["products"])
        assert removed["products"] == [] and removed["removedProductIds"] == [product_id]


async def test_available_shopping_lists_show_a_list_come_and_go(
    gateway: RunningGateway, mall: Mall
) -> None:
    customer_id = await mall.customer("Lists")
    async with subscription(gateway, AVAILABLE_LISTS) as feed:
        first = await feed.next()
        assert first["snapshot"] is True
        await checked_out(mall, customer_id)
        order = await mall.the_order_of(customer_id, "approved")
        came = await feed.until(lambda p: p["shoppingLists"][0]["orderId"] == order["id"])
        assert came["shoppingLists"] == [
            {"id": order["shopping_id"], "orderId": order["id"], "status": "AVAILABLE"}
        ]
        bot = await mall.call("POST", "depot", "/bots", {"name": "Lister"}, 201)
        shopping = f"/shopping/{order['shopping_id']}"
        await mall.call("PUT", "depot", f"{shopping}/assign", {"bot_id": bot["id"]})
        went = await feed.until(lambda p: p["shoppingLists"][0]["orderId"] == order["id"])
        assert [(s["id"], s["status"]) for s in went["shoppingLists"]] == [
            (order["shopping_id"], "ASSIGNED")
        ]


async def test_every_subscriber_shares_the_one_reader_and_leaves_no_trace(
    gateway: RunningGateway, mall: Mall, redis: aioredis.Redis
) -> None:
    store_id, _ = await mall.store_with_product()
    hub = hub_of(gateway)
    async with contextlib.AsyncExitStack() as stack:
        feeds = [
            await stack.enter_async_context(subscription(gateway, CATALOG_UPDATED, id=store_id))
            for _ in range(5)
        ]
        for feed in feeds:
            assert (await feed.next())["snapshot"] is True
        assert hub.subscriber_count == 5
        await mall.call(
            "POST", "stores", f"/{store_id}/products", {"name": "Another", "price": "1.50"}, 201
        )
        added = [
            await feed.until(lambda a: a["products"][0]["name"] == "Another") for feed in feeds
        ]
        assert {a["cursor"] for a in added} == {added[0]["cursor"]}
        assert all(a["products"][0]["name"] == "Another" for a in added)
        assert await hub_readers(redis) == 1
    await no_subscribers(gateway)


async def hub_readers(redis: aioredis.Redis) -> int:
    """How many of the hub's Redis connections sit in a blocking XREAD."""
    clients = await redis.client_list()
    return sum(1 for c in clients if c["name"] == CLIENT_NAME and c["cmd"] == "xread")


# --- the hub itself, on the test session's Redis ---


def _entry(key: str, status: str) -> dict[str, bytes]:
    update = {"payload": {"projection": "orders", "key": key, "state": {"status": status}}}
    return {"message": orjson.dumps(update)}


@contextlib.asynccontextmanager
async def a_hub(servers: Servers, **settings: Any) -> AsyncIterator[SubscriptionHub]:
    hub = SubscriptionHub(servers.redis_url, **settings)
    await hub.start()
    try:
        yield hub
    finally:
        await hub.stop()


async def dispatched(hub: SubscriptionHub, cursor: bytes) -> None:
    """Wait until the hub's reader has handed out the entry ``cursor`` of the orders stream."""
    target = parse_cursor(cursor.decode())
    await eventually(lambda: _position(hub), lambda p: p is not None and parse_cursor(p) >= target)


async def _position(hub: SubscriptionHub) -> str | None:
    return hub.positions.get(stream_of("orders"))


async def test_updates_buffered_during_a_replay_are_not_delivered_twice(
    servers: Servers, redis: aioredis.Redis
) -> None:
    async with a_hub(servers, block_ms=100) as hub:
        before = (await redis.xadd(stream_of("orders"), _entry("dup", "s0"))).decode()
        async with hub.subscribe("orders", key="dup") as subscriber:
            await redis.xadd(stream_of("orders"), _entry("dup", "s1"))
            await dispatched(hub, await redis.xadd(stream_of("orders"), _entry("dup", "s2")))
            replayed = [u.state["status"] async for u in subscriber.replay(before)]
            assert replayed == ["s1", "s2"]  # also sitting in the subscriber's buffer
            await redis.xadd(stream_of("orders"), _entry("dup", "s3"))
            live: Update = await asyncio.wait_for(subscriber.next(), 5)
            assert live.state["status"] == "s3"


async def test_updates_buffered_before_a_snapshot_are_not_delivered_after_it(
    servers: Servers, redis: aioredis.Redis
) -> None:
    async with (
        a_hub(servers, block_ms=100) as hub,
        hub.subscribe("orders", key="snap") as subscriber,
    ):
        await dispatched(hub, await redis.xadd(stream_of("orders"), _entry("snap", "old")))
        cursor = await subscriber.start_at_end()  # the state fetched now includes "old"
        new = await redis.xadd(stream_of("orders"), _entry("snap", "new"))
        live = await asyncio.wait_for(subscriber.next(), 5)
        assert (live.state["status"], live.cursor) == ("new", new.decode())
        assert parse_cursor(live.cursor) > parse_cursor(cursor)


async def test_a_subscriber_too_far_behind_is_dropped_with_a_clear_error(
    servers: Servers, redis: aioredis.Redis
) -> None:
    async with (
        a_hub(servers, queue_size=3, block_ms=100) as hub,
        hub.subscribe("orders", key="slow") as slow,
    ):
        await slow.start_at_end()
        for i in range(5):
            await redis.xadd(stream_of("orders"), _entry("slow", f"s{i}"))
        await eventually(lambda: _overflowed(slow), bool)
        assert hub.subscriber_count == 0
        delivered = [(await slow.next()).state["status"] for _ in range(3)]
        assert delivered == ["s0", "s1", "s2"]
        with pytest.raises(GraphQLError) as raised:
            await slow.next()
        assert raised.value.extensions == {"code": "SUBSCRIBER_TOO_SLOW"}


async def test_a_resume_reads_a_bounded_part_of_the_stream(
    servers: Servers, redis: aioredis.Redis
) -> None:
    """The stream holds every key's updates: a cursor more than ``max_replay`` entries behind
    is CURSOR_EXPIRED before anything is replayed (the client fetches the state instead)."""
    async with a_hub(servers, block_ms=100, max_replay=3) as hub:
        cursors = [
            (await redis.xadd(stream_of("orders"), _entry(f"k{i}", f"s{i}"))).decode()
            for i in range(5)
        ]
        async with hub.subscribe("orders", key="k4") as near:
            replayed = [u.state["status"] async for u in near.replay(cursors[1])]
        async with hub.subscribe("orders", key="k4") as far:
            with pytest.raises(GraphQLError) as raised:
                [u async for u in far.replay(cursors[0])]
    assert replayed == ["s4"]  # 3 entries read, the subscriber's one delivered
    assert raised.value.extensions == {"code": "CURSOR_EXPIRED"}
    assert f"cursor {cursors[0]} is too far behind" in raised.value.message


async def _overflowed(subscriber: Any) -> bool:
    return bool(subscriber.overflowed)


async def test_the_hub_stops_promptly_and_ends_its_subscribers(servers: Servers) -> None:
    redis = aioredis.from_url(servers.redis_url)
    others = {c["id"] for c in await redis.client_list() if c["name"] == CLIENT_NAME}

    async def blocked_in_xread() -> bool:
        """Whether this hub's reader (a connection no other hub has) sits in its XREAD."""
        clients = await redis.client_list()
        return any(c["name"] == CLIENT_NAME and c["id"] not in others and "b" in c["flags"]
                   for c in clients)  # fmt: skip

    hub = SubscriptionHub(servers.redis_url, block_ms=5000)
    await hub.start()
    try:
        async with hub.subscribe("orders", key="any") as subscriber:
            await subscriber.start_at_end()
            waiting = asyncio.create_task(anext(aiter(subscriber), None))
            await eventually(blocked_in_xread, bool)
            await asyncio.wait_for(hub.stop(), 2)
            assert await asyncio.wait_for(waiting, 2) is None
        assert hub.subscriber_count == 0
    finally:
        await redis.aclose()


CATALOG_WITH_STORES = """subscription($id: ID!, $after: String) {
  catalogUpdated(storeId: $id, after: $after) { cursor products { id price store { name } } } }"""


async def test_each_payload_has_a_budget_of_backend_calls(
    gateway: RunningGateway, mall: Mall, servers: Servers
) -> None:
    """Capped at one backend call, the catalog's snapshot (its products, then their store) is
    refused; live payloads that need one call each still come: the budget is per payload."""
    store_id, product_id = await mall.store_with_product("10.00")
    async with subscription(gateway, CATALOG_UPDATED, id=store_id) as feed:
        cursor = (await feed.next())["cursor"]
    async with running_gateway(
        gateway.settings.backend_url, servers.redis_url, max_backend_calls=1
    ) as capped:
        refused = await error_of(capped, CATALOG_WITH_STORES, id=store_id)
        assert refused["extensions"] == {"code": "TOO_MANY_BACKEND_CALLS", "limit": 1}
        async with subscription(capped, CATALOG_WITH_STORES, id=store_id, after=cursor) as feed:
            for price in ("12.00", "13.00"):
                path = f"/products/{product_id}/increasePrice"
                await mall.call("PUT", "stores", path, {"price": price})
                changed = await feed.until(lambda c, p=price: c["products"][0]["price"] == p)
                assert changed["products"][0]["store"] == {"name": "Waldorf Books"}
