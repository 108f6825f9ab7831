"""Baskets: types, query and mutations (backend module ``baskets``)."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from gateway.authorization import require, require_customer
from gateway.schema.common import ctx, idempotent, money, optional_id, seg
from gateway.schema.customers import Customer, customer_by_loader
from gateway.schema.refs import product_ref, store_ref
from gateway.schema.stores import Product, Store


@strawberry.enum
class BasketStatus(Enum):
    OPEN = "open"
    CANCELED = "canceled"
    CHECKED_OUT = "checked_out"


@strawberry.type(description="A product in a basket, at the price it had when first added.")
class BasketItem:
    product_id: strawberry.ID
    store_id: strawberry.ID
    product_name: str
    store_name: str
    price: Decimal
    quantity: int

    @classmethod
    def from_backend(cls, data: dict[str, Any]) -> BasketItem:
        return cls(
            product_id=strawberry.ID(data["product_id"]),
            store_id=strawberry.ID(data["store_id"]),
            product_name=data["product_name"],
            store_name=data["store_name"],
            price=money(data["price"]),
            quantity=int(data["quantity"]),
        )

    @strawberry.field(description="The product now (null once removed from the catalog).")
    async def product(self, info: Info) -> Product | None:
        return await product_ref(info, str(self.product_id))

    @strawberry.field(description="The store now.")
    async def store(self, info: Info) -> Store | None:
        return await store_ref(info, str(self.store_id))


@strawberry.type
class Basket:
    id: strawberry.ID
    customer_id: strawberry.ID
    payment_id: strawberry.ID | None
    status: BasketStatus
    items: list[BasketItem]
    total: Decimal

    @classmethod
    def from_backend(cls, data: dict[str, Any]) -> Basket:
        return cls(
            id=strawberry.ID(data["id"]),
            customer_id=strawberry.ID(data["customer_id"]),
            payment_id=optional_id(data.get("payment_id")),
            status=BasketStatus(data["status"]),
            items=[BasketItem.from_backend(item) for item in data["items"]],
            total=money(data["total"]),
        )

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await customer_by_loader(info, str(self.customer_id))


async def load_basket(info: Info, basket_id: str) -> Basket:
    data = await ctx(info).call("GET", f"/baskets/{seg(basket_id)}")
    return Basket.from_backend(data["basket"])


@strawberry.type
class BasketsQuery:
    @strawberry.field(description="A basket by id (NOT_FOUND if unknown).")
    async def basket(self, info: Info, id: strawberry.ID) -> Basket:
        require(info, "customer")
        return await load_basket(info, str(id))


@strawberry.input
class StartBasketInput:
    customer_id: strawberry.ID
    idempotency_key: str | None = None


@strawberry.type
class StartBasketPayload:
    basket: Basket


@strawberry.input
class AddBasketItemInput:
    basket_id: strawberry.ID
    product_id: strawberry.ID
    quantity: int = 1
    idempotency_key: str | None = None


@strawberry.type
class AddBasketItemPayload:
    basket: Basket


@strawberry.input
class RemoveBasketItemInput:
    basket_id: strawberry.ID
    product_id: strawberry.ID
    quantity: int = 1
    idempotency_key: str | None = None


@strawberry.type
class RemoveBasketItemPayload:
    basket: Basket


@strawberry.input
class CancelBasketInput:
    basket_id: strawberry.ID
    idempotency_key: str | None = None


@strawberry.type
class CancelBasketPayload:
    basket: Basket


@strawberry.input
class CheckoutBasketInput:
    basket_id: strawberry.ID
    payment_id: strawberry.ID
    idempotency_key: str | None = None


@strawberry.type
class CheckoutBasketPayload:
    basket: Basket


@strawberry.type
class BasketsMutation:
    @strawberry.mutation(description="Start an open basket for a customer.")
    async def start_basket(self, info: Info, input: StartBasketInput) -> StartBasketPayload:
        require_customer(info, input.customer_id)
        body = {"customer_id": str(input.customer_id), **idempotent(input.idempotency_key)}
        created = await ctx(info).call("POST", "/baskets", body)
        return StartBasketPayload(basket=await load_basket(info, created["id"]))

    @strawberry.mutation(description="Add a quantity of a product of a participating store.")
    async def add_basket_item(self, info: Info, input: AddBasketItemInput) -> AddBasketItemPayload:
        require(info, "customer")
        body = {"product_id": str(input.product_id), "quantity": input.quantity,
                **idempotent(input.idempotency_key)}  # fmt: skip
        changed = await ctx(info).call("PUT", f"/baskets/{seg(input.basket_id)}/addItem", body)
        return AddBasketItemPayload(basket=Basket.from_backend(changed["basket"]))

    @strawberry.mutation(description="Remove a quantity of a product (all of it at most).")
    async def remove_basket_item(
        self, info: Info, input: RemoveBasketItemInput
    ) -> RemoveBasketItemPayload:
        require(info, "customer")
        body = {"product_id": str(input.product_id), "quantity": input.quantity,
                **idempotent(input.idempotency_key)}  # fmt: skip
        changed = await ctx(info).call("PUT", f"/baskets/{seg(input.basket_id)}/removeItem", body)
        return RemoveBasketItemPayload(basket=Basket.from_backend(changed["basket"]))

    @strawberry.mutation(description="Cancel an open basket.")
    async def cancel_basket(self, info: Info, input: CancelBasketInput) -> CancelBasketPayload:
        require(info, "customer")
        await ctx(info).call(
            "DELETE", f"/baskets/{seg(input.basket_id)}", idempotent(input.idempotency_key)
        )
        return CancelBasketPayload(basket=await load_basket(info, str(input.basket_id)))

    @strawberry.mutation(
        description="Check out with an authorized payment: the order is created asynchronously."
    )
    async def checkout_basket(
        self, info: Info, input: CheckoutBasketInput
    ) -> CheckoutBasketPayload:
        require(info, "customer")
        await ctx(info).call("GET", f"/payments/{seg(input.payment_id)}")  # NOT_FOUND unless theirs
        body = {"payment_id": str(input.payment_id), **idempotent(input.idempotency_key)}
        await ctx(info).call("PUT", f"/baskets/{seg(input.basket_id)}/checkout", body)
        return CheckoutBasketPayload(basket=await load_basket(info, str(input.basket_id)))
