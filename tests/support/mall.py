"""A small client of the backend modules' HTTP APIs, for end-to-end flows.

``base_of(module)`` gives each module's address, so the same flow runs against the modular
monolith (one address) and against one process per module.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx

from tests.support.waiting import eventually


class Mall:
    def __init__(self, http: httpx.AsyncClient, base_of: Callable[[str], str]) -> None:
        self.http = http
        self.base_of = base_of

    async def call(
        self, method: str, module: str, path: str = "", body: Any = None, expect: int = 200
    ) -> Any:
        response = await self.http.request(
            method, f"{self.base_of(module)}/api/{module}{path}", json=body
        )
        assert response.status_code == expect, f"{method} {module}{path}: {response.text}"
        return response.json()

    async def store_with_product(self, price: str = "49.99") -> tuple[str, str]:
        store = await self.call(
            "POST", "stores", "", {"name": "Waldorf Books", "location": "West Upper Level"}, 201
        )
        await self.call("PUT", "stores", f"/{store['id']}/participating", {})
        product = await self.call(
            "POST",
            "stores",
            f"/{store['id']}/products",
            {"name": "EDA with Golang", "sku": "1234", "price": price},
            201,
        )
        return store["id"], product["id"]

    async def customer(self, name: str = "Buyer #1") -> str:
        created = await self.call(
            "POST", "customers", "", {"name": name, "sms_number": "555-1212"}, 201
        )
        return str(created["id"])

    async def basket(self, customer_id: str, product_id: str, quantity: int = 2) -> str:
        basket = await self.call("POST", "baskets", "", {"customer_id": customer_id}, 201)
        await self.call(
            "PUT",
            "baskets",
            f"/{basket['id']}/addItem",
            {"product_id": product_id, "quantity": quantity},
        )
        return str(basket["id"])

    async def payment(self, customer_id: str, amount: str) -> str:
        created = await self.call(
            "POST", "payments", "", {"customer_id": customer_id, "amount": amount}, 201
        )
        return str(created["id"])

    async def checkout(self, basket_id: str, payment_id: str) -> None:
        await self.call("PUT", "baskets", f"/{basket_id}/checkout", {"payment_id": payment_id})

    async def orders_of(self, customer_id: str) -> list[dict[str, Any]]:
        response = await self.call("GET", "ordering", f"?customer_id={customer_id}")
        return list(response["orders"])

    async def the_order_of(self, customer_id: str, status: str) -> dict[str, Any]:
        """Wait until the customer's only order has ``status``; return it."""
        orders = await eventually(
            lambda: self.orders_of(customer_id),
            lambda os: len(os) == 1 and os[0]["status"] == status,
            timeout=30,
        )
        return orders[0]

    async def order(self, order_id: str) -> dict[str, Any]:
        return dict((await self.call("GET", "ordering", f"/{order_id}"))["order"])

    async def order_reaches(self, order_id: str, status: str) -> dict[str, Any]:
        return await eventually(
            lambda: self.order(order_id), lambda o: o["status"] == status, timeout=30
        )

    async def saga(self, order_id: str) -> dict[str, Any]:
        return dict(await self.call("GET", "cosec", f"/sagas/{order_id}"))

    async def saga_done(self, order_id: str) -> dict[str, Any]:
        return await eventually(lambda: self.saga(order_id), lambda s: s["done"], timeout=30)

    async def shopping_list(self, list_id: str) -> dict[str, Any]:
        return dict((await self.call("GET", "depot", f"/shopping/{list_id}"))["shopping_list"])


def money(value: Any) -> Decimal:
    return Decimal(str(value))
