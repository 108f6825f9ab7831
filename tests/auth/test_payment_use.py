"""Domain decision P3, through the real create-order saga: an authorization belongs to its
customer and is consumed by exactly one order."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.auth.conftest import World
from tests.support.waiting import eventually

REFUSED = "the payment cannot be used"


async def rejected_for_payment(world: World, order_id: str) -> None:
    """The order is rejected, and its saga says why: the payment step failed and the shopping
    list it had made was cancelled."""
    rejected = await world.mall.order_reaches(order_id, "rejected")
    assert rejected["rejection_reason"] == f"paymentsapi.ConfirmPayment failed: {REFUSED}"
    saga = await saga_done(world, order_id)
    assert saga["compensating"] is True
    failed = [h for h in saga["history"] if h["outcome"] == "FAILURE"]
    assert [(h["command"], h["error"]) for h in failed] == [("paymentsapi.ConfirmPayment", REFUSED)]
    assert "depotapi.CancelShoppingListCommand" in [h["command"] for h in saga["history"]]


async def saga_done(world: World, order_id: str) -> dict[str, Any]:
    """The order's saga once it has finished (it starts when ordering's OrderCreated arrives)."""

    async def saga() -> dict[str, Any] | None:
        response = await world.backend.http.get(f"/api/cosec/sagas/{order_id}")
        return response.json() if response.status_code == 200 else None

    found = await eventually(saga, lambda s: s is not None and s["done"], timeout=30)
    assert found is not None
    return found


async def order_of(world: World, customer_id: str, basket_id: str) -> str:
    """The id of the order a checkout of ``basket_id`` created, once it exists."""
    orders = await eventually(
        lambda: world.mall.orders_of(customer_id),
        lambda found: any(o["basket_id"] == basket_id for o in found),
    )
    return next(o["id"] for o in orders if o["basket_id"] == basket_id)


async def test_two_checkouts_racing_for_one_payment_approve_exactly_one(world: World) -> None:
    mall, customer = world.mall, world.a.customer_id
    baskets = [await mall.basket(customer, world.product_id, quantity=1) for _ in range(2)]
    payment = await mall.payment(customer, "49.99")
    await asyncio.gather(*(mall.checkout(b, payment) for b in baskets))
    orders = [await order_of(world, customer, b) for b in baskets]
    finals = await asyncio.gather(*(saga_done(world, o) for o in orders))
    approved = [o for o, saga in zip(orders, finals, strict=True) if not saga["compensating"]]
    assert len(approved) == 1
    assert (await mall.order(approved[0]))["status"] == "approved"
    (loser,) = set(orders) - set(approved)
    await rejected_for_payment(world, loser)


async def test_a_used_payment_cannot_pay_for_a_second_order(world: World) -> None:
    mall, a = world.mall, world.a
    basket = await mall.basket(a.customer_id, world.product_id, quantity=1)
    await mall.checkout(basket, a.payment_id)  # a.payment_id already paid for a.order_id
    await rejected_for_payment(world, await order_of(world, a.customer_id, basket))


async def test_another_customers_payment_is_refused_even_past_the_gateway(world: World) -> None:
    """The backend's own check: a checkout that reaches the backend directly (as a module
    would call it) with another customer's authorization still gets the order rejected."""
    mall, a = world.mall, world.a
    unused = await mall.payment(world.b.customer_id, "49.99")
    basket = await mall.basket(a.customer_id, world.product_id, quantity=1)
    await mall.checkout(basket, unused)
    await rejected_for_payment(world, await order_of(world, a.customer_id, basket))
