"""Every flow of DOMAIN-DECISIONS.md end to end, through the backend HTTP APIs only, with all
modules in one process (the modular monolith)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from backend.baskets.messages import BASKET_TOPIC
from backend.modules import select_modules
from backend.platform.messages import ENVELOPE_FIELD, Message
from tests.conftest import Servers
from tests.support.backend import RunningBackend, running_backend
from tests.support.mall import Mall, money
from tests.support.waiting import eventually


@pytest.fixture(scope="module")
async def backend(servers: Servers) -> AsyncIterator[RunningBackend]:
    async with running_backend(
        servers.database_url, servers.redis_url, select_modules(["all"])
    ) as running:
        yield running


@pytest.fixture
def mall(backend: RunningBackend) -> Mall:
    return Mall(backend.http, lambda module: backend.url)


async def happy_path(mall: Mall) -> None:
    """store → products → participation → customer → basket → items → payment → checkout →
    pending → saga → approved → bot assigned → list completed → ready → invoice → paid →
    completed; the search read model and the notifications log show it."""
    store_id, product_id = await mall.store_with_product("49.99")
    customer_id = await mall.customer()
    basket_id = await mall.basket(customer_id, product_id, quantity=2)
    payment_id = await mall.payment(customer_id, "99.98")
    await mall.checkout(basket_id, payment_id)

    order = await mall.the_order_of(customer_id, "approved")
    order_id = order["id"]
    assert money(order["total"]) == money("99.98")
    saga = await mall.saga_done(order_id)
    assert saga["compensating"] is False
    assert [h["command"] for h in saga["history"]] == [
        "customersapi.AuthorizeCustomer",
        "depotapi.CreateShoppingListCommand",
        "paymentsapi.ConfirmPayment",
        "depotapi.InitiateShoppingCommand",
        "ordersapi.ApproveOrder",
    ]
    shopping_id = order["shopping_id"]
    assert (await mall.shopping_list(shopping_id))["status"] == "available"

    bot = await mall.call("POST", "depot", "/bots", {"name": "Robbie"}, 201)
    available = (await mall.call("GET", "depot", "/shopping/available"))["shopping_lists"]
    assert shopping_id in [s["id"] for s in available]
    await mall.call("PUT", "depot", f"/shopping/{shopping_id}/assign", {"bot_id": bot["id"]})
    await mall.call("PUT", "depot", f"/shopping/{shopping_id}/complete", {})

    await mall.order_reaches(order_id, "ready")
    invoice = await eventually(
        lambda: mall.http.get(f"{mall.base_of('payments')}/api/payments/invoices/{order_id}"),
        lambda r: r.status_code == 200,
    )
    assert invoice.json()["invoice"]["status"] == "pending"
    assert money(invoice.json()["invoice"]["amount"]) == money("99.98")
    await mall.call("PUT", "payments", f"/invoices/{order_id}/pay", {})

    completed = await mall.order_reaches(order_id, "completed")
    assert completed["invoice_id"] == order_id

    found = await eventually(
        lambda: mall.call("POST", "search", "/orders", {"filters": {"customer_id": customer_id}}),
        lambda r: len(r["orders"]) == 1 and r["orders"][0]["status"] == "completed",
    )
    hit = found["orders"][0]
    assert money(hit["total"]) == money("99.98")
    assert hit["customer_name"] == "Buyer #1"
    assert hit["items"][0]["product_name"] == "EDA with Golang"
    assert hit["items"][0]["store_id"] == store_id

    log = await eventually(
        lambda: mall.call("GET", "notifications", f"?customer_id={customer_id}"),
        lambda r: (
            {"order_created", "order_ready", "order_completed"}
            <= {n["kind"] for n in r["notifications"]}
        ),
    )
    assert all(n["sms_number"] == "555-1212" for n in log["notifications"])


async def test_the_whole_mall_flow(mall: Mall) -> None:
    await happy_path(mall)


async def test_step_1_disabled_customer_rejects_the_order(mall: Mall) -> None:
    _, product_id = await mall.store_with_product()
    customer_id = await mall.customer("Disabled")
    basket_id = await mall.basket(customer_id, product_id)
    payment_id = await mall.payment(customer_id, "99.98")
    await mall.call("PUT", "customers", f"/{customer_id}/disable", {})
    await mall.checkout(basket_id, payment_id)

    order = await mall.the_order_of(customer_id, "rejected")
    saga = await mall.saga_done(order["id"])
    assert saga["compensating"] is True
    assert [(h["command"], h["outcome"]) for h in saga["history"]] == [
        ("customersapi.AuthorizeCustomer", "FAILURE"),
        ("ordersapi.RejectOrder", "SUCCESS"),
    ]


async def test_step_2_removed_product_rejects_the_order(mall: Mall) -> None:
    _, product_id = await mall.store_with_product()
    customer_id = await mall.customer("Late")
    basket_id = await mall.basket(customer_id, product_id)
    payment_id = await mall.payment(customer_id, "99.98")
    await mall.call("DELETE", "stores", f"/products/{product_id}", {})
    await eventually(  # depot has seen the removal
        lambda: mall.http.get(f"{mall.base_of('stores')}/api/stores/products/{product_id}"),
        lambda r: r.status_code == 404,
    )
    await mall.checkout(basket_id, payment_id)

    order = await mall.the_order_of(customer_id, "rejected")
    saga = await mall.saga_done(order["id"])
    assert [(h["command"], h["outcome"]) for h in saga["history"]] == [
        ("customersapi.AuthorizeCustomer", "SUCCESS"),
        ("depotapi.CreateShoppingListCommand", "FAILURE"),
        ("ordersapi.RejectOrder", "SUCCESS"),
    ]


@pytest.mark.parametrize("payment", ["unknown", "too small"])
async def test_step_3_payment_failure_cancels_the_list_and_rejects(
    mall: Mall, payment: str
) -> None:
    _, product_id = await mall.store_with_product()
    customer_id = await mall.customer(f"Payer {payment}")
    basket_id = await mall.basket(customer_id, product_id)
    payment_id = (
        "no-such-payment" if payment == "unknown" else await mall.payment(customer_id, "1.00")
    )
    await mall.checkout(basket_id, payment_id)

    order = await mall.the_order_of(customer_id, "rejected")
    saga = await mall.saga_done(order["id"])
    assert [(h["command"], h["outcome"]) for h in saga["history"]] == [
        ("customersapi.AuthorizeCustomer", "SUCCESS"),
        ("depotapi.CreateShoppingListCommand", "SUCCESS"),
        ("paymentsapi.ConfirmPayment", "FAILURE"),
        ("depotapi.CancelShoppingListCommand", "SUCCESS"),
        ("ordersapi.RejectOrder", "SUCCESS"),
    ]
    shopping_id = saga["data"]["shopping_id"]
    assert (await mall.shopping_list(shopping_id))["status"] == "canceled"


async def test_cancelling_an_approved_order_cancels_its_shopping_list(mall: Mall) -> None:
    _, product_id = await mall.store_with_product()
    customer_id = await mall.customer("Canceller")
    basket_id = await mall.basket(customer_id, product_id)
    await mall.checkout(basket_id, await mall.payment(customer_id, "99.98"))
    order = await mall.the_order_of(customer_id, "approved")

    await mall.call("DELETE", "ordering", f"/{order['id']}", {})

    assert (await mall.order(order["id"]))["status"] == "cancelled"
    await eventually(
        lambda: mall.shopping_list(order["shopping_id"]), lambda s: s["status"] == "canceled"
    )
    again = await mall.http.request(
        "DELETE", f"{mall.base_of('ordering')}/api/ordering/{order['id']}", json={}
    )
    assert again.status_code == 400
    assert again.json()["message"] == "the order cannot be cancelled"


async def test_checkout_repeated_or_redelivered_gives_one_order(
    mall: Mall, backend: RunningBackend
) -> None:
    _, product_id = await mall.store_with_product()
    customer_id = await mall.customer("Twice")
    basket_id = await mall.basket(customer_id, product_id)
    payment_id = await mall.payment(customer_id, "99.98")
    await mall.checkout(basket_id, payment_id)
    repeated = await mall.http.put(
        f"{mall.base_of('baskets')}/api/baskets/{basket_id}/checkout",
        json={"payment_id": payment_id},
    )
    assert repeated.status_code == 400
    assert repeated.json()["message"] == "the basket cannot be modified"

    redis = backend.context("baskets").redis
    entries = await redis.xrange(BASKET_TOPIC)
    checked_out = [
        fields for _, fields in entries
        if Message.from_json(fields[ENVELOPE_FIELD.encode()]).name == "basketsapi.BasketCheckedOut"
        and Message.from_json(fields[ENVELOPE_FIELD.encode()]).payload["id"] == basket_id
    ]  # fmt: skip
    assert len(checked_out) == 1
    for _ in range(3):  # the broker redelivers the same message, then a copy with a new id
        await redis.xadd(BASKET_TOPIC, checked_out[0])
    copy = Message.from_json(checked_out[0][ENVELOPE_FIELD.encode()])
    await redis.xadd(BASKET_TOPIC, {ENVELOPE_FIELD: Message(
        str(uuid.uuid4()), copy.name, copy.subject, copy.occurred_at, copy.schema_version,
        copy.payload, copy.metadata,
    ).to_json()})  # fmt: skip

    await mall.the_order_of(customer_id, "approved")
    await eventually(lambda: redis.xpending(BASKET_TOPIC, "ordering"), lambda p: p["pending"] == 0)
    assert len(await mall.orders_of(customer_id)) == 1
    assert await redis.xlen(BASKET_TOPIC + ".dlq") == 0
