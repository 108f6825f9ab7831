"""The notifications module with the customers module, on real PostgreSQL and Redis.

Order events are put on the ordering topic directly, with the ordering contract's messages.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from backend.customers.module import module as customers
from backend.notifications.module import make_module
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
from backend.platform.consumer import DLQ_SUFFIX
from backend.platform.messages import ENVELOPE_FIELD, Message, Payload, new_message
from tests.conftest import Servers
from tests.support.backend import RunningBackend, running_backend
from tests.support.waiting import eventually


class RecordingSender:
    """An SMS gateway that remembers what it sent and can be told to fail."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.failures_left = 0
        self.database_url: str | None = None
        self.open_transactions: list[int] = []
        """With ``database_url``: the transactions open on that database at each send."""

    async def send(self, sms_number: str, text: str) -> None:
        if self.database_url is not None:
            async with await psycopg.AsyncConnection.connect(self.database_url) as conn:
                cur = await conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND state LIKE 'idle in transaction%%'"
                )
                row = await cur.fetchone()
                assert row is not None
                self.open_transactions.append(int(row[0]))
        if self.failures_left > 0:
            self.failures_left -= 1
            raise ConnectionError("the SMS gateway is down")
        self.sent.append((sms_number, text))

    def texts_about(self, order_id: str) -> list[tuple[str, str]]:
        return [(number, text) for number, text in self.sent if order_id in text]


SENDER = RecordingSender()


async def sent(order_id: str, count: int) -> list[tuple[str, str]]:
    """The texts about ``order_id`` once there are ``count``: they are sent after the commit
    that logs them, by the module's consumer of its own SMS requests."""
    return await eventually(
        lambda: asyncio.sleep(0, SENDER.texts_about(order_id)), lambda t: len(t) >= count
    )


@pytest.fixture(scope="module")
async def backend(servers: Servers) -> AsyncIterator[RunningBackend]:
    modules = [customers, make_module(SENDER)]
    async with running_backend(servers.database_url, servers.redis_url, modules) as running:
        yield running


def _entry_id(raw: bytes | str) -> tuple[int, ...]:
    text = raw.decode() if isinstance(raw, bytes) else raw
    return tuple(int(part) for part in text.split("-"))


async def deliver(backend: RunningBackend, payload: Payload, times: int = 1) -> Message:
    """Put an order event on its topic ``times`` times; return once notifications acked them."""
    message = new_message(ORDER_TOPIC, payload)
    await deliver_message(backend, message, times)
    return message


async def deliver_message(backend: RunningBackend, message: Message, times: int = 1) -> None:
    redis = backend.context("notifications").redis
    last = ""
    for _ in range(times):
        last = await redis.xadd(ORDER_TOPIC, {ENVELOPE_FIELD: message.to_json()})

    async def group() -> dict[Any, Any]:
        groups = await redis.xinfo_groups(ORDER_TOPIC)
        return next(g for g in groups if g["name"] in (b"notifications", "notifications"))

    await eventually(
        group,
        lambda g: g["pending"] == 0 and _entry_id(g["last-delivered-id"]) >= _entry_id(last),
    )


async def register(backend: RunningBackend, name: str, sms: str) -> str:
    response = await backend.http.post("/api/customers", json={"name": name, "sms_number": sms})
    assert response.status_code == 201, response.text
    customer_id = str(response.json()["id"])
    await eventually(lambda: cached(backend, customer_id), lambda row: row is not None)
    return customer_id


async def cached(backend: RunningBackend, customer_id: str) -> tuple[Any, ...] | None:
    rows = await backend.sql(
        "SELECT name, sms_number FROM notifications.customers_cache WHERE id = %s",
        (customer_id,),
    )
    return rows[0] if rows else None


async def notifications(backend: RunningBackend, customer_id: str) -> list[dict[str, Any]]:
    response = await backend.http.get("/api/notifications", params={"customer_id": customer_id})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["notifications"]
    return found


def created(order_id: str, customer_id: str) -> OrderCreated:
    return OrderCreated(
        order_id, customer_id, "p1", "", [OrderItem("pr", "st", Decimal("9.99"), 2)]
    )


async def test_customer_events_fill_the_cache(backend: RunningBackend) -> None:
    customer_id = await register(backend, "Buyer #1", "555-1212")
    assert await cached(backend, customer_id) == ("Buyer #1", "555-1212")
    changed = await backend.http.put(
        f"/api/customers/{customer_id}/change-sms", json={"sms_number": "555-3434"}
    )
    assert changed.status_code == 200
    await eventually(
        lambda: cached(backend, customer_id), lambda row: row == ("Buyer #1", "555-3434")
    )


async def test_every_order_event_is_texted_and_logged_newest_first(
    backend: RunningBackend,
) -> None:
    customer_id = await register(backend, "Ann", "555-0101")
    order_id = str(uuid.uuid4())
    await deliver(backend, created(order_id, customer_id))
    await deliver(backend, OrderApproved(order_id, customer_id, "p1"))
    await deliver(backend, OrderReadied(order_id, customer_id, "p1", Decimal("19.98")))
    await deliver(backend, OrderCompleted(order_id, customer_id, order_id))

    log = await notifications(backend, customer_id)
    assert [(n["kind"], n["order_id"], n["sms_number"]) for n in log] == [
        ("order_completed", order_id, "555-0101"),
        ("order_ready", order_id, "555-0101"),
        ("order_created", order_id, "555-0101"),
    ]
    assert log[1]["message"] == f"Hi Ann, your order {order_id} is ready for pickup."
    assert {n["customer_id"] for n in log} == {customer_id}
    assert len({n["id"] for n in log}) == 3
    assert all(n["sent_at"] for n in log)
    assert await sent(order_id, 3) == [
        ("555-0101", f"Hi Ann, we have received your order {order_id}."),
        ("555-0101", f"Hi Ann, your order {order_id} is ready for pickup."),
        ("555-0101", f"Hi Ann, your order {order_id} is complete. Thank you for shopping!"),
    ]


async def test_a_canceled_order_is_texted(backend: RunningBackend) -> None:
    customer_id = await register(backend, "Bob", "555-0202")
    order_id = str(uuid.uuid4())
    await deliver(backend, OrderRejected(order_id, customer_id, "p1"))
    await deliver(backend, OrderCanceled(order_id, customer_id, "p1"))
    assert [n["kind"] for n in await notifications(backend, customer_id)] == ["order_canceled"]
    assert await sent(order_id, 1) == [
        ("555-0202", f"Hi Bob, your order {order_id} has been canceled.")
    ]


async def test_a_duplicate_delivery_texts_once(backend: RunningBackend) -> None:
    customer_id = await register(backend, "Cid", "555-0303")
    order_id = str(uuid.uuid4())
    message = await deliver(backend, created(order_id, customer_id), times=2)
    # The same event under another message id (a producer that re-sent it) is one SMS too.
    await deliver(backend, created(order_id, customer_id))
    assert len(await notifications(backend, customer_id)) == 1
    assert len(await sent(order_id, 1)) == 1
    inbox = await backend.sql(
        "SELECT count(*) FROM notifications.inbox WHERE message_id = %s", (message.id,)
    )
    assert inbox == [(1,)]


async def test_a_new_sms_number_is_used_for_the_next_text(backend: RunningBackend) -> None:
    customer_id = await register(backend, "Dee", "555-0404")
    changed = await backend.http.put(
        f"/api/customers/{customer_id}/change-sms", json={"sms_number": "555-9090"}
    )
    assert changed.status_code == 200
    await eventually(lambda: cached(backend, customer_id), lambda row: row == ("Dee", "555-9090"))
    order_id = str(uuid.uuid4())
    await deliver(backend, created(order_id, customer_id))
    (notification,) = await notifications(backend, customer_id)
    assert notification["sms_number"] == "555-9090"
    assert [number for number, _ in await sent(order_id, 1)] == ["555-9090"]


async def test_an_uncached_customer_is_read_through_and_cached(backend: RunningBackend) -> None:
    # A customer that notifications never heard of (as the reference's seed rows).
    customer_id = str(uuid.uuid4())
    await backend.sql(
        "INSERT INTO customers.customers (id, name, sms_number, enabled) VALUES (%s, %s, %s, true)",
        (customer_id, "Seeded", "555-0505"),
    )
    order_id = str(uuid.uuid4())
    await deliver(backend, created(order_id, customer_id))
    (notification,) = await notifications(backend, customer_id)
    assert notification["message"] == f"Hi Seeded, we have received your order {order_id}."
    assert notification["sms_number"] == "555-0505"
    assert await cached(backend, customer_id) == ("Seeded", "555-0505")


async def test_an_unknown_customer_gets_no_text(backend: RunningBackend) -> None:
    order_id, nobody = str(uuid.uuid4()), str(uuid.uuid4())
    await deliver(backend, created(order_id, nobody))
    assert await notifications(backend, nobody) == []
    assert await cached(backend, nobody) is None
    assert SENDER.texts_about(order_id) == []
    dead = await backend.context("notifications").redis.xrange(ORDER_TOPIC + DLQ_SUFFIX)
    assert [f for _, f in dead if order_id.encode() in f[ENVELOPE_FIELD.encode()]] == []


async def test_a_failed_send_is_retried_and_logged_once(backend: RunningBackend) -> None:
    customer_id = await register(backend, "Eve", "555-0606")
    order_id = str(uuid.uuid4())
    SENDER.failures_left = 1
    await deliver(backend, created(order_id, customer_id))
    assert len(await notifications(backend, customer_id)) == 1, "logged once"
    assert len(await sent(order_id, 1)) == 1
    assert SENDER.failures_left == 0, "the first send failed and was retried"


async def test_the_sms_is_sent_with_no_transaction_open(backend: RunningBackend) -> None:
    """The text leaves after the commit that logged it: a slow SMS gateway holds no lock and no
    transaction (it used to be sent inside the logging transaction)."""
    customer_id = await register(backend, "Flo", "555-0707")
    order_id = str(uuid.uuid4())
    SENDER.database_url = backend.database_url
    try:
        await deliver(backend, created(order_id, customer_id))
        assert len(await sent(order_id, 1)) == 1
    finally:
        SENDER.database_url = None
    assert SENDER.open_transactions == [0]


async def test_a_malformed_order_event_is_dead_lettered(backend: RunningBackend) -> None:
    message = new_message(ORDER_TOPIC, created(str(uuid.uuid4()), "c1"))
    broken = Message(**{**message.__dict__, "payload": {"id": "o1"}})
    await deliver_message(backend, broken)
    entries = await backend.context("notifications").redis.xrange(ORDER_TOPIC + DLQ_SUFFIX)
    dead = [Message.from_json(f[ENVELOPE_FIELD.encode()]) for _, f in entries]
    assert [m.id for m in dead if m.id == broken.id] == [broken.id]


# --- the query's bad input ---


async def test_notifications_are_listed_per_customer_with_a_limit(
    backend: RunningBackend,
) -> None:
    customer_id = await register(backend, "Fay", "555-0707")
    orders = [str(uuid.uuid4()) for _ in range(3)]
    for order_id in orders:
        await deliver(backend, created(order_id, customer_id))
    response = await backend.http.get(
        "/api/notifications", params={"customer_id": customer_id, "limit": "2"}
    )
    assert [n["order_id"] for n in response.json()["notifications"]] == orders[:0:-1]
    assert await notifications(backend, "someone-else") == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "customer_id is required"),
        ("?customer_id=", "customer_id is required"),
        ("?customer_id=%20", "customer_id is required"),
        ("?customer_id=c1&limit=0", "limit must be a whole number from 1 to 500"),
        ("?customer_id=c1&limit=501", "limit must be a whole number from 1 to 500"),
        ("?customer_id=c1&limit=-1", "limit must be a whole number from 1 to 500"),
        ("?customer_id=c1&limit=ten", "limit must be a whole number from 1 to 500"),
        ("?customer_id=c1&limit=%C2%B2", "limit must be a whole number from 1 to 500"),
        ("?customer_id=c1&limit=2.0", "limit must be a whole number from 1 to 500"),
        (
            "?customer_id=c1&limit=99999999999999999999",
            "limit must be a whole number from 1 to 500",
        ),
    ],
)
async def test_bad_queries_are_a_clear_400(
    backend: RunningBackend, query: str, message: str
) -> None:
    response = await backend.http.get(f"/api/notifications{query}")
    assert response.status_code == 400
    assert response.json() == {"code": "BAD_REQUEST", "message": message}


async def test_openapi_document_lists_the_query(backend: RunningBackend) -> None:
    document = (await backend.http.get("/api/notifications/openapi.json")).json()
    assert set(document["paths"]) == {"/api/notifications"}
    assert set(document["paths"]["/api/notifications"]) == {"get"}
