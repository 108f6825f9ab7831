"""The payments module over HTTP and Redis, on real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from backend.ordering.messages import (
    ORDER_TOPIC,
    OrderCanceled,
    OrderCreated,
    OrderItem,
    OrderReadied,
)
from backend.payments.messages import COMMAND_TOPIC, INVOICE_TOPIC, ConfirmPayment
from backend.payments.module import module as payments
from backend.platform.consumer import DLQ_SUFFIX
from backend.platform.messages import (
    COMMAND_REPLY_CHANNEL,
    COMMAND_SAGA_ID,
    ENVELOPE_FIELD,
    REPLY_OUTCOME,
    REPLY_SAGA_ID,
    Message,
    Payload,
    new_message,
)
from backend.platform.principal import Principal
from tests.conftest import Servers
from tests.support.auth import backend_headers
from tests.support.backend import RunningBackend, running_backend
from tests.support.waiting import eventually

CUSTOMER = "6b0f4a4e-0c1d-4f3e-9a55-1c2d3e4f5a6b"


@pytest.fixture(scope="module")
async def backend(servers: Servers) -> AsyncIterator[RunningBackend]:
    async with running_backend(servers.database_url, servers.redis_url, [payments]) as running:
        yield running


def _entry_id(raw: bytes | str) -> tuple[int, ...]:
    text = raw.decode() if isinstance(raw, bytes) else raw
    return tuple(int(part) for part in text.split("-"))


async def deliver(backend: RunningBackend, topic: str, message: Message, times: int = 1) -> None:
    """Put ``message`` on ``topic`` ``times`` times; return once payments acknowledged them all."""
    redis = backend.context("payments").redis
    last = ""
    for _ in range(times):
        last = await redis.xadd(topic, {ENVELOPE_FIELD: message.to_json()})

    async def group() -> dict[Any, Any]:
        groups = await redis.xinfo_groups(topic)
        return next(g for g in groups if g["name"] in (b"payments", "payments"))

    await eventually(
        group,
        lambda g: g["pending"] == 0 and _entry_id(g["last-delivered-id"]) >= _entry_id(last),
    )


def order_event(payload: Payload) -> Message:
    return new_message(ORDER_TOPIC, payload)


def readied(order_id: str, total: str = "99.98") -> Message:
    return order_event(OrderReadied(order_id, CUSTOMER, "p1", Decimal(total)))


def canceled(order_id: str) -> Message:
    return order_event(OrderCanceled(order_id, CUSTOMER, "p1"))


async def authorize(backend: RunningBackend, amount: str = "49.99") -> str:
    response = await backend.http.post(
        "/api/payments", json={"customer_id": CUSTOMER, "amount": amount}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def invoice(backend: RunningBackend, invoice_id: str) -> dict[str, Any] | None:
    response = await backend.http.get(f"/api/payments/invoices/{invoice_id}")
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()["invoice"]
    return found


async def dead_letters(backend: RunningBackend, topic: str) -> list[Message]:
    return await backend.published(topic + DLQ_SUFFIX)


# --- payments ---


async def test_authorize_and_get_a_payment(backend: RunningBackend) -> None:
    payment_id = await authorize(backend)
    uuid.UUID(payment_id)
    response = await backend.http.get(f"/api/payments/{payment_id}")
    assert response.json() == {
        "payment": {"id": payment_id, "customer_id": CUSTOMER, "amount": "49.99"}
    }
    whole = await authorize(backend, "10")
    payment = (await backend.http.get(f"/api/payments/{whole}")).json()["payment"]
    assert payment["amount"] == "10.00"


async def test_idempotency_key_returns_the_first_result(backend: RunningBackend) -> None:
    body = {"customer_id": "c-idem", "amount": "5.00", "idempotency_key": "pay-1"}
    first = await backend.http.post("/api/payments", json=body)
    second = await backend.http.post("/api/payments", json=body)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    rows = await backend.sql("SELECT id FROM payments.payments WHERE customer_id = 'c-idem'")
    assert rows == [(first.json()["id"],)]


async def test_an_idempotency_key_is_the_callers_own(backend: RunningBackend) -> None:
    """Keys are the client's choice: another customer who picks the same one gets a payment of
    their own, and neither sees nor blocks the first."""
    ann, bob = (str(uuid.uuid4()) for _ in range(2))
    payments = []
    for who in (ann, bob):
        body = {"customer_id": who, "amount": "5.00", "idempotency_key": "pay-basket-1"}
        headers = backend_headers(Principal("customer", customer_id=who))
        payments.append(await backend.http.post("/api/payments", json=body, headers=headers))
    assert [p.status_code for p in payments] == [201, 201], payments[1].text
    assert payments[0].json()["id"] != payments[1].json()["id"]
    rows = await backend.sql(
        "SELECT customer_id FROM payments.payments WHERE id = ANY(%s)",
        [[p.json()["id"] for p in payments]],
    )
    assert sorted(r[0] for r in rows) == sorted([ann, bob])


# --- invoices ---


async def test_a_ready_order_is_invoiced_and_paid(backend: RunningBackend) -> None:
    order_id = str(uuid.uuid4())
    await deliver(backend, ORDER_TOPIC, readied(order_id, "99.98"))
    assert await invoice(backend, order_id) == {
        "id": order_id,
        "order_id": order_id,
        "amount": "99.98",
        "status": "pending",
    }
    paid = await backend.http.put(f"/api/payments/invoices/{order_id}/pay", json={})
    assert paid.status_code == 200, paid.text
    assert paid.json() == {}
    assert (await invoice(backend, order_id) or {})["status"] == "paid"

    messages = await eventually(
        lambda: backend.published(INVOICE_TOPIC),
        lambda ms: any(m.payload["id"] == order_id for m in ms),
    )
    (event,) = [m for m in messages if m.payload["id"] == order_id]
    assert event.name == "paymentsapi.InvoicePaid"
    assert event.payload == {"id": order_id, "order_id": order_id}

    again = await backend.http.put(f"/api/payments/invoices/{order_id}/pay", json={})
    assert again.status_code == 400
    assert again.json() == {"code": "BAD_REQUEST", "message": "invoice cannot be paid for"}


async def test_paying_with_an_idempotency_key_pays_once(backend: RunningBackend) -> None:
    order_id = str(uuid.uuid4())
    await deliver(backend, ORDER_TOPIC, readied(order_id))
    body = {"idempotency_key": "inv-1"}
    first = await backend.http.put(f"/api/payments/invoices/{order_id}/pay", json=body)
    second = await backend.http.put(f"/api/payments/invoices/{order_id}/pay", json=body)
    assert first.status_code == second.status_code == 200
    # Another invoice's payment shows the relay is past this one's events: one InvoicePaid.
    other = str(uuid.uuid4())
    await deliver(backend, ORDER_TOPIC, readied(other))
    assert (await backend.http.put(f"/api/payments/invoices/{other}/pay", json={})).is_success
    messages = await eventually(
        lambda: backend.published(INVOICE_TOPIC),
        lambda ms: any(m.payload["id"] == other for m in ms),
    )
    assert [m.payload["id"] for m in messages].count(order_id) == 1


async def test_concurrent_payments_of_an_invoice_succeed_once(backend: RunningBackend) -> None:
    order_id = str(uuid.uuid4())
    await deliver(backend, ORDER_TOPIC, readied(order_id))
    # Grow the connection pool first, so that the six commands really overlap.
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(6):
            await stack.enter_async_context(backend.host.pool.connection())
    responses = await asyncio.gather(
        *(backend.http.put(f"/api/payments/invoices/{order_id}/pay", json={}) for _ in range(6))
    )
    assert sorted(r.status_code for r in responses) == [200] + [400] * 5
    # A later payment's event shows the relay is past this invoice's: one InvoicePaid.
    other = str(uuid.uuid4())
    await deliver(backend, ORDER_TOPIC, readied(other))
    assert (await backend.http.put(f"/api/payments/invoices/{other}/pay", json={})).is_success
    messages = await eventually(
        lambda: backend.published(INVOICE_TOPIC),
        lambda ms: any(m.payload["id"] == other for m in ms),
    )
    assert [m.payload["id"] for m in messages].count(order_id) == 1


async def test_a_duplicate_order_readied_invoices_once(backend: RunningBackend) -> None:
    order_id = str(uuid.uuid4())
    message = readied(order_id, "12.34")
    await deliver(backend, ORDER_TOPIC, message, times=2)
    assert (await invoice(backend, order_id) or {})["amount"] == "12.34"
    assert (await backend.http.put(f"/api/payments/invoices/{order_id}/pay", json={})).is_success
    # The same event again, and the same order readied under another message id: still paid.
    await deliver(backend, ORDER_TOPIC, message)
    await deliver(backend, ORDER_TOPIC, readied(order_id, "50.00"))
    assert await invoice(backend, order_id) == {
        "id": order_id,
        "order_id": order_id,
        "amount": "12.34",
        "status": "paid",
    }
    inbox = await backend.sql(
        "SELECT count(*) FROM payments.inbox WHERE message_id = %s", (message.id,)
    )
    assert inbox == [(1,)]


async def test_canceling_an_order_cancels_its_pending_invoice(backend: RunningBackend) -> None:
    order_id = str(uuid.uuid4())
    await deliver(backend, ORDER_TOPIC, readied(order_id))
    await deliver(backend, ORDER_TOPIC, canceled(order_id), times=2)
    assert (await invoice(backend, order_id) or {})["status"] == "canceled"
    refused = await backend.http.put(f"/api/payments/invoices/{order_id}/pay", json={})
    assert refused.status_code == 400
    assert refused.json()["message"] == "invoice cannot be paid for"


async def test_canceling_an_order_without_a_pending_invoice_does_nothing(
    backend: RunningBackend,
) -> None:
    never_invoiced = str(uuid.uuid4())
    await deliver(backend, ORDER_TOPIC, canceled(never_invoiced))
    assert await invoice(backend, never_invoiced) is None

    paid = str(uuid.uuid4())
    await deliver(backend, ORDER_TOPIC, readied(paid))
    assert (await backend.http.put(f"/api/payments/invoices/{paid}/pay", json={})).is_success
    await deliver(backend, ORDER_TOPIC, canceled(paid))
    assert (await invoice(backend, paid) or {})["status"] == "paid"

    dead = await dead_letters(backend, ORDER_TOPIC)
    assert [m for m in dead if m.payload["id"] in (never_invoiced, paid)] == []


async def test_other_order_events_are_ignored(backend: RunningBackend) -> None:
    order_id = str(uuid.uuid4())
    created = OrderCreated(
        order_id, CUSTOMER, "p1", "", [OrderItem("pr", "st", Decimal("1.00"), 1)]
    )
    await deliver(backend, ORDER_TOPIC, order_event(created))
    assert await invoice(backend, order_id) is None
    assert await backend.sql(
        "SELECT name FROM payments.inbox WHERE topic = %s AND name = %s",
        (ORDER_TOPIC, "ordersapi.OrderCreated"),
    ) == [("ordersapi.OrderCreated",)]


async def test_a_malformed_order_event_is_dead_lettered(backend: RunningBackend) -> None:
    message = readied(str(uuid.uuid4()))
    broken = Message(**{**message.__dict__, "payload": {"id": "o1", "total": 12.5}})
    await deliver(backend, ORDER_TOPIC, broken)
    dead = [m for m in await dead_letters(backend, ORDER_TOPIC) if m.id == broken.id]
    assert len(dead) == 1
    assert await invoice(backend, "o1") is None


# --- the saga's ConfirmPayment command ---


async def confirm(
    backend: RunningBackend,
    payment_id: str,
    amount: str,
    *,
    times: int = 1,
    order_id: str | None = None,
    customer_id: str = CUSTOMER,
) -> list[Message]:
    channel = f"test.replies.{uuid.uuid4().hex}"
    saga_id = order_id or str(uuid.uuid4())
    command = new_message(
        COMMAND_TOPIC,
        ConfirmPayment(payment_id, Decimal(amount), saga_id, customer_id),
        metadata={COMMAND_REPLY_CHANNEL: channel, COMMAND_SAGA_ID: saga_id},
    )
    await deliver(backend, COMMAND_TOPIC, command, times=times)
    replies = await eventually(lambda: backend.published(channel), lambda ms: len(ms) >= 1)
    for reply in replies:
        assert reply.metadata[REPLY_SAGA_ID] == saga_id
    return replies


async def test_a_payment_covering_the_total_is_confirmed(backend: RunningBackend) -> None:
    for amount in ("49.99", "10.00"):
        payment_id = await authorize(backend, "49.99")
        (reply,) = await confirm(backend, payment_id, amount)
        assert (reply.name, reply.metadata[REPLY_OUTCOME]) == ("reply.Success", "SUCCESS")


async def test_a_payment_short_of_the_total_is_refused(backend: RunningBackend) -> None:
    payment_id = await authorize(backend, "49.99")
    (reply,) = await confirm(backend, payment_id, "50.00")
    assert (reply.name, reply.metadata[REPLY_OUTCOME]) == ("reply.Failure", "FAILURE")
    assert reply.payload == {
        "code": "BAD_REQUEST",
        "error": "the payment amount does not cover the order total",
    }


async def test_a_payment_is_used_by_one_order_of_its_own_customer(
    backend: RunningBackend,
) -> None:
    """P3: another order, or another customer's order, cannot use it."""
    payment_id = await authorize(backend, "49.99")
    (first,) = await confirm(backend, payment_id, "5.00")
    assert first.metadata[REPLY_OUTCOME] == "SUCCESS"
    refused = {"code": "BAD_REQUEST", "error": "the payment cannot be used"}
    (second,) = await confirm(backend, payment_id, "5.00")
    assert (second.metadata[REPLY_OUTCOME], second.payload) == ("FAILURE", refused)
    other = await authorize(backend, "49.99")
    (foreign,) = await confirm(backend, other, "5.00", customer_id=str(uuid.uuid4()))
    assert (foreign.metadata[REPLY_OUTCOME], foreign.payload) == ("FAILURE", refused)


async def test_an_unknown_payment_cannot_be_confirmed(backend: RunningBackend) -> None:
    (reply,) = await confirm(backend, "nope", "1.00")
    assert reply.name == "reply.Failure"
    assert reply.payload == {"code": "NOT_FOUND", "error": "payment cannot be confirmed"}


async def test_a_duplicate_confirm_is_answered_once(backend: RunningBackend) -> None:
    payment_id = await authorize(backend)
    order_id = str(uuid.uuid4())
    replies = await confirm(backend, payment_id, "1.00", times=2, order_id=order_id)
    assert [r.name for r in replies] == ["reply.Success"]
    # Both copies were acknowledged before ``confirm`` returned; the relay has had its chance.
    later = await confirm(backend, payment_id, "1.00", order_id=order_id)
    assert [r.name for r in later] == ["reply.Success"]
    assert len(await backend.published(replies[0].subject)) == 1


# --- bad input ---


async def snapshot(backend: RunningBackend) -> list[tuple[Any, ...]]:
    """Every payment and invoice row, and the idempotency keys remembered."""
    return await backend.sql(
        "SELECT id, customer_id, amount::text, updated_at FROM payments.payments"
        " UNION ALL SELECT id, status, amount::text, updated_at FROM payments.invoices"
        " UNION ALL SELECT key, NULL, NULL, created_at FROM payments.idempotency"
        " ORDER BY 1"
    )


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("POST", "/api/payments", {"amount": "1.00"}, 400,
         "invalid request: customer_id: missing"),
        ("POST", "/api/payments", {"customer_id": CUSTOMER}, 400,
         "invalid request: amount: missing"),
        ("POST", "/api/payments", {"customer_id": CUSTOMER, "amount": 10.5}, 400,
         "invalid request: amount: expected a decimal string"),
        ("POST", "/api/payments", {"customer_id": CUSTOMER, "amount": "ten"}, 400,
         "invalid request: amount: not a decimal number"),
        ("POST", "/api/payments", {"customer_id": CUSTOMER, "amount": True}, 400,
         "invalid request: amount: expected a decimal string"),
        ("POST", "/api/payments", {"customer_id": 7, "amount": "1.00"}, 400,
         "invalid request: customer_id: expected a string"),
        ("POST", "/api/payments", {"customer_id": "c" * 1001, "amount": "1.00"}, 400,
         "invalid request: customer_id: longer than 1000 characters"),
        ("POST", "/api/payments", {"customer_id": " ", "amount": "1.00"}, 400,
         "the customer id cannot be blank"),
        ("POST", "/api/payments", {"customer_id": CUSTOMER, "amount": "0"}, 400,
         "the payment amount must be positive"),
        ("POST", "/api/payments", {"customer_id": CUSTOMER, "amount": "-1.00"}, 400,
         "the payment amount must be positive"),
        ("POST", "/api/payments", {"customer_id": CUSTOMER, "amount": "1.001"}, 400,
         "the payment amount cannot have more than two decimal places"),
        ("POST", "/api/payments", {"customer_id": CUSTOMER, "amount": "1e30"}, 400,
         "the payment amount is too large"),
        ("POST", "/api/payments", {"customer_id": CUSTOMER, "amount": "NaN"}, 400,
         "the payment amount must be a number"),
        ("POST", "/api/payments",
         {"customer_id": CUSTOMER, "amount": "-1", "idempotency_key": "bad-1"}, 400,
         "the payment amount must be positive"),
        ("GET", "/api/payments/nope", None, 404, "payment with id: `nope` does not exist"),
        ("GET", "/api/payments/invoices/nope", None, 404,
         "invoice with id: `nope` does not exist"),
        ("PUT", "/api/payments/invoices/nope/pay", {}, 404,
         "invoice with id: `nope` does not exist"),
        ("PUT", "/api/payments/invoices/nope/pay", {"idempotency_key": 5}, 400,
         "invalid request: idempotency_key: expected a string"),
    ],
)  # fmt: skip
async def test_bad_input_is_a_clear_4xx_and_writes_nothing(
    backend: RunningBackend, method: str, path: str, body: object, status: int, message: str
) -> None:
    before = await snapshot(backend)
    response = await backend.http.request(method, path, json=body)
    assert response.status_code == status, response.text
    assert response.json()["message"] == message
    assert await snapshot(backend) == before


async def test_openapi_document_lists_every_operation(backend: RunningBackend) -> None:
    document = (await backend.http.get("/api/payments/openapi.json")).json()
    assert set(document["paths"]) == {
        "/api/payments",
        "/api/payments/{id}",
        "/api/payments/invoices/{id}",
        "/api/payments/invoices/{id}/pay",
    }
    schema = document["paths"]["/api/payments"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    assert schema["required"] == ["customer_id", "amount"]
    assert schema["properties"]["amount"] == {"type": "string", "format": "decimal"}
