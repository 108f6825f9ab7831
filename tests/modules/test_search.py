"""The search module over HTTP and Redis on real PostgreSQL: its caches, the order read model,
every filter and cursor pagination. Messages are published to Redis the way their producers
publish them; the stores module runs alongside for the cache fall-back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from backend.customers.messages import CUSTOMER_TOPIC, CustomerRegistered, CustomerSmsChanged
from backend.customers.module import module as customers
from backend.ordering.messages import (
    ORDER_TOPIC,
    OrderApproved,
    OrderCanceled,
    OrderCompleted,
    OrderCreated,
    OrderItem,
    OrderReadied,
    OrderRejected,
)
from backend.platform.cache import with_version
from backend.platform.consumer import DLQ_SUFFIX
from backend.platform.messages import ENVELOPE_FIELD, Message, Payload, new_message
from backend.search.module import module as search
from backend.stores.messages import (
    PRODUCT_TOPIC,
    STORE_TOPIC,
    ProductAdded,
    ProductRebranded,
    ProductRemoved,
    StoreCreated,
    StoreRebranded,
)
from backend.stores.module import module as stores
from tests.conftest import Servers
from tests.support.backend import RunningBackend, running_backend
from tests.support.waiting import eventually

T0 = dt.datetime(2031, 1, 1, tzinfo=dt.UTC)
"""The seeded orders are created in the hour after T0; other tests' orders are outside it."""
HOUR = {"after": T0.isoformat(), "before": (T0 + dt.timedelta(hours=1)).isoformat()}


@pytest.fixture(scope="module")
async def backend(servers: Servers) -> AsyncIterator[RunningBackend]:
    async with running_backend(
        servers.database_url, servers.redis_url, [stores, customers, search]
    ) as running:
        yield running


# --- helpers ---------------------------------------------------------------------------------


def message(topic: str, payload: Payload, when: dt.datetime | None = None) -> Message:
    fresh = new_message(topic, payload)
    return dataclasses.replace(fresh, occurred_at=when.isoformat()) if when else fresh


async def publish(backend: RunningBackend, *messages: Message) -> None:
    for m in messages:
        await backend.host.redis.xadd(m.subject, {ENVELOPE_FIELD: m.to_json()})


async def drained(backend: RunningBackend, *topics: str) -> None:
    """Wait until search has read the last entry of each topic and acknowledged everything."""

    async def done() -> bool:
        for topic in topics:
            last = await backend.host.redis.xrevrange(topic, count=1)
            (group,) = [
                g for g in await backend.host.redis.xinfo_groups(topic) if g["name"] == b"search"
            ]
            if not last or group["last-delivered-id"] != last[0][0] or group["pending"]:
                return False
        return True

    await eventually(done, bool)


async def get_order(backend: RunningBackend, order_id: str) -> Any:
    response = await backend.http.get(f"/api/search/orders/{order_id}")
    return response.json()["order"] if response.status_code == 200 else None


async def search_page(backend: RunningBackend, body: dict[str, Any]) -> Any:
    response = await backend.http.post("/api/search/orders", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def search_all(
    backend: RunningBackend, filters: dict[str, Any], limit: int = 2
) -> list[dict[str, Any]]:
    """Every page of a search, following the cursor; checks that pages are full but the last."""
    found: list[dict[str, Any]] = []
    next_cursor = None
    while True:
        page = await search_page(backend, {"filters": filters, "next": next_cursor, "limit": limit})
        found += page["orders"]
        next_cursor = page["next"]
        if next_cursor is None:
            return found
        assert len(page["orders"]) == limit


async def search_all_from(
    backend: RunningBackend, filters: dict[str, Any], cursor: str | None, limit: int
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while cursor is not None:
        page = await search_page(backend, {"filters": filters, "next": cursor, "limit": limit})
        found += page["orders"]
        cursor = page["next"]
    return found


def new_id() -> str:
    return str(uuid.uuid4())


# --- the seeded mall -------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedOrder:
    id: str
    customer: str
    lines: list[tuple[str, int, str]]  # (product key, quantity, price)
    minute: int
    status: str

    @property
    def created_at(self) -> dt.datetime:
        return T0 + dt.timedelta(minutes=self.minute)


@dataclass
class Mall:
    customers: dict[str, str]
    stores: dict[str, str]
    products: dict[str, tuple[str, str]]  # key -> (product id, store key)
    orders: list[SeedOrder]

    def total(self, order: SeedOrder) -> Decimal:
        return sum((Decimal(price) * qty for _, qty, price in order.lines), Decimal(0))

    def store_ids(self, order: SeedOrder) -> set[str]:
        return {self.stores[self.products[key][1]] for key, _, _ in order.lines}

    def product_ids(self, order: SeedOrder) -> set[str]:
        return {self.products[key][0] for key, _, _ in order.lines}

    def expected(self, keep: Callable[[SeedOrder], bool]) -> list[str]:
        """The ids of the seeded orders that ``keep`` accepts, newest first."""
        chosen = [o for o in self.orders if keep(o)]
        chosen.sort(key=lambda o: (o.created_at, o.id), reverse=True)
        return [o.id for o in chosen]


STATUS_EVENTS: dict[str, list[Callable[[str], Payload]]] = {
    "pending": [],
    "approved": [lambda i: OrderApproved(i, "c", "p")],
    "rejected": [lambda i: OrderRejected(i, "c", "p")],
    "ready": [
        lambda i: OrderApproved(i, "c", "p"),
        lambda i: OrderReadied(i, "c", "p", Decimal(1)),
    ],
    "completed": [
        lambda i: OrderApproved(i, "c", "p"),
        lambda i: OrderReadied(i, "c", "p", Decimal(1)),
        lambda i: OrderCompleted(i, "c", "invoice-1"),
    ],
    "cancelled": [lambda i: OrderCanceled(i, "c", "p", "")],
}


@pytest.fixture(scope="module")
async def mall(backend: RunningBackend) -> Mall:
    customers = {"alice": new_id(), "bob": new_id()}
    store_ids = {"books": new_id(), "toys": new_id()}
    products = {
        "novel": (new_id(), "books"),
        "atlas": (new_id(), "books"),
        "robot": (new_id(), "toys"),
    }
    await publish(
        backend,
        message(CUSTOMER_TOPIC, CustomerRegistered(customers["alice"], "Alice", "555-0001")),
        message(CUSTOMER_TOPIC, CustomerRegistered(customers["bob"], "Bob", "555-0002")),
        message(STORE_TOPIC, StoreCreated(store_ids["books"], "Books", "Level 1")),
        message(STORE_TOPIC, StoreCreated(store_ids["toys"], "Toys", "Level 2")),
        *[
            message(
                PRODUCT_TOPIC,
                ProductAdded(pid, store_ids[store], key.title(), "", "", Decimal("1.00")),
            )
            for key, (pid, store) in products.items()
        ],
    )
    await drained(backend, CUSTOMER_TOPIC, STORE_TOPIC, PRODUCT_TOPIC)
    same_minute = sorted([new_id(), new_id()])
    orders = [
        SeedOrder(new_id(), "alice", [("novel", 1, "10.00")], 1, "pending"),
        SeedOrder(new_id(), "alice", [("robot", 2, "5.50")], 2, "approved"),
        SeedOrder(new_id(), "bob", [("novel", 1, "10.00"), ("robot", 1, "5.50")], 3, "rejected"),
        SeedOrder(new_id(), "bob", [("atlas", 3, "20.00")], 4, "ready"),
        SeedOrder(same_minute[0], "alice", [("atlas", 1, "20.00"), ("novel", 2, "10.00")], 5,
                  "completed"),
        SeedOrder(same_minute[1], "bob", [("robot", 1, "5.50")], 5, "cancelled"),
        SeedOrder(new_id(), "alice", [("novel", 10, "10.00")], 6, "pending"),
    ]  # fmt: skip
    mall = Mall(customers, store_ids, products, orders)
    for order in orders:
        items = [
            OrderItem(products[key][0], store_ids[products[key][1]], Decimal(price), qty)
            for key, qty, price in order.lines
        ]
        created = OrderCreated(order.id, customers[order.customer], new_id(), "", items)
        await publish(backend, message(ORDER_TOPIC, created, order.created_at))
        for step, make in enumerate(STATUS_EVENTS[order.status], start=1):
            when = order.created_at + dt.timedelta(seconds=step)
            await publish(backend, message(ORDER_TOPIC, make(order.id), when))
    await drained(backend, ORDER_TOPIC)
    return mall


# --- the read model --------------------------------------------------------------------------


async def test_an_order_carries_names_total_status_and_times(
    backend: RunningBackend, mall: Mall
) -> None:
    order = mall.orders[2]
    view = await get_order(backend, order.id)
    assert view == {
        "order_id": order.id,
        "customer_id": mall.customers["bob"],
        "customer_name": "Bob",
        "items": [
            {
                "product_id": mall.products["novel"][0],
                "store_id": mall.stores["books"],
                "product_name": "Novel",
                "store_name": "Books",
                "price": "10.00",
                "quantity": 1,
            },
            {
                "product_id": mall.products["robot"][0],
                "store_id": mall.stores["toys"],
                "product_name": "Robot",
                "store_name": "Toys",
                "price": "5.50",
                "quantity": 1,
            },
        ],
        "total": "15.50",
        "status": "rejected",
        "created_at": view["created_at"],
        "updated_at": view["updated_at"],
    }
    assert dt.datetime.fromisoformat(view["created_at"]) == order.created_at
    assert dt.datetime.fromisoformat(view["updated_at"]) == order.created_at + dt.timedelta(
        seconds=1
    )


async def test_every_order_event_sets_its_status(backend: RunningBackend, mall: Mall) -> None:
    for order in mall.orders:
        view = await get_order(backend, order.id)
        assert view["status"] == order.status, order
        assert Decimal(view["total"]) == mall.total(order)


async def test_unknown_order_is_not_found(backend: RunningBackend) -> None:
    response = await backend.http.get("/api/search/orders/nope")
    assert (response.status_code, response.json()) == (
        404,
        {"code": "NOT_FOUND", "message": "order with id: `nope` does not exist"},
    )


async def test_a_late_status_change_never_goes_back(backend: RunningBackend, mall: Mall) -> None:
    completed = mall.orders[4]
    stale = message(ORDER_TOPIC, OrderApproved(completed.id, "c", "p"), completed.created_at)
    await publish(backend, stale)
    await drained(backend, ORDER_TOPIC)
    assert (await get_order(backend, completed.id))["status"] == "completed"


async def test_status_changes_are_ordered_by_the_orders_version_not_by_clocks(
    backend: RunningBackend,
) -> None:
    """Two ordering replicas on two hosts whose clocks disagree: the rejection (version 2) is
    stamped before the creation (version 1), yet it applies; a stale change (version 2 again,
    redelivered after version 3) does not."""
    order_id, now = new_id(), dt.datetime.now(dt.UTC)
    item = [OrderItem("p", "s", Decimal("1.00"), 1)]

    def versioned(payload: Payload, version: int, when: dt.datetime) -> Message:
        sent = message(ORDER_TOPIC, payload, when)
        return dataclasses.replace(sent, metadata={**sent.metadata, **with_version(version)})

    created = versioned(OrderCreated(order_id, new_id(), new_id(), "", item), 1, now)
    rejected = versioned(OrderRejected(order_id, "c", "p"), 2, now - dt.timedelta(seconds=1))
    await publish(backend, created, rejected)
    await drained(backend, ORDER_TOPIC)
    assert (await get_order(backend, order_id))["status"] == "rejected"
    cancelled = versioned(OrderCanceled(order_id, "c", "p", ""), 3, now - dt.timedelta(seconds=2))
    await publish(backend, cancelled, rejected)
    await drained(backend, ORDER_TOPIC)
    assert (await get_order(backend, order_id))["status"] == "cancelled"


async def test_a_status_change_before_the_order_waits_for_it(backend: RunningBackend) -> None:
    order_id, now = new_id(), dt.datetime.now(dt.UTC)
    approved = message(ORDER_TOPIC, OrderApproved(order_id, "c", "p"), now)
    created = message(
        ORDER_TOPIC,
        OrderCreated(order_id, new_id(), new_id(), "", [OrderItem("p", "s", Decimal("1.00"), 1)]),
        now - dt.timedelta(seconds=1),
    )
    await publish(backend, approved, created)
    view = await eventually(
        lambda: get_order(backend, order_id), lambda v: v is not None and v["status"] == "approved"
    )
    assert view["status"] == "approved"
    assert await backend.host.redis.xrange(ORDER_TOPIC + DLQ_SUFFIX) == []


async def test_duplicate_order_messages_have_one_effect(backend: RunningBackend) -> None:
    order_id, now = new_id(), dt.datetime.now(dt.UTC)
    created = message(
        ORDER_TOPIC,
        OrderCreated(order_id, new_id(), new_id(), "", [OrderItem("p", "s", Decimal("2.50"), 2)]),
        now,
    )
    readied = message(
        ORDER_TOPIC, OrderReadied(order_id, "c", "p", Decimal(5)), now + dt.timedelta(seconds=2)
    )
    await publish(backend, created, created, readied, created)
    await drained(backend, ORDER_TOPIC)
    rows = await backend.sql(
        "SELECT status, total FROM search.orders WHERE order_id = %s", (order_id,)
    )
    assert rows == [("ready", Decimal("5.00"))]


async def test_unknown_names_stay_blank_and_the_order_is_still_indexed(
    backend: RunningBackend,
) -> None:
    order_id = new_id()
    await publish(
        backend,
        message(
            ORDER_TOPIC,
            OrderCreated(
                order_id, "ghost", new_id(), "", [OrderItem("nop", "nos", Decimal("3.00"), 1)]
            ),
        ),
    )
    view = await eventually(lambda: get_order(backend, order_id), lambda v: v is not None)
    assert view["customer_name"] == ""
    assert (view["items"][0]["product_name"], view["items"][0]["store_name"]) == ("", "")
    assert view["total"] == "3.00"


# --- caches ----------------------------------------------------------------------------------


async def test_renames_change_the_caches_not_past_orders(
    backend: RunningBackend, mall: Mall
) -> None:
    store_id, (product_id, _) = mall.stores["toys"], mall.products["robot"]
    rebrand_store = message(STORE_TOPIC, StoreRebranded(store_id, "Toys & Games"))
    older = message(PRODUCT_TOPIC, ProductRebranded(product_id, "Robot v1", ""))
    newer = message(PRODUCT_TOPIC, ProductRebranded(product_id, "Robot v2", ""))
    # The older rename is delivered again after the newer one: the inbox drops the duplicate.
    await publish(backend, rebrand_store, older, newer, older)
    await drained(backend, STORE_TOPIC, PRODUCT_TOPIC)
    assert await backend.sql("SELECT name FROM search.stores_cache WHERE id = %s", (store_id,)) == [
        ("Toys & Games",)
    ]
    assert await backend.sql(
        "SELECT name FROM search.products_cache WHERE id = %s", (product_id,)
    ) == [("Robot v2",)]
    past = await get_order(backend, mall.orders[1].id)
    assert (past["items"][0]["product_name"], past["items"][0]["store_name"]) == ("Robot", "Toys")

    order_id = new_id()
    await publish(
        backend,
        message(
            ORDER_TOPIC,
            OrderCreated(
                order_id,
                mall.customers["alice"],
                new_id(),
                "",
                [OrderItem(product_id, store_id, Decimal("5.50"), 1)],
            ),
        ),
    )
    view = await eventually(lambda: get_order(backend, order_id), lambda v: v is not None)
    assert (view["items"][0]["product_name"], view["items"][0]["store_name"]) == (
        "Robot v2",
        "Toys & Games",
    )
    assert view["customer_name"] == "Alice"


async def test_ignored_messages_are_acknowledged_without_effect(
    backend: RunningBackend, mall: Mall
) -> None:
    product_id = mall.products["atlas"][0]
    customer_id = mall.customers["bob"]
    await publish(
        backend,
        message(PRODUCT_TOPIC, ProductRemoved(product_id)),
        message(CUSTOMER_TOPIC, CustomerSmsChanged(customer_id, "555-9999")),
    )
    await drained(backend, PRODUCT_TOPIC, CUSTOMER_TOPIC)
    assert await backend.sql(
        "SELECT name FROM search.products_cache WHERE id = %s", (product_id,)
    ) == [("Atlas",)], "a removed product keeps its name for the orders that have it"
    assert await backend.sql(
        "SELECT name FROM search.customers_cache WHERE id = %s", (customer_id,)
    ) == [("Bob",)]
    for topic in (PRODUCT_TOPIC, CUSTOMER_TOPIC):
        assert await backend.host.redis.xrange(topic + DLQ_SUFFIX) == []


async def test_a_cache_miss_falls_back_to_the_stores_module(backend: RunningBackend) -> None:
    created = await backend.http.post("/api/stores", json={"name": "Far Store", "location": "L9"})
    store_id = created.json()["id"]
    added = await backend.http.post(
        f"/api/stores/{store_id}/products", json={"name": "Far Product", "price": "2.00"}
    )
    product_id = added.json()["id"]
    await eventually(
        lambda: backend.sql("SELECT 1 FROM search.products_cache WHERE id = %s", (product_id,)),
        lambda rows: rows == [(1,)],
    )
    await drained(backend, STORE_TOPIC, PRODUCT_TOPIC)
    await backend.sql("DELETE FROM search.products_cache WHERE id = %s", (product_id,))
    await backend.sql("DELETE FROM search.stores_cache WHERE id = %s", (store_id,))
    order_id = new_id()
    await publish(
        backend,
        message(
            ORDER_TOPIC,
            OrderCreated(
                order_id, new_id(), new_id(), "", [OrderItem(product_id, store_id, Decimal(2), 1)]
            ),
        ),
    )
    view = await eventually(lambda: get_order(backend, order_id), lambda v: v is not None)
    assert (view["items"][0]["product_name"], view["items"][0]["store_name"]) == (
        "Far Product",
        "Far Store",
    )
    assert await backend.sql(
        "SELECT store_id, name FROM search.products_cache WHERE id = %s", (product_id,)
    ) == [(store_id, "Far Product")]
    assert await backend.sql("SELECT name FROM search.stores_cache WHERE id = %s", (store_id,)) == [
        ("Far Store",)
    ]


# --- searching -------------------------------------------------------------------------------


async def test_every_filter(backend: RunningBackend, mall: Mall) -> None:
    minute = dt.timedelta(minutes=1)
    cases: list[tuple[dict[str, Any], Callable[[SeedOrder], bool]]] = [
        ({}, lambda o: True),
        ({"customer_id": mall.customers["alice"]}, lambda o: o.customer == "alice"),
        ({"customer_id": "nobody"}, lambda o: False),
        (
            {"after": (T0 + 3 * minute).isoformat()},
            lambda o: o.created_at >= T0 + 3 * minute,
        ),
        (
            {"before": (T0 + 3 * minute).isoformat()},
            lambda o: o.created_at < T0 + 3 * minute,
        ),
        (
            {
                "after": (T0 + 2 * minute).isoformat(),
                "before": (T0 + 5 * minute).isoformat(),
            },
            lambda o: T0 + 2 * minute <= o.created_at < T0 + 5 * minute,
        ),
        ({"store_ids": [mall.stores["toys"]]}, lambda o: mall.stores["toys"] in mall.store_ids(o)),
        (
            {"store_ids": [mall.stores["toys"], mall.stores["books"]]},
            lambda o: True,
        ),
        (
            {"product_ids": [mall.products["atlas"][0]]},
            lambda o: mall.products["atlas"][0] in mall.product_ids(o),
        ),
        (
            {"product_ids": [mall.products["atlas"][0], mall.products["robot"][0]]},
            lambda o: bool({mall.products["atlas"][0], mall.products["robot"][0]}
                           & mall.product_ids(o)),
        ),
        ({"min_total": "15.50"}, lambda o: mall.total(o) >= Decimal("15.50")),
        ({"min_total": "15.500"}, lambda o: mall.total(o) >= Decimal("15.50")),
        ({"min_total": "0E-1000000"}, lambda o: True),
        ({"max_total": "1E+3"}, lambda o: mall.total(o) <= 1000),
        ({"max_total": "9999999999.99"}, lambda o: True),
        ({"max_total": "15.50"}, lambda o: mall.total(o) <= Decimal("15.50")),
        (
            {"min_total": "10", "max_total": "40.00"},
            lambda o: Decimal(10) <= mall.total(o) <= Decimal(40),
        ),
        *[({"status": s}, lambda o, s=s: o.status == s) for s in (
            "pending", "approved", "rejected", "ready", "cancelled", "completed")],
        (
            {
                "customer_id": mall.customers["alice"],
                "product_ids": [mall.products["novel"][0]],
                "min_total": "20",
                "status": "pending",
            },
            lambda o: o.customer == "alice"
            and mall.products["novel"][0] in mall.product_ids(o)
            and mall.total(o) >= 20
            and o.status == "pending",
        ),
    ]  # fmt: skip
    for filters, keep in cases:
        expected = mall.expected(keep)
        for limit in (2, 20):
            found = await search_all(backend, {**HOUR, **filters}, limit)
            assert [o["order_id"] for o in found] == expected, (filters, limit)
    assert len(mall.expected(lambda o: o.status == "pending")) == 2


async def test_results_match_get_order(backend: RunningBackend, mall: Mall) -> None:
    found = await search_all(backend, HOUR, limit=100)
    assert len(found) == len(mall.orders)
    for order in found:
        assert order == await get_order(backend, order["order_id"])


async def test_paging_is_stable_while_orders_arrive(backend: RunningBackend) -> None:
    """Keyset pagination: an order indexed between two pages does not shift the pages. One
    newer than the pages read so far is not shown; one in the part not read yet is."""
    start = T0 + dt.timedelta(days=1)
    window = {"after": start.isoformat(), "before": (start + dt.timedelta(hours=1)).isoformat()}

    async def order_at(minute: int) -> str:
        order_id = new_id()
        created = OrderCreated(
            order_id, new_id(), new_id(), "", [OrderItem("p", "s", Decimal(1), 1)]
        )
        await publish(backend, message(ORDER_TOPIC, created, start + dt.timedelta(minutes=minute)))
        return order_id

    by_minute = {minute: await order_at(minute) for minute in (10, 20, 30, 40, 50)}
    await drained(backend, ORDER_TOPIC)
    first = await search_page(backend, {"filters": window, "limit": 2})
    assert [o["order_id"] for o in first["orders"]] == [by_minute[50], by_minute[40]]
    newer, between = await order_at(55), await order_at(25)
    await drained(backend, ORDER_TOPIC)
    rest = await search_all_from(backend, window, first["next"], 2)
    assert [o["order_id"] for o in rest] == [by_minute[30], between, by_minute[20], by_minute[10]]
    fresh = await search_all(backend, window)
    assert [o["order_id"] for o in fresh][:2] == [newer, by_minute[50]]


async def test_search_without_filters_pages_through_everything(
    backend: RunningBackend, mall: Mall
) -> None:
    default = await search_page(backend, {})
    assert len(default["orders"]) <= 20
    everything = await search_all(backend, {}, limit=5)
    ids = [o["order_id"] for o in everything]
    assert len(ids) == len(set(ids)), "no order twice"
    keys = [(o["created_at"], o["order_id"]) for o in everything]
    assert keys == sorted(keys, key=lambda k: (dt.datetime.fromisoformat(k[0]), k[1]), reverse=True)
    seeded = [i for i in ids if i in {o.id for o in mall.orders}]
    assert seeded == mall.expected(lambda o: True)
    total = await backend.sql("SELECT count(*) FROM search.orders")
    assert len(ids) == total[0][0]


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"limit": 0}, "limit must be between 1 and 100"),
        ({"limit": 101}, "limit must be between 1 and 100"),
        ({"limit": "5"}, "invalid request: limit: expected a whole number"),
        ({"filters": []}, "invalid request: filters: expected an object"),
        ({"filters": {"status": "New"}}, "unknown status `New`; use one of pending, approved,"
         " rejected, ready, cancelled, completed"),
        ({"filters": {"after": "yesterday"}},
         "invalid request: filters.after: not an ISO datetime"),
        ({"filters": {"before": 5}}, "invalid request: filters.before: not an ISO datetime"),
        ({"filters": {"after": "2031-01-02T00:00:00Z", "before": "2031-01-01T00:00:00Z"}},
         "after cannot be later than before"),
        ({"filters": {"min_total": "abc"}},
         "invalid request: filters.min_total: not a decimal number"),
        ({"filters": {"min_total": 1.5}},
         "invalid request: filters.min_total: expected a decimal string"),
        ({"filters": {"min_total": "NaN"}}, "min_total must be a number"),
        ({"filters": {"min_total": "1e200000"}}, "min_total: more than 9999999999.99"),
        ({"filters": {"max_total": "10000000000"}}, "max_total: more than 9999999999.99"),
        ({"filters": {"min_total": "-1e999999999"}}, "min_total: less than 0"),
        ({"filters": {"max_total": "-1"}}, "max_total: less than 0"),
        ({"filters": {"min_total": "1e-999999999"}},
         "min_total: more than two decimal places"),
        ({"filters": {"max_total": "15.505"}},
         "max_total: more than two decimal places"),
        ({"filters": {"min_total": "9", "max_total": "1"}},
         "min_total cannot be greater than max_total"),
        ({"filters": {"store_ids": "s1"}}, "invalid request: filters.store_ids: expected a list"),
        ({"filters": {"product_ids": [1]}},
         "invalid request: filters.product_ids[0]: expected a string"),
        ({"filters": {"store_ids": [str(i) for i in range(101)]}},
         "store_ids cannot list more than 100 ids"),
        ({"filters": {"customer_id": "x" * 1001}},
         "invalid request: filters.customer_id: longer than 1000 characters"),
        ({"next": "garbage"}, "the cursor is not valid"),
        ({"next": 7}, "invalid request: next: expected a string"),
    ],
)  # fmt: skip
async def test_bad_search_input_is_a_clear_400(
    backend: RunningBackend, body: dict[str, Any], message: str
) -> None:
    response = await backend.http.post("/api/search/orders", json=body)
    assert (response.status_code, response.json()) == (
        400,
        {"code": "BAD_REQUEST", "message": message},
    )


async def test_a_cursor_cannot_continue_another_search(backend: RunningBackend, mall: Mall) -> None:
    page = await search_page(backend, {"filters": HOUR, "limit": 1})
    assert page["next"] is not None
    other = {**HOUR, "status": "pending"}
    response = await backend.http.post(
        "/api/search/orders", json={"filters": other, "next": page["next"]}
    )
    assert (response.status_code, response.json()["message"]) == (
        400,
        "the cursor belongs to a search with other filters",
    )


async def test_search_writes_nothing(backend: RunningBackend, mall: Mall) -> None:
    before = await backend.sql("SELECT count(*), max(updated_at) FROM search.orders")
    await search_all(backend, HOUR)
    await backend.http.post("/api/search/orders", json={"limit": 0})
    assert await backend.sql("SELECT count(*), max(updated_at) FROM search.orders") == before


async def test_openapi_document(backend: RunningBackend) -> None:
    document = (await backend.http.get("/api/search/openapi.json")).json()
    assert set(document["paths"]) == {"/api/search/orders", "/api/search/orders/{id}"}
    schema = document["paths"]["/api/search/orders"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    assert set(schema["properties"]["filters"]["properties"]) == {
        "customer_id",
        "after",
        "before",
        "store_ids",
        "product_ids",
        "min_total",
        "max_total",
        "status",
    }
