"""Provider states, set up through the modules' own HTTP commands (never rows by hand).

Each state returns the ids it created, under the names the pacts inject (``store_id``,
``order_id``...). All providers are served by one backend with every module on real PostgreSQL
and Redis, so a state may go through the whole mall flow (an order exists only after a checkout
and the saga); later states find the data of earlier ones, which the pacts allow for (lists are
matched with ``each_like``, never by length).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from backend.platform.principal import PRINCIPAL_HEADER, forward
from tests.support.auth import INTERNAL_TOKEN, principal
from tests.support.mall import Mall
from tests.support.waiting import eventually

Ids = dict[str, str]
State = Callable[[Mall], Awaitable[Ids]]


async def nothing(mall: Mall) -> Ids:
    return {}


async def store_exists(mall: Mall) -> Ids:
    store_id, product_id = await mall.store_with_product()
    return {"store_id": store_id, "product_id": product_id}


async def store_not_participating(mall: Mall) -> Ids:
    store = await mall.call(
        "POST", "stores", "", {"name": "Corner Shop", "location": "East Lower Level"}, 201
    )
    return {"store_id": store["id"]}


async def customer_exists(mall: Mall) -> Ids:
    return {"customer_id": await mall.customer()}


async def self_registered(mall: Mall) -> Ids:
    """A customer signed in and registered themselves (their id comes from their token)."""
    customer_id = str(uuid.uuid4())
    who = forward(principal("customer", customer_id=customer_id), INTERNAL_TOKEN)
    response = await mall.http.post(
        f"{mall.base_of('customers')}/api/customers",
        json={"name": "Buyer #1", "sms_number": "555-1212"},
        headers={PRINCIPAL_HEADER: who},
    )
    assert response.status_code == 201, response.text
    return {"customer_id": customer_id, "principal": who}


async def customer_disabled(mall: Mall) -> Ids:
    ids = await customer_exists(mall)
    await mall.call("PUT", "customers", f"/{ids['customer_id']}/disable", {})
    return ids


async def open_basket(mall: Mall) -> Ids:
    ids = await store_exists(mall)
    ids["customer_id"] = await mall.customer()
    ids["basket_id"] = await mall.basket(ids["customer_id"], ids["product_id"])
    return ids


async def payment_exists(mall: Mall) -> Ids:
    ids = await open_basket(mall)
    basket = await mall.call("GET", "baskets", f"/{ids['basket_id']}")
    ids["payment_id"] = await mall.payment(ids["customer_id"], basket["basket"]["total"])
    return ids


async def approved(mall: Mall) -> Ids:
    ids = await payment_exists(mall)
    await mall.checkout(ids["basket_id"], ids["payment_id"])
    order = await mall.the_order_of(ids["customer_id"], "approved")
    await mall.saga_done(order["id"])
    return {**ids, "order_id": order["id"], "list_id": order["shopping_id"]}


async def bot_idle(mall: Mall) -> Ids:
    created = await mall.call("POST", "depot", "/bots", {"name": "Robbie"}, 201)
    return {"bot_id": created["id"]}


async def approved_and_bot_idle(mall: Mall) -> Ids:
    return {**await approved(mall), **await bot_idle(mall)}


async def list_assigned(mall: Mall) -> Ids:
    ids = await approved_and_bot_idle(mall)
    await mall.call("PUT", "depot", f"/shopping/{ids['list_id']}/assign", {"bot_id": ids["bot_id"]})
    return ids


async def bot_busy(mall: Mall) -> Ids:
    busy = await list_assigned(mall)
    other = await approved(mall)
    return {**other, "bot_id": busy["bot_id"]}


async def ready(mall: Mall) -> Ids:
    ids = await list_assigned(mall)
    await mall.call("PUT", "depot", f"/shopping/{ids['list_id']}/complete", {})
    await mall.order_reaches(ids["order_id"], "ready")
    await eventually(
        lambda: mall.http.get(
            f"{mall.base_of('payments')}/api/payments/invoices/{ids['order_id']}"
        ),
        lambda response: response.status_code == 200,
    )
    await eventually(
        lambda: notifications(mall, ids["customer_id"]),
        lambda found: any(n["kind"] == "order_ready" for n in found),
    )
    return ids


async def completed(mall: Mall) -> Ids:
    ids = await ready(mall)
    await mall.call("PUT", "payments", f"/invoices/{ids['order_id']}/pay", {})
    await mall.order_reaches(ids["order_id"], "completed")
    await eventually(
        lambda: mall.call(
            "POST", "search", "/orders", {"filters": {"customer_id": ids["customer_id"]}}
        ),
        lambda found: [o["status"] for o in found["orders"]] == ["completed"],
    )
    return ids


async def store_changed(mall: Mall) -> Ids:
    ids = await store_exists(mall)
    store, product = f"/{ids['store_id']}", f"/products/{ids['product_id']}"
    await mall.call("PUT", "stores", f"{store}/rebrand", {"name": "Waldorf Books & Games"})
    await mall.call("PUT", "stores", f"{product}/rebrand", {"name": "EDA with Go"})
    await mall.call("PUT", "stores", f"{product}/increasePrice", {"price": "59.99"})
    await mall.call("PUT", "stores", f"{product}/decreasePrice", {"price": "39.99"})
    await mall.call("DELETE", "stores", product, {})
    return ids


async def sms_changed(mall: Mall) -> Ids:
    ids = await customer_exists(mall)
    await mall.call("PUT", "customers", f"/{ids['customer_id']}/change-sms", {"sms_number": "555"})
    return ids


async def canceled(mall: Mall) -> Ids:
    ids = await approved(mall)
    await mall.call("DELETE", "ordering", f"/{ids['order_id']}", {})
    await mall.order_reaches(ids["order_id"], "cancelled")
    return ids


async def rejected(mall: Mall, ids: Ids) -> Ids:
    await mall.checkout(ids["basket_id"], ids["payment_id"])
    order = await mall.the_order_of(ids["customer_id"], "rejected")
    await mall.saga_done(order["id"])
    return {**ids, "order_id": order["id"]}


async def unauthorized(mall: Mall) -> Ids:
    ids = await payment_exists(mall)
    await mall.call("PUT", "customers", f"/{ids['customer_id']}/disable", {})
    return await rejected(mall, ids)


async def unpaid(mall: Mall) -> Ids:
    ids = await open_basket(mall)
    ids["payment_id"] = await mall.payment(ids["customer_id"], "1.00")
    return await rejected(mall, ids)


async def product_gone(mall: Mall) -> Ids:
    """The product is removed after it went into the basket: the depot cannot shop for it."""
    ids = await payment_exists(mall)
    await mall.call("DELETE", "stores", f"/products/{ids['product_id']}", {})
    return await rejected(mall, ids)


async def notifications(mall: Mall, customer_id: str) -> list[dict[str, Any]]:
    found = await mall.call("GET", "notifications", f"?customer_id={customer_id}")
    return list(found["notifications"])


STATES: dict[str, State] = {
    "nothing exists": nothing,
    "a participating store with a product exists": store_exists,
    "a store that does not participate exists": store_not_participating,
    "a customer exists": customer_exists,
    "a disabled customer exists": customer_disabled,
    "a signed-in customer has registered": self_registered,
    "the gateway sends no service credential": nothing,
    "an open basket with an item exists": open_basket,
    "a customer with an authorized payment for a basket with an item exists": payment_exists,
    "an order is approved and its shopping list is available": approved,
    "an idle bot exists": bot_idle,
    "an order is approved and its shopping list is available and an idle bot exists": (
        approved_and_bot_idle
    ),
    "a bot is shopping a list and another list is available": bot_busy,
    "a shopping list is assigned to a bot": list_assigned,
    "an order is ready and its invoice pending": ready,
    "an order is completed": completed,
    "a store was rebranded and its product rebranded, repriced and removed": store_changed,
    "a customer changed their SMS number": sms_changed,
    "an approved order was cancelled": canceled,
    "a disabled customer checked out": unauthorized,
    "a basket was checked out with a payment that does not cover it": unpaid,
    "a basket was checked out after its product was removed": product_gone,
}
