"""The baskets module over HTTP and Redis with the real stores, customers and ordering modules."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from backend.baskets.messages import BASKET_TOPIC, PROJECTION
from backend.baskets.module import module as baskets
from backend.customers.module import module as customers
from backend.ordering.domain import order_id_for_basket
from backend.ordering.module import module as ordering
from backend.platform.consumer import DLQ_SUFFIX
from backend.platform.messages import (
    ENVELOPE_FIELD,
    Message,
    new_message,
    projection_topic,
)
from backend.platform.money import MAX_AMOUNT
from backend.platform.principal import Principal
from backend.stores import messages as stores_messages
from backend.stores.module import module as stores
from tests.conftest import Servers
from tests.support.auth import backend_headers
from tests.support.backend import RunningBackend, running_backend
from tests.support.waiting import eventually


@pytest.fixture(scope="module")
async def backend(servers: Servers) -> AsyncIterator[RunningBackend]:
    async with running_backend(
        servers.database_url,
        servers.redis_url,
        [stores, customers, baskets, ordering],
        snapshot_every=3,
    ) as running:
        yield running


# --- helpers ---


async def ok(backend: RunningBackend, method: str, path: str, body: Any = None) -> Any:
    response = await backend.http.request(method, path, json=body)
    assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
    return response.json()


async def basket_events(backend: RunningBackend, basket_id: str, count: int) -> list[Message]:
    """The basket's integration events, once there are ``count`` of them."""
    messages = await eventually(
        lambda: backend.published(BASKET_TOPIC),
        lambda ms: len([m for m in ms if m.payload["id"] == basket_id]) >= count,
    )
    return [m for m in messages if m.payload["id"] == basket_id]


async def cached_product(backend: RunningBackend, product_id: str) -> list[tuple[Any, ...]]:
    return await backend.sql(
        "SELECT name, price, removed FROM baskets.products_cache WHERE id = %s", (product_id,)
    )


async def cached_store(backend: RunningBackend, store_id: str) -> list[tuple[Any, ...]]:
    return await backend.sql(
        "SELECT name, participating FROM baskets.stores_cache WHERE id = %s", (store_id,)
    )


async def create_store(backend: RunningBackend, *, participating: bool = True) -> str:
    store = await ok(
        backend, "POST", "/api/stores", {"name": "Waldorf Books", "location": "West Upper Level"}
    )
    if participating:
        await ok(backend, "PUT", f"/api/stores/{store['id']}/participating", {})
    return str(store["id"])


async def add_product(
    backend: RunningBackend, store_id: str, name: str = "EDA with Golang", price: str = "49.99"
) -> str:
    product = await ok(
        backend, "POST", f"/api/stores/{store_id}/products", {"name": name, "price": price}
    )
    return str(product["id"])


async def register_customer(backend: RunningBackend) -> str:
    customer = await ok(
        backend, "POST", "/api/customers", {"name": "Buyer #1", "sms_number": "555-1212"}
    )
    return str(customer["id"])


async def start_basket(backend: RunningBackend, customer_id: str) -> str:
    response = await backend.http.post("/api/baskets", json={"customer_id": customer_id})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def get_basket(backend: RunningBackend, basket_id: str) -> dict[str, Any]:
    basket: dict[str, Any] = (await ok(backend, "GET", f"/api/baskets/{basket_id}"))["basket"]
    return basket


async def add_item(
    backend: RunningBackend, basket_id: str, product_id: str, quantity: int = 1
) -> Any:
    return await ok(
        backend,
        "PUT",
        f"/api/baskets/{basket_id}/addItem",
        {"product_id": product_id, "quantity": quantity},
    )


@dataclass
class Shop:
    store_id: str
    book: str
    pen: str
    customer_id: str


@pytest.fixture(scope="module")
async def shop(backend: RunningBackend) -> Shop:
    store_id = await create_store(backend)
    book = await add_product(backend, store_id)
    pen = await add_product(backend, store_id, "Pen", "1.50")
    return Shop(store_id, book, pen, await register_customer(backend))


# --- the basket's life ---


async def test_a_basket_from_start_to_checkout(backend: RunningBackend, shop: Shop) -> None:
    basket_id = await start_basket(backend, shop.customer_id)
    uuid.UUID(basket_id)
    assert await get_basket(backend, basket_id) == {
        "id": basket_id,
        "customer_id": shop.customer_id,
        "payment_id": "",
        "status": "open",
        "items": [],
        "total": "0.00",
    }
    added = await add_item(backend, basket_id, shop.book, 2)
    assert [(i["product_id"], i["quantity"]) for i in added["basket"]["items"]] == [(shop.book, 2)]
    await add_item(backend, basket_id, shop.pen, 2)
    await add_item(backend, basket_id, shop.book, 1)
    await ok(
        backend,
        "PUT",
        f"/api/baskets/{basket_id}/removeItem",
        {"product_id": shop.pen, "quantity": 1},
    )
    book_line = {
        "store_id": shop.store_id,
        "product_id": shop.book,
        "store_name": "Waldorf Books",
        "product_name": "EDA with Golang",
        "price": "49.99",
        "quantity": 3,
    }
    pen_line = {
        **book_line,
        "product_id": shop.pen,
        "product_name": "Pen",
        "price": "1.50",
        "quantity": 1,
    }
    basket = await get_basket(backend, basket_id)
    assert basket["items"] == [book_line, pen_line], "B1: removing 1 of 2 leaves 1"
    assert basket["total"] == "151.47"

    await ok(backend, "PUT", f"/api/baskets/{basket_id}/checkout", {"payment_id": "pay-1"})
    basket = await get_basket(backend, basket_id)
    assert (basket["status"], basket["payment_id"]) == ("checked_out", "pay-1")

    started, checked_out = await basket_events(backend, basket_id, 2)
    assert (started.name, started.payload) == (
        "basketsapi.BasketStarted",
        {"id": basket_id, "customer_id": shop.customer_id},
    )
    assert checked_out.name == "basketsapi.BasketCheckedOut"
    assert checked_out.payload == {
        "id": basket_id,
        "customer_id": shop.customer_id,
        "payment_id": "pay-1",
        "items": [book_line, pen_line],
    }

    # ordering turns the checkout into a pending order whose id derives from the basket's
    order_id = order_id_for_basket(basket_id)
    response = await eventually(
        lambda: backend.http.get(f"/api/ordering/{order_id}"), lambda r: r.status_code == 200
    )
    order = response.json()["order"]
    assert (order["status"], order["customer_id"], order["total"]) == (
        "pending",
        shop.customer_id,
        "151.47",
    )

    for method, path, body, message in [
        ("PUT", "addItem", {"product_id": shop.book, "quantity": 1},
         "the basket cannot be modified"),
        ("PUT", "removeItem", {"product_id": shop.book, "quantity": 1},
         "the basket cannot be modified"),
        ("PUT", "checkout", {"payment_id": "pay-2"}, "the basket cannot be modified"),
        ("DELETE", "", {}, "the basket cannot be cancelled"),
    ]:  # fmt: skip
        url = f"/api/baskets/{basket_id}" + (f"/{path}" if path else "")
        response = await backend.http.request(method, url, json=body)
        assert response.status_code == 400, (path, response.text)
        assert response.json() == {"code": "BAD_REQUEST", "message": message}
    assert (await get_basket(backend, basket_id)) == basket


async def test_cancel_clears_the_basket(backend: RunningBackend, shop: Shop) -> None:
    basket_id = await start_basket(backend, shop.customer_id)
    await add_item(backend, basket_id, shop.book)
    canceled_view = await ok(backend, "DELETE", f"/api/baskets/{basket_id}", {})
    basket = await get_basket(backend, basket_id)
    assert canceled_view == {"basket": basket}, "the command returns the basket it changed"
    assert (basket["status"], basket["items"], basket["total"]) == ("canceled", [], "0.00")
    _, canceled = await basket_events(backend, basket_id, 2)
    assert (canceled.name, canceled.payload) == ("basketsapi.BasketCanceled", {"id": basket_id})


async def test_removing_the_last_unit_deletes_the_line(backend: RunningBackend, shop: Shop) -> None:
    basket_id = await start_basket(backend, shop.customer_id)
    await add_item(backend, basket_id, shop.book, 2)
    remove = {"product_id": shop.book, "quantity": 2}
    await ok(backend, "PUT", f"/api/baskets/{basket_id}/removeItem", remove)
    assert (await get_basket(backend, basket_id))["items"] == []
    # removing a known product that is not in the basket changes nothing
    await ok(backend, "PUT", f"/api/baskets/{basket_id}/removeItem", remove)
    events = await backend.sql(
        "SELECT event_type FROM baskets.events WHERE stream_id = %s ORDER BY stream_version",
        (basket_id,),
    )
    assert [e for (e,) in events] == [
        "baskets.BasketStarted",
        "baskets.BasketItemAdded",
        "baskets.BasketItemRemoved",
    ]


async def test_projection_updates_carry_the_full_basket(
    backend: RunningBackend, shop: Shop
) -> None:
    basket_id = await start_basket(backend, shop.customer_id)
    await add_item(backend, basket_id, shop.pen, 4)
    topic = projection_topic(PROJECTION)
    updates = await eventually(
        lambda: backend.published(topic),
        lambda ms: len([m for m in ms if m.payload["key"] == basket_id]) == 2,
    )
    mine = [m.payload for m in updates if m.payload["key"] == basket_id]
    assert mine[0]["state"]["items"] == [] and mine[0]["state"]["status"] == "open"
    assert mine[1]["state"] == await get_basket(backend, basket_id)
    assert mine[1]["state"]["customer_id"] == shop.customer_id


async def test_snapshots_are_taken_and_loading_uses_them(
    backend: RunningBackend, shop: Shop
) -> None:
    basket_id = await start_basket(backend, shop.customer_id)
    for _ in range(4):
        await add_item(backend, basket_id, shop.pen)
    # the backend snapshots every 3 events: one was taken at version 3
    rows = await backend.sql(
        "SELECT stream_version, state FROM baskets.snapshots WHERE stream_id = %s", (basket_id,)
    )
    assert [(v, s["items"][0]["quantity"]) for v, s in rows] == [(3, 2)]
    # a load starts from the snapshot: a (tampered) snapshot state shows through
    await backend.sql(
        "UPDATE baskets.snapshots SET state = jsonb_set(state, '{customer_id}', '\"from-snap\"')"
        " WHERE stream_id = %s",
        (basket_id,),
    )
    basket = await get_basket(backend, basket_id)
    assert (basket["customer_id"], basket["items"][0]["quantity"]) == ("from-snap", 4)


async def test_concurrent_adds_all_count(backend: RunningBackend, shop: Shop) -> None:
    basket_id = await start_basket(backend, shop.customer_id)
    await asyncio.gather(*(add_item(backend, basket_id, shop.book) for _ in range(8)))
    (line,) = (await get_basket(backend, basket_id))["items"]
    assert line["quantity"] == 8


async def test_idempotency_keys(backend: RunningBackend, shop: Shop) -> None:
    body = {"customer_id": shop.customer_id, "idempotency_key": "start-1"}
    first = await backend.http.post("/api/baskets", json=body)
    second = await backend.http.post("/api/baskets", json=body)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    basket_id = first.json()["id"]
    add = {"product_id": shop.book, "quantity": 2, "idempotency_key": "add-1"}
    for _ in range(2):
        await ok(backend, "PUT", f"/api/baskets/{basket_id}/addItem", add)
    (line,) = (await get_basket(backend, basket_id))["items"]
    assert line["quantity"] == 2


async def test_another_customers_idempotency_key_replays_nothing(
    backend: RunningBackend, shop: Shop
) -> None:
    """A repeat skips the command and so its ownership check: a key is the caller's own, so
    another customer who sends it (on the owner's basket) is checked, not answered the basket."""
    basket_id = await backend.http.post("/api/baskets", json={"customer_id": shop.customer_id})
    basket_id = basket_id.json()["id"]
    add = {"product_id": shop.book, "quantity": 1, "idempotency_key": "add-1"}
    owner = backend_headers(Principal("customer", customer_id=shop.customer_id))
    stranger = backend_headers(Principal("customer", customer_id=str(uuid.uuid4())))
    path = f"/api/baskets/{basket_id}/addItem"
    first = await backend.http.put(path, json=add, headers=owner)
    replayed = await backend.http.put(path, json=add, headers=stranger)
    assert first.status_code == 200
    assert replayed.status_code == 404, replayed.text
    assert replayed.json()["code"] == "NOT_FOUND"
    again = await backend.http.put(path, json=add, headers=owner)  # the owner's own repeat
    assert again.json() == first.json()
    (line,) = (await get_basket(backend, basket_id))["items"]
    assert line["quantity"] == 1


# --- products and stores: caches and fall-backs ---


async def test_the_caches_follow_the_stores_topics(backend: RunningBackend) -> None:
    store_id = await create_store(backend)
    product_id = await add_product(backend, store_id, "Old Name", "10.00")
    await eventually(lambda: cached_product(backend, product_id), lambda rows: len(rows) == 1)
    await ok(backend, "PUT", f"/api/stores/{store_id}/rebrand", {"name": "New Books"})
    await ok(backend, "PUT", f"/api/stores/products/{product_id}/rebrand", {"name": "New Name"})
    await ok(backend, "PUT", f"/api/stores/products/{product_id}/increasePrice", {"price": "12.00"})
    await ok(backend, "PUT", f"/api/stores/products/{product_id}/decreasePrice", {"price": "11.25"})
    await eventually(
        lambda: cached_product(backend, product_id),
        lambda rows: rows == [("New Name", Decimal("11.25"), False)],
    )
    await eventually(
        lambda: cached_store(backend, store_id), lambda rows: rows == [("New Books", True)]
    )
    # a basket line takes the cached names and price
    basket_id = await start_basket(backend, await register_customer(backend))
    await add_item(backend, basket_id, product_id)
    (line,) = (await get_basket(backend, basket_id))["items"]
    assert (line["store_name"], line["product_name"], line["price"]) == (
        "New Books",
        "New Name",
        "11.25",
    )

    await ok(backend, "DELETE", f"/api/stores/products/{product_id}", {})
    await eventually(lambda: cached_product(backend, product_id), lambda rows: rows[0][2] is True)
    response = await backend.http.put(
        f"/api/baskets/{basket_id}/addItem", json={"product_id": product_id, "quantity": 1}
    )
    assert response.status_code == 404
    assert response.json()["message"] == f"product with id: `{product_id}` does not exist"
    # a removed product already in the basket can still be taken out
    await ok(
        backend,
        "PUT",
        f"/api/baskets/{basket_id}/removeItem",
        {"product_id": product_id, "quantity": 1},
    )
    assert (await get_basket(backend, basket_id))["items"] == []


async def test_a_cache_miss_falls_back_to_the_stores_module(
    backend: RunningBackend, shop: Shop
) -> None:
    await eventually(lambda: cached_product(backend, shop.pen), lambda rows: len(rows) == 1)
    await eventually(lambda: cached_store(backend, shop.store_id), lambda rows: len(rows) == 1)
    await backend.sql("DELETE FROM baskets.products_cache WHERE id = %s", (shop.pen,))
    await backend.sql("DELETE FROM baskets.stores_cache WHERE id = %s", (shop.store_id,))
    basket_id = await start_basket(backend, shop.customer_id)
    await add_item(backend, basket_id, shop.pen)
    (line,) = (await get_basket(backend, basket_id))["items"]
    assert (line["product_name"], line["price"], line["store_name"]) == (
        "Pen",
        "1.50",
        "Waldorf Books",
    )
    assert await cached_product(backend, shop.pen) == [("Pen", Decimal("1.50"), False)]
    assert await cached_store(backend, shop.store_id) == [("Waldorf Books", True)]


async def test_only_participating_stores_sell(backend: RunningBackend, shop: Shop) -> None:
    store_id = await create_store(backend, participating=False)
    product_id = await add_product(backend, store_id)
    await eventually(lambda: cached_store(backend, store_id), lambda rows: len(rows) == 1)
    basket_id = await start_basket(backend, shop.customer_id)
    item = {"product_id": product_id, "quantity": 1}
    response = await backend.http.put(f"/api/baskets/{basket_id}/addItem", json=item)
    assert response.status_code == 400
    assert response.json()["message"] == "the store is not participating"
    # the store joins: the very next add works, whether or not the cache has heard of it
    await ok(backend, "PUT", f"/api/stores/{store_id}/participating", {})
    await ok(backend, "PUT", f"/api/baskets/{basket_id}/addItem", item)
    assert len((await get_basket(backend, basket_id))["items"]) == 1


async def test_a_duplicate_stores_message_takes_effect_once(backend: RunningBackend) -> None:
    store_id = str(uuid.uuid4())
    message = new_message(
        stores_messages.STORE_TOPIC, stores_messages.StoreCreated(store_id, "Dup", "L1")
    )
    redis = backend.context("baskets").redis
    for _ in range(2):
        await redis.xadd(stores_messages.STORE_TOPIC, {ENVELOPE_FIELD: message.to_json()})
    rename = new_message(
        stores_messages.STORE_TOPIC, stores_messages.StoreRebranded(store_id, "Renamed")
    )
    await redis.xadd(stores_messages.STORE_TOPIC, {ENVELOPE_FIELD: rename.to_json()})
    # the rename comes after both copies: were the copy applied again, the name would be "Dup"
    await eventually(
        lambda: cached_store(backend, store_id), lambda rows: rows == [("Renamed", False)]
    )
    inbox = await backend.sql(
        "SELECT count(*) FROM baskets.inbox WHERE message_id = %s", (message.id,)
    )
    assert inbox == [(1,)]


async def test_a_malformed_stores_message_is_dead_lettered(backend: RunningBackend) -> None:
    good = new_message(
        stores_messages.PRODUCT_TOPIC,
        stores_messages.ProductRemoved(str(uuid.uuid4())),
    )
    broken = Message(**{**good.__dict__, "payload": {"product": "x"}})
    redis = backend.context("baskets").redis
    await redis.xadd(stores_messages.PRODUCT_TOPIC, {ENVELOPE_FIELD: broken.to_json()})
    dead = await eventually(
        lambda: redis.xrange(stores_messages.PRODUCT_TOPIC + DLQ_SUFFIX),
        lambda entries: any(
            Message.from_json(f[ENVELOPE_FIELD.encode()]).id == broken.id for _, f in entries
        ),
    )
    (entry,) = [f for _, f in dead if Message.from_json(f[ENVELOPE_FIELD.encode()]).id == broken.id]
    assert entry[b"group"] == b"baskets"
    assert entry[b"error"] == b"storesapi.ProductRemoved: id: missing"


# --- bad input ---


@pytest.fixture(scope="module")
async def open_basket(backend: RunningBackend, shop: Shop) -> str:
    basket_id = await start_basket(backend, shop.customer_id)
    await add_item(backend, basket_id, shop.book, 1000)
    return basket_id


async def written(backend: RunningBackend) -> list[tuple[Any, ...]]:
    """Every basket event and remembered idempotency key."""
    return await backend.sql(
        "SELECT stream_id, stream_version FROM baskets.events"
        " UNION ALL SELECT key, 0 FROM baskets.idempotency ORDER BY 1, 2"
    )


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("POST", "/api/baskets", {}, 400, "invalid request: customer_id: missing"),
        ("POST", "/api/baskets", {"customer_id": 7}, 400,
         "invalid request: customer_id: expected a string"),
        ("POST", "/api/baskets", {"customer_id": " "}, 400, "the customer id cannot be blank"),
        ("POST", "/api/baskets", {"customer_id": "nobody"}, 404,
         "customer with id: `nobody` does not exist"),
        ("POST", "/api/baskets", {"customer_id": "../stores/x"}, 400,
         "invalid request: customer_id: not an id"),
        ("POST", "/api/baskets", {"customer_id": "c" * 1001}, 400,
         "invalid request: customer_id: longer than 1000 characters"),
        ("POST", "/api/baskets", {"customer_id": "nobody", "idempotency_key": 1}, 400,
         "invalid request: idempotency_key: expected a string"),
        ("GET", "/api/baskets/nope", None, 404, "basket with id: `nope` does not exist"),
        ("PUT", "/api/baskets/nope/addItem", {"product_id": "{book}", "quantity": 1}, 404,
         "basket with id: `nope` does not exist"),
        ("PUT", "/api/baskets/{basket}/addItem", {"product_id": "nope", "quantity": 1}, 404,
         "product with id: `nope` does not exist"),
        ("PUT", "/api/baskets/{basket}/addItem", {"product_id": "{pen}"}, 400,
         "invalid request: quantity: missing"),
        ("PUT", "/api/baskets/{basket}/addItem", {"quantity": 1}, 400,
         "invalid request: product_id: missing"),
        ("PUT", "/api/baskets/{basket}/addItem", {"product_id": "{pen}", "quantity": "1"}, 400,
         "invalid request: quantity: expected a whole number"),
        ("PUT", "/api/baskets/{basket}/addItem", {"product_id": "{pen}", "quantity": 1.5}, 400,
         "invalid request: quantity: expected a whole number"),
        ("PUT", "/api/baskets/{basket}/addItem", {"product_id": "{pen}", "quantity": 0}, 400,
         "the item quantity must be positive"),
        ("PUT", "/api/baskets/{basket}/addItem", {"product_id": "{pen}", "quantity": -1}, 400,
         "the item quantity must be positive"),
        ("PUT", "/api/baskets/{basket}/addItem", {"product_id": "{pen}", "quantity": 1001}, 400,
         "the item quantity is too large"),
        ("PUT", "/api/baskets/{basket}/addItem", {"product_id": "{book}", "quantity": 1}, 400,
         "the item quantity is too large"),
        ("PUT", "/api/baskets/{basket}/addItem",
         {"product_id": "{pen}", "quantity": 10**30}, 400,
         "invalid request: quantity: expected a whole number"),
        ("PUT", "/api/baskets/{basket}/addItem", {"product_id": "p" * 1001, "quantity": 1}, 400,
         "invalid request: product_id: longer than 1000 characters"),
        ("PUT", "/api/baskets/nope/removeItem", {"product_id": "{book}", "quantity": 1}, 404,
         "basket with id: `nope` does not exist"),
        ("PUT", "/api/baskets/{basket}/removeItem", {"product_id": "nope", "quantity": 1}, 404,
         "product with id: `nope` does not exist"),
        ("PUT", "/api/baskets/{basket}/removeItem", {"product_id": "{book}", "quantity": 0},
         400, "the item quantity must be positive"),
        ("PUT", "/api/baskets/{basket}/removeItem", {"product_id": "{book}", "quantity": 5000},
         400, "the item quantity is too large"),
        ("PUT", "/api/baskets/{basket}/removeItem", {"product_id": "{book}"}, 400,
         "invalid request: quantity: missing"),
        ("PUT", "/api/baskets/{basket}/checkout", {}, 400, "invalid request: payment_id: missing"),
        ("PUT", "/api/baskets/{basket}/checkout", {"payment_id": " "}, 400,
         "the payment id cannot be blank"),
        ("PUT", "/api/baskets/{basket}/checkout", {"payment_id": ["x"]}, 400,
         "invalid request: payment_id: expected a string"),
        ("PUT", "/api/baskets/nope/checkout", {"payment_id": "pay"}, 404,
         "basket with id: `nope` does not exist"),
        ("DELETE", "/api/baskets/nope", {}, 404, "basket with id: `nope` does not exist"),
        ("DELETE", "/api/baskets/{basket}", [], 400,
         "invalid request: Idempotent: expected an object"),
    ],
)  # fmt: skip
async def test_bad_input_is_a_clear_4xx_and_writes_nothing(
    backend: RunningBackend,
    shop: Shop,
    open_basket: str,
    method: str,
    path: str,
    body: Any,
    status: int,
    message: str,
) -> None:
    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.format(basket=open_basket, book=shop.book, pen=shop.pen)
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value

    before = await written(backend)
    response = await backend.http.request(method, fill(path), json=fill(body))
    assert response.status_code == status, response.text
    assert response.json()["message"] == message
    assert await written(backend) == before


async def test_checkout_of_an_empty_basket_is_refused(backend: RunningBackend, shop: Shop) -> None:
    basket_id = await start_basket(backend, shop.customer_id)
    response = await backend.http.put(
        f"/api/baskets/{basket_id}/checkout", json={"payment_id": "pay-1"}
    )
    assert response.status_code == 400
    assert response.json()["message"] == "the basket has no items"
    assert (await get_basket(backend, basket_id))["status"] == "open"


async def test_a_basket_total_cannot_exceed_what_an_order_can_hold(backend: RunningBackend) -> None:
    store_id = await create_store(backend)
    dear = await add_product(backend, store_id, "Yacht", str(MAX_AMOUNT))
    pen = await add_product(backend, store_id, "Pen", "1.50")
    customer_id = await register_customer(backend)
    basket_id = await start_basket(backend, customer_id)
    refused = {"code": "BAD_REQUEST", "message": f"the basket total cannot exceed {MAX_AMOUNT}"}

    async def refused_adds(*adds: tuple[str, int]) -> None:
        before = await written(backend)
        for product_id, quantity in adds:
            response = await backend.http.put(
                f"/api/baskets/{basket_id}/addItem",
                json={"product_id": product_id, "quantity": quantity},
            )
            assert (response.status_code, response.json()) == (400, refused), (product_id, quantity)
        assert await written(backend) == before

    await refused_adds((dear, 1000), (dear, 2))
    assert (await get_basket(backend, basket_id))["items"] == []
    await add_item(backend, basket_id, dear)  # exactly the maximum
    await refused_adds((pen, 1), (dear, 1))
    assert (await get_basket(backend, basket_id))["total"] == str(MAX_AMOUNT)

    # the largest basket becomes an order: ordering can store its total
    await ok(backend, "PUT", f"/api/baskets/{basket_id}/checkout", {"payment_id": "pay-1"})
    order_id = order_id_for_basket(basket_id)
    response = await eventually(
        lambda: backend.http.get(f"/api/ordering/{order_id}"), lambda r: r.status_code == 200
    )
    assert response.json()["order"]["total"] == str(MAX_AMOUNT)


async def test_checkout_rechecks_the_total(backend: RunningBackend, shop: Shop) -> None:
    """A basket filled beyond the bound before there was one is refused at checkout, not
    turned into a BasketCheckedOut that ordering could only dead-letter."""
    basket_id = await start_basket(backend, shop.customer_id)
    await add_item(backend, basket_id, shop.pen, 2)
    await backend.sql(
        "UPDATE baskets.events SET payload = jsonb_set(payload, '{item,price}', to_jsonb(%s::text))"
        " WHERE stream_id = %s AND event_type = 'baskets.BasketItemAdded'",
        (str(MAX_AMOUNT), basket_id),
    )
    assert (await get_basket(backend, basket_id))["total"] == str(2 * MAX_AMOUNT)
    before = await written(backend)
    response = await backend.http.put(
        f"/api/baskets/{basket_id}/checkout", json={"payment_id": "pay-1"}
    )
    assert (response.status_code, response.json()) == (
        400,
        {"code": "BAD_REQUEST", "message": f"the basket total cannot exceed {MAX_AMOUNT}"},
    )
    assert await written(backend) == before
    assert (await get_basket(backend, basket_id))["status"] == "open"


async def test_openapi_document_lists_every_operation(backend: RunningBackend) -> None:
    document = (await backend.http.get("/api/baskets/openapi.json")).json()
    assert set(document["paths"]) == {
        "/api/baskets",
        "/api/baskets/{id}",
        "/api/baskets/{id}/addItem",
        "/api/baskets/{id}/removeItem",
        "/api/baskets/{id}/checkout",
    }
    assert set(document["paths"]["/api/baskets/{id}"]) == {"get", "delete"}
