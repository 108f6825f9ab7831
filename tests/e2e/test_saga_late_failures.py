"""Saga failures at steps 4 and 5 with the real participants.

The payments module is held back so that the saga waits at step 3 (ConfirmPayment); meanwhile
the test changes the world (cancels the shopping list, or the order), then starts payments, and
the later step fails for real.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from backend.modules import select_modules
from backend.payments.module import module as payments
from backend.platform.host import run_migrations
from tests.conftest import Servers
from tests.support.backend import RunningBackend, running_backend, serving_backend
from tests.support.mall import Mall
from tests.support.waiting import eventually

PAYMENT_ID = "3c0ffee0-0000-4000-8000-000000000001"
WITHOUT_PAYMENTS = [m for m in select_modules(["all"]) if m.name != "payments"]


@pytest.fixture
async def backend(servers: Servers) -> AsyncIterator[RunningBackend]:
    async with running_backend(servers.database_url, servers.redis_url, WITHOUT_PAYMENTS) as b:
        yield b


async def saga_waiting_for_payment(mall: Mall, backend: RunningBackend) -> tuple[str, str]:
    """Checkout while payments is not running: the saga stops at step 3 (ConfirmPayment)."""
    _, product_id = await mall.store_with_product()
    customer_id = await mall.customer("Waiting")
    basket_id = await mall.basket(customer_id, product_id)
    await mall.checkout(basket_id, PAYMENT_ID)
    order = await mall.the_order_of(customer_id, "pending")

    async def saga() -> Any:
        response = await backend.http.get(f"/api/cosec/sagas/{order['id']}")
        return response.json() if response.status_code == 200 else None  # not started yet

    state = await eventually(
        saga,
        lambda s: (
            s is not None
            and [h["command"] for h in s["history"]][-1:] == ["paymentsapi.ConfirmPayment"]
        ),
        timeout=30,
    )
    return order["id"], state["data"]["shopping_id"]


async def authorize_in_payments_table(backend: RunningBackend, customer_id: str) -> None:
    """The payment the saga waits for, written before payments starts consuming."""
    await run_migrations(backend.database_url, [payments])
    await backend.sql(
        "INSERT INTO payments.payments (id, customer_id, amount) VALUES (%s, %s, 99.98)",
        (PAYMENT_ID, customer_id),
    )


async def test_step_4_initiate_fails_on_a_cancelled_list(backend: RunningBackend) -> None:
    mall = Mall(backend.http, lambda module: backend.url)
    order_id, shopping_id = await saga_waiting_for_payment(mall, backend)
    await mall.call("POST", "depot", f"/shopping/{shopping_id}/cancel", {})
    customer_id = (await mall.order(order_id))["customer_id"]

    await authorize_in_payments_table(backend, customer_id)
    async with serving_backend(backend.database_url, backend.redis_url, [payments]):
        saga = await mall.saga_done(order_id)

    assert [(h["command"], h["outcome"]) for h in saga["history"]] == [
        ("customersapi.AuthorizeCustomer", "SUCCESS"),
        ("depotapi.CreateShoppingListCommand", "SUCCESS"),
        ("paymentsapi.ConfirmPayment", "SUCCESS"),
        ("depotapi.InitiateShoppingCommand", "FAILURE"),
        ("depotapi.CancelShoppingListCommand", "SUCCESS"),
        ("ordersapi.RejectOrder", "SUCCESS"),
    ]
    assert (await mall.order(order_id))["status"] == "rejected"
    assert (await mall.shopping_list(shopping_id))["status"] == "canceled"


async def test_step_5_approve_fails_on_a_cancelled_order(backend: RunningBackend) -> None:
    mall = Mall(backend.http, lambda module: backend.url)
    order_id, shopping_id = await saga_waiting_for_payment(mall, backend)
    customer_id = (await mall.order(order_id))["customer_id"]
    await mall.call("DELETE", "ordering", f"/{order_id}", {})  # the customer cancels

    await authorize_in_payments_table(backend, customer_id)
    async with serving_backend(backend.database_url, backend.redis_url, [payments]):
        saga = await mall.saga_done(order_id)

    assert [(h["command"], h["outcome"]) for h in saga["history"]] == [
        ("customersapi.AuthorizeCustomer", "SUCCESS"),
        ("depotapi.CreateShoppingListCommand", "SUCCESS"),
        ("paymentsapi.ConfirmPayment", "SUCCESS"),
        ("depotapi.InitiateShoppingCommand", "SUCCESS"),
        ("ordersapi.ApproveOrder", "FAILURE"),
        ("depotapi.CancelShoppingListCommand", "SUCCESS"),
        ("ordersapi.RejectOrder", "SUCCESS"),
    ]
    assert (await mall.order(order_id))["status"] == "cancelled"
    assert (await mall.shopping_list(shopping_id))["status"] == "canceled"
