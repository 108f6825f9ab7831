"""The ordering module over HTTP and Redis: checkouts, saga commands, depot and payments events."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from backend.baskets.messages import BASKET_TOPIC, BasketCheckedOut, BasketItem, BasketStarted
from backend.cosec.messages import SAGA_NAME
from backend.depot.messages import REPLY_TOPIC, SHOPPING_LIST_TOPIC, ShoppingListCompleted
from backend.ordering.domain import order_id_for_basket
from backend.ordering.messages import (
    COMMAND_TOPIC,
    ORDER_TOPIC,
    PROJECTION,
    ApproveOrder,
    RejectOrder,
)
from backend.ordering.module import module as ordering
from backend.payments.messages import INVOICE_TOPIC, InvoicePaid
from backend.platform.cache import message_version
from backend.platform.consumer import DLQ_SUFFIX
from backend.platform.messages import (
    COMMAND_REPLY_CHANNEL,
    COMMAND_SAGA_ID,
    COMMAND_SAGA_NAME,
    ENVELOPE_FIELD,
    REPLY_OUTCOME,
    REPLY_SAGA_ID,
    REPLY_SAGA_NAME,
    Message,
    Payload,
    new_message,
    projection_topic,
)
from backend.platform.money import MAX_AMOUNT
from tests.conftest import Servers
from tests.support.backend import RunningBackend, running_backend
from tests.support.waiting import eventually


@pytest.fixture(scope="module")
async def backend(servers: Servers) -> AsyncIterator[RunningBackend]:
    async with running_backend(
        servers.database_url, servers.redis_url, [ordering], snapshot_every=3
    ) as running:
        yield running


# --- helpers ---


async def send(backend: RunningBackend, message: Message, *, times: int = 1) -> Message:
    redis = backend.context("ordering").redis
    for _ in range(times):
        await redis.xadd(message.subject, {ENVELOPE_FIELD: message.to_json()})
    return message


async def publish(backend: RunningBackend, topic: str, payload: Payload) -> Message:
    return await send(backend, new_message(topic, payload))


async def order_events(backend: RunningBackend, order_id: str, count: int) -> list[Message]:
    """The order's integration events, once there are ``count`` of them."""
    messages = await eventually(
        lambda: backend.published(ORDER_TOPIC),
        lambda ms: len([m for m in ms if m.payload["id"] == order_id]) >= count,
    )
    return [m for m in messages if m.payload["id"] == order_id]


async def stored_events(backend: RunningBackend, order_id: str) -> list[str]:
    rows = await backend.sql(
        "SELECT event_type FROM ordering.events WHERE stream_id = %s ORDER BY stream_version",
        (order_id,),
    )
    return [name for (name,) in rows]


async def handled(backend: RunningBackend, *messages: Message) -> int:
    """How many of ``messages`` were handled successfully (their inbox row committed)."""
    rows = await backend.sql(
        "SELECT count(*) FROM ordering.inbox WHERE message_id = ANY(%s::uuid[])",
        ([m.id for m in messages],),
    )
    return int(rows[0][0])


async def get_order(backend: RunningBackend, order_id: str) -> dict[str, Any]:
    response = await backend.http.get(f"/api/ordering/{order_id}")
    assert response.status_code == 200, response.text
    order: dict[str, Any] = response.json()["order"]
    return order


async def order_status(backend: RunningBackend, order_id: str) -> str | None:
    response = await backend.http.get(f"/api/ordering/{order_id}")
    return str(response.json()["order"]["status"]) if response.status_code == 200 else None


async def reach(backend: RunningBackend, order_id: str, status: str) -> dict[str, Any]:
    await eventually(lambda: order_status(backend, order_id), lambda s: s == status)
    return await get_order(backend, order_id)


ITEMS = [
    BasketItem("s1", "p1", "Waldorf Books", "EDA with Golang", Decimal("49.99"), 2),
    BasketItem("s1", "p2", "Waldorf Books", "Pen", Decimal("1.50"), 1),
]


def checkout_message(basket_id: str, customer_id: str = "c1") -> Message:
    return new_message(BASKET_TOPIC, BasketCheckedOut(basket_id, customer_id, "pay-1", list(ITEMS)))


async def pending_order(backend: RunningBackend, customer_id: str = "c1") -> str:
    """A new pending order, made from a checkout."""
    basket_id = str(uuid.uuid4())
    await send(backend, checkout_message(basket_id, customer_id))
    order_id = order_id_for_basket(basket_id)
    await reach(backend, order_id, "pending")
    return order_id


async def command(
    backend: RunningBackend, payload: Payload, *, times: int = 1
) -> tuple[Message, Message]:
    """Send a saga command (``times`` times, same message); wait for its one reply."""
    saga_id = str(uuid.uuid4())
    message = new_message(
        COMMAND_TOPIC,
        payload,
        metadata={
            COMMAND_REPLY_CHANNEL: REPLY_TOPIC,
            COMMAND_SAGA_ID: saga_id,
            COMMAND_SAGA_NAME: SAGA_NAME,
        },
    )
    await send(backend, message, times=times)
    replies = await eventually(
        lambda: backend.published(REPLY_TOPIC),
        lambda ms: any(m.metadata.get("causation_id") == message.id for m in ms),
    )
    (reply,) = [m for m in replies if m.metadata.get("causation_id") == message.id]
    assert reply.metadata[REPLY_SAGA_ID] == saga_id
    assert reply.metadata[REPLY_SAGA_NAME] == SAGA_NAME
    return message, reply


async def approved_order(backend: RunningBackend, customer_id: str = "c1") -> str:
    order_id = await pending_order(backend, customer_id)
    _, reply = await command(backend, ApproveOrder(order_id, "shop-1"))
    assert reply.name == "reply.Success", reply
    return order_id


async def ready_order(backend: RunningBackend) -> str:
    order_id = await approved_order(backend)
    await publish(backend, SHOPPING_LIST_TOPIC, ShoppingListCompleted("shop-1", order_id))
    await reach(backend, order_id, "ready")
    return order_id


# --- creation from a checkout (O3) ---


async def test_a_checkout_creates_a_pending_order(backend: RunningBackend) -> None:
    basket_id = str(uuid.uuid4())
    checkout = await send(backend, checkout_message(basket_id, "c-create"))
    order_id = order_id_for_basket(basket_id)
    order = await reach(backend, order_id, "pending")
    assert {k: v for k, v in order.items() if k not in ("created_at", "updated_at")} == {
        "id": order_id,
        "customer_id": "c-create",
        "payment_id": "pay-1",
        "basket_id": basket_id,
        "invoice_id": "",
        "shopping_id": "",
        "rejection_reason": "",
        "items": [
            {
                "product_id": "p1",
                "store_id": "s1",
                "store_name": "Waldorf Books",
                "product_name": "EDA with Golang",
                "price": "49.99",
                "quantity": 2,
            },
            {
                "product_id": "p2",
                "store_id": "s1",
                "store_name": "Waldorf Books",
                "product_name": "Pen",
                "price": "1.50",
                "quantity": 1,
            },
        ],
        "total": "101.48",
        "status": "pending",
    }
    assert order["created_at"] == order["updated_at"]

    (created,) = await order_events(backend, order_id, 1)
    assert created.name == "ordersapi.OrderCreated"
    assert created.metadata["causation_id"] == checkout.id
    assert created.metadata["correlation_id"] == checkout.correlation_id
    assert created.payload == {
        "id": order_id,
        "customer_id": "c-create",
        "payment_id": "pay-1",
        "shopping_id": "",
        "items": [
            {
                "product_id": "p1",
                "store_id": "s1",
                "price": "49.99",
                "quantity": 2,
                "store_name": "Waldorf Books",
                "product_name": "EDA with Golang",
            },
            {
                "product_id": "p2",
                "store_id": "s1",
                "price": "1.50",
                "quantity": 1,
                "store_name": "Waldorf Books",
                "product_name": "Pen",
            },
        ],
    }


async def test_a_duplicate_checkout_delivery_creates_one_order(backend: RunningBackend) -> None:
    basket_id = str(uuid.uuid4())
    checkout = await send(backend, checkout_message(basket_id), times=2)
    order_id = order_id_for_basket(basket_id)
    await reach(backend, order_id, "pending")
    # a later message on the same topic is handled only after both copies were
    marker = await pending_order(backend)
    await order_events(backend, marker, 1)
    assert await stored_events(backend, order_id) == ["ordering.OrderCreated"]
    assert len(await order_events(backend, order_id, 1)) == 1
    inbox = await backend.sql(
        "SELECT count(*) FROM ordering.inbox WHERE message_id = %s", (checkout.id,)
    )
    assert inbox == [(1,)]


async def test_a_checkout_redelivered_as_a_new_message_gives_one_order(
    backend: RunningBackend,
) -> None:
    basket_id = str(uuid.uuid4())
    first, second = checkout_message(basket_id), checkout_message(basket_id, "someone-else")
    assert first.id != second.id
    await send(backend, first)
    await send(backend, second)
    marker = await pending_order(backend)
    await order_events(backend, marker, 1)
    order_id = order_id_for_basket(basket_id)
    assert await stored_events(backend, order_id) == ["ordering.OrderCreated"]
    assert (await get_order(backend, order_id))["customer_id"] == "c1"
    assert len(await order_events(backend, order_id, 1)) == 1
    rows = await backend.sql(
        "SELECT count(*) FROM ordering.orders WHERE basket_id = %s", (basket_id,)
    )
    assert rows == [(1,)]
    # the second was handled (a no-op), not failed: it is in the inbox, not on its way to the DLQ
    assert await handled(backend, second) == 1


async def test_a_checkout_beyond_the_money_maximum_is_dead_lettered_with_the_reason(
    backend: RunningBackend,
) -> None:
    """The baskets module refuses such a checkout; one that still arrives (say, published before
    it did) is refused by the order itself, naming the reason, instead of overflowing the orders
    table's numeric(14,2) total."""
    basket_id = str(uuid.uuid4())
    items = [BasketItem("s1", "p1", "Waldorf Books", "Yacht", MAX_AMOUNT, 1000)]
    message = await send(
        backend, new_message(BASKET_TOPIC, BasketCheckedOut(basket_id, "c1", "pay-1", items))
    )
    entry = await dead_letter(backend, BASKET_TOPIC, message.id)
    assert entry[b"error"] == f"BadRequest: the order total cannot exceed {MAX_AMOUNT}".encode()
    order_id = order_id_for_basket(basket_id)
    assert await stored_events(backend, order_id) == []
    assert await backend.sql("SELECT count(*) FROM ordering.orders WHERE id = %s", (order_id,)) == [
        (0,)
    ]


async def test_other_basket_events_are_ignored(backend: RunningBackend) -> None:
    started = await publish(backend, BASKET_TOPIC, BasketStarted(str(uuid.uuid4()), "c1"))
    await eventually(
        lambda: backend.sql("SELECT name FROM ordering.inbox WHERE message_id = %s", (started.id,)),
        lambda rows: rows == [("basketsapi.BasketStarted",)],
    )
    assert await stored_events(backend, order_id_for_basket(started.payload["id"])) == []


# --- the saga's commands ---


async def test_approve_order_replies_success_and_publishes(backend: RunningBackend) -> None:
    order_id = await pending_order(backend)
    command_message, reply = await command(backend, ApproveOrder(order_id, "shop-1"))
    assert (reply.name, reply.metadata[REPLY_OUTCOME]) == ("reply.Success", "SUCCESS")
    assert reply.subject == REPLY_TOPIC
    order = await get_order(backend, order_id)
    assert (order["status"], order["shopping_id"]) == ("approved", "shop-1")
    _, approved = await order_events(backend, order_id, 2)
    assert approved.name == "ordersapi.OrderApproved"
    assert approved.payload == {
        "id": order_id,
        "customer_id": "c1",
        "payment_id": "pay-1",
        "shopping_id": "shop-1",
    }
    assert approved.metadata["causation_id"] == command_message.id


async def test_reject_order_replies_success(backend: RunningBackend) -> None:
    order_id = await pending_order(backend)
    _, reply = await command(backend, RejectOrder(order_id))
    assert reply.name == "reply.Success"
    assert (await get_order(backend, order_id))["status"] == "rejected"
    created, rejected = await order_events(backend, order_id, 2)
    assert (rejected.name, rejected.payload) == (
        "ordersapi.OrderRejected",
        {"id": order_id, "customer_id": "c1", "payment_id": "pay-1"},
    )
    # the order's version after each event: consumers order changes by it, not by clocks
    assert [message_version(m) for m in (created, rejected)] == [1, 2]


async def test_a_refused_command_replies_failure_and_changes_nothing(
    backend: RunningBackend,
) -> None:
    order_id = await approved_order(backend)
    _, reply = await command(backend, ApproveOrder(order_id, "another-list"))
    assert (reply.name, reply.metadata[REPLY_OUTCOME]) == ("reply.Failure", "FAILURE")
    assert reply.payload == {"code": "BAD_REQUEST", "error": "the order cannot be approved"}
    order = await get_order(backend, order_id)
    assert (order["status"], order["shopping_id"]) == ("approved", "shop-1")
    assert await stored_events(backend, order_id) == [
        "ordering.OrderCreated",
        "ordering.OrderApproved",
    ]


async def test_a_command_for_an_unknown_order_replies_not_found(backend: RunningBackend) -> None:
    _, reply = await command(backend, ApproveOrder("nope", "shop-1"))
    assert reply.name == "reply.Failure"
    assert reply.payload == {"code": "NOT_FOUND", "error": "order with id: `nope` does not exist"}


async def test_repeated_commands_succeed_once(backend: RunningBackend) -> None:
    order_id = await pending_order(backend)
    # the same message twice: one reply
    _, reply = await command(backend, ApproveOrder(order_id, "shop-1"), times=2)
    assert reply.name == "reply.Success"
    # the same command again (a new message): success, no second transition
    _, reply = await command(backend, ApproveOrder(order_id, "shop-1"))
    assert reply.name == "reply.Success"
    assert await stored_events(backend, order_id) == [
        "ordering.OrderCreated",
        "ordering.OrderApproved",
    ]


async def test_rejecting_a_cancelled_order_succeeds_so_compensation_ends(
    backend: RunningBackend,
) -> None:
    order_id = await pending_order(backend)
    assert (await backend.http.request("DELETE", f"/api/ordering/{order_id}", json={})).is_success
    _, reply = await command(backend, RejectOrder(order_id))
    assert reply.name == "reply.Success"
    assert (await get_order(backend, order_id))["status"] == "cancelled"
    _, reply = await command(backend, ApproveOrder(order_id, "shop-1"))
    assert reply.payload["error"] == "the order cannot be approved"


async def test_rejecting_an_order_approved_too_late_cancels_it_so_compensation_ends(
    backend: RunningBackend,
) -> None:
    """RejectOrder is the saga's compensation, sent after it gave a step up: an order that a
    late ApproveOrder approved meanwhile (its shopping list is cancelled by then) is cancelled
    (OrderCanceled, which depot and payments follow), not left approved for ever."""
    order_id = await approved_order(backend)
    _, reply = await command(backend, RejectOrder(order_id, "ordersapi.ApproveOrder failed"))
    assert reply.name == "reply.Success"
    assert (await get_order(backend, order_id))["status"] == "cancelled"
    *_, canceled = await order_events(backend, order_id, 3)
    assert canceled.name == "ordersapi.OrderCanceled"
    assert await stored_events(backend, order_id) == [
        "ordering.OrderCreated",
        "ordering.OrderApproved",
        "ordering.OrderCanceled",
    ]


async def test_a_command_without_a_reply_channel_is_dead_lettered(backend: RunningBackend) -> None:
    order_id = await pending_order(backend)
    message = await publish(backend, COMMAND_TOPIC, ApproveOrder(order_id, "shop-1"))
    entry = await dead_letter(backend, COMMAND_TOPIC, message.id)
    assert (
        entry[b"error"] == f"ordersapi.ApproveOrder has no {COMMAND_REPLY_CHANNEL} header".encode()
    )
    assert await stored_events(backend, order_id) == ["ordering.OrderCreated"]


# --- ready and complete (depot and payments events) ---


async def test_the_shopping_list_readies_and_the_paid_invoice_completes(
    backend: RunningBackend,
) -> None:
    order_id = await approved_order(backend)
    done = await publish(backend, SHOPPING_LIST_TOPIC, ShoppingListCompleted("shop-1", order_id))
    await reach(backend, order_id, "ready")
    paid = await publish(backend, INVOICE_TOPIC, InvoicePaid("inv-1", order_id))
    order = await reach(backend, order_id, "completed")
    assert order["invoice_id"] == "inv-1", "O1: the invoice id is kept"
    assert order["updated_at"] > order["created_at"]

    _, _, readied, completed = await order_events(backend, order_id, 4)
    assert (readied.name, readied.payload) == (
        "ordersapi.OrderReadied",
        {"id": order_id, "customer_id": "c1", "payment_id": "pay-1", "total": "101.48"},
    )
    assert readied.metadata["causation_id"] == done.id
    assert (completed.name, completed.payload) == (
        "ordersapi.OrderCompleted",
        {"id": order_id, "customer_id": "c1", "invoice_id": "inv-1"},
    )
    assert completed.metadata["causation_id"] == paid.id


async def test_duplicate_depot_and_payments_messages_take_effect_once(
    backend: RunningBackend,
) -> None:
    order_id = await approved_order(backend)
    done = new_message(SHOPPING_LIST_TOPIC, ShoppingListCompleted("shop-1", order_id))
    await send(backend, done, times=2)
    # the same fact as a new message is a no-op too
    done_again = await publish(
        backend, SHOPPING_LIST_TOPIC, ShoppingListCompleted("shop-1", order_id)
    )
    paid = new_message(INVOICE_TOPIC, InvoicePaid("inv-1", order_id))
    await send(backend, paid, times=2)
    paid_again = await publish(backend, INVOICE_TOPIC, InvoicePaid("inv-1", order_id))
    await reach(backend, order_id, "completed")
    marker = await ready_order(backend)
    await send(backend, new_message(INVOICE_TOPIC, InvoicePaid("inv-m", marker)))
    await reach(backend, marker, "completed")
    assert await stored_events(backend, order_id) == [
        "ordering.OrderCreated",
        "ordering.OrderApproved",
        "ordering.OrderReadied",
        "ordering.OrderCompleted",
    ]
    assert len(await order_events(backend, order_id, 4)) == 4
    assert await handled(backend, done, done_again, paid, paid_again) == 4


async def test_an_event_that_overtook_the_approval_waits_for_it(backend: RunningBackend) -> None:
    """ShoppingListCompleted for a pending order is retried (not dead-lettered, however long
    the saga takes) until the order is approved, then readies it."""
    order_id = await pending_order(backend)
    consumer = backend.host.consumers["ordering"]
    before = consumer.counts["transient"]
    await publish(backend, SHOPPING_LIST_TOPIC, ShoppingListCompleted("shop-1", order_id))

    async def retries() -> int:
        return consumer.counts["transient"] - before

    await eventually(retries, lambda waited: waited > backend.host.settings.max_deliveries)
    assert (await get_order(backend, order_id))["status"] == "pending"
    _, reply = await command(backend, ApproveOrder(order_id, "shop-1"))
    assert reply.name == "reply.Success", reply
    await reach(backend, order_id, "ready")
    dead = await backend.context("ordering").redis.xrange(SHOPPING_LIST_TOPIC + DLQ_SUFFIX)
    assert not [f for _, f in dead if order_id.encode() in f[ENVELOPE_FIELD.encode()]]


async def test_a_refused_event_is_retried_then_dead_lettered(backend: RunningBackend) -> None:
    order_id = await pending_order(backend)
    _, reply = await command(backend, RejectOrder(order_id))
    assert reply.name == "reply.Success", reply
    message = await publish(backend, SHOPPING_LIST_TOPIC, ShoppingListCompleted("shop-1", order_id))
    redis = backend.context("ordering").redis
    dead = await eventually(
        lambda: redis.xrange(SHOPPING_LIST_TOPIC + DLQ_SUFFIX),
        lambda entries: any(
            Message.from_json(f[ENVELOPE_FIELD.encode()]).id == message.id for _, f in entries
        ),
    )
    (entry,) = [
        f for _, f in dead if Message.from_json(f[ENVELOPE_FIELD.encode()]).id == message.id
    ]
    assert entry[b"error"] == b"BadRequest: the order cannot be readied"
    assert entry[b"deliveries"] == b"3"
    assert await stored_events(backend, order_id) == [
        "ordering.OrderCreated", "ordering.OrderRejected"
    ]  # fmt: skip
    assert (await get_order(backend, order_id))["status"] == "rejected"


# --- the HTTP API ---


async def test_manual_ready_and_complete(backend: RunningBackend) -> None:
    order_id = await approved_order(backend)
    response = await backend.http.put(
        f"/api/ordering/{order_id}/complete", json={"invoice_id": "i"}
    )
    assert response.status_code == 400
    assert response.json() == {"code": "BAD_REQUEST", "message": "the order cannot be completed"}
    assert (await backend.http.put(f"/api/ordering/{order_id}/ready", json={})).json() == {}
    response = await backend.http.put(f"/api/ordering/{order_id}/ready", json={})
    assert response.json()["message"] == "the order cannot be readied"
    response = await backend.http.put(
        f"/api/ordering/{order_id}/complete", json={"invoice_id": "inv-7"}
    )
    assert response.status_code == 200, response.text
    order = await get_order(backend, order_id)
    assert (order["status"], order["invoice_id"]) == ("completed", "inv-7")
    response = await backend.http.request("DELETE", f"/api/ordering/{order_id}", json={})
    assert response.status_code == 400
    assert response.json()["message"] == "the order cannot be cancelled"


async def test_cancel_a_pending_or_an_approved_order(backend: RunningBackend) -> None:
    pending = await pending_order(backend)
    approved = await approved_order(backend)
    for order_id in (pending, approved):
        response = await backend.http.request("DELETE", f"/api/ordering/{order_id}", json={})
        assert response.status_code == 200, response.text
        assert (await get_order(backend, order_id))["status"] == "cancelled"
    canceled = (await order_events(backend, pending, 2))[-1]
    assert (canceled.name, canceled.payload) == (
        "ordersapi.OrderCanceled",
        {"id": pending, "customer_id": "c1", "payment_id": "pay-1", "shopping_id": ""},
    )
    canceled = (await order_events(backend, approved, 3))[-1]
    assert canceled.payload["shopping_id"] == "shop-1", "depot cancels the shopping list"


async def test_idempotency_key_on_cancel(backend: RunningBackend) -> None:
    order_id = await pending_order(backend)
    body = {"idempotency_key": "cancel-1"}
    for _ in range(2):
        response = await backend.http.request("DELETE", f"/api/ordering/{order_id}", json=body)
        assert response.status_code == 200, response.text
    assert await stored_events(backend, order_id) == [
        "ordering.OrderCreated",
        "ordering.OrderCanceled",
    ]


async def test_a_customers_orders_newest_first(backend: RunningBackend) -> None:
    customer_id = f"c-{uuid.uuid4().hex}"
    first = await pending_order(backend, customer_id)
    second = await approved_order(backend, customer_id)
    await pending_order(backend, "someone-else")
    response = await backend.http.get("/api/ordering", params={"customer_id": customer_id})
    assert response.status_code == 200
    orders = response.json()["orders"]
    assert [(o["id"], o["status"]) for o in orders] == [(second, "approved"), (first, "pending")]
    assert orders[1] == await get_order(backend, first)
    response = await backend.http.get("/api/ordering", params={"customer_id": "nobody"})
    assert response.json() == {"orders": []}


async def test_projection_updates_follow_every_change(backend: RunningBackend) -> None:
    order_id = await ready_order(backend)
    topic = projection_topic(PROJECTION)
    updates = await eventually(
        lambda: backend.published(topic),
        lambda ms: len([m for m in ms if m.payload["key"] == order_id]) == 3,
    )
    mine = [m.payload for m in updates if m.payload["key"] == order_id]
    assert [u["state"]["status"] for u in mine] == ["pending", "approved", "ready"]
    assert mine[-1]["state"] == await get_order(backend, order_id)
    assert mine[-1]["state"]["customer_id"] == "c1"


async def test_snapshots_are_taken(backend: RunningBackend) -> None:
    order_id = await ready_order(backend)
    rows = await backend.sql(
        "SELECT stream_version, state->>'status' FROM ordering.snapshots WHERE stream_id = %s",
        (order_id,),
    )
    assert rows == [(3, "ready")]
    assert (
        await backend.http.put(f"/api/ordering/{order_id}/complete", json={"invoice_id": "i-1"})
    ).is_success
    assert (await get_order(backend, order_id))["status"] == "completed"


# --- bad input ---


async def written(backend: RunningBackend) -> list[tuple[Any, ...]]:
    """Every order event and remembered idempotency key."""
    return await backend.sql(
        "SELECT stream_id, stream_version FROM ordering.events"
        " UNION ALL SELECT key, 0 FROM ordering.idempotency ORDER BY 1, 2"
    )


@pytest.fixture(scope="module")
async def known_order(backend: RunningBackend) -> str:
    return await ready_order(backend)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("GET", "/api/ordering/nope", None, 404, "order with id: `nope` does not exist"),
        ("GET", "/api/ordering", None, 400, "customer_id is required"),
        ("GET", "/api/ordering?customer_id=%20", None, 400, "customer_id is required"),
        ("GET", "/api/ordering?customer_id=" + "c" * 1001, None, 400,
         "customer_id is longer than 1000 characters"),
        ("DELETE", "/api/ordering/nope", {}, 404, "order with id: `nope` does not exist"),
        ("DELETE", "/api/ordering/{order}", {}, 400, "the order cannot be cancelled"),
        ("DELETE", "/api/ordering/{order}", {"idempotency_key": 5}, 400,
         "invalid request: idempotency_key: expected a string"),
        ("PUT", "/api/ordering/nope/ready", {}, 404, "order with id: `nope` does not exist"),
        ("PUT", "/api/ordering/{order}/ready", {}, 400, "the order cannot be readied"),
        ("PUT", "/api/ordering/{order}/ready", "x", 400,
         "invalid request: Idempotent: expected an object"),
        ("PUT", "/api/ordering/nope/complete", {"invoice_id": "i"}, 404,
         "order with id: `nope` does not exist"),
        ("PUT", "/api/ordering/{order}/complete", {}, 400, "invalid request: invoice_id: missing"),
        ("PUT", "/api/ordering/{order}/complete", {"invoice_id": 1}, 400,
         "invalid request: invoice_id: expected a string"),
        ("PUT", "/api/ordering/{order}/complete", {"invoice_id": " "}, 400,
         "the invoice id cannot be blank"),
        ("PUT", "/api/ordering/{order}/complete", {"invoice_id": "i" * 1001}, 400,
         "invalid request: invoice_id: longer than 1000 characters"),
        ("POST", "/api/ordering", {}, 405, None),
    ],
)  # fmt: skip
async def test_bad_input_is_a_clear_4xx_and_writes_nothing(
    backend: RunningBackend,
    known_order: str,
    method: str,
    path: str,
    body: Any,
    status: int,
    message: str | None,
) -> None:
    before = await written(backend)
    response = await backend.http.request(method, path.format(order=known_order), json=body)
    assert response.status_code == status, response.text
    if message is not None:
        assert response.json()["message"] == message
    assert await written(backend) == before


async def test_openapi_document_lists_every_operation(backend: RunningBackend) -> None:
    document = (await backend.http.get("/api/ordering/openapi.json")).json()
    assert set(document["paths"]) == {
        "/api/ordering",
        "/api/ordering/{id}",
        "/api/ordering/{id}/ready",
        "/api/ordering/{id}/complete",
    }
    assert set(document["paths"]["/api/ordering/{id}"]) == {"get", "delete"}


async def dead_letter(backend: RunningBackend, topic: str, message_id: str) -> dict[bytes, bytes]:
    """The fields of message ``message_id``'s entry in ``topic``'s dead letters, once it is
    there."""
    redis = backend.context("ordering").redis

    def of_message(entries: list[tuple[bytes, dict[bytes, bytes]]]) -> list[dict[bytes, bytes]]:
        return [
            f for _, f in entries if Message.from_json(f[ENVELOPE_FIELD.encode()]).id == message_id
        ]

    dead = await eventually(lambda: redis.xrange(topic + DLQ_SUFFIX), of_message)
    (entry,) = of_message(dead)
    return entry
