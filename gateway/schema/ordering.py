"""Orders and their create-order saga: types, query and mutation (modules ``ordering``, ``cosec``).

The types are shared with the search module's results (``gateway.schema.search``) and with the
subscriptions, so ``Order.from_backend`` takes the ordering API's order and the projection
update's state alike.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from gateway.authorization import require
from gateway.schema.common import ctx, idempotent, money, optional_id, seg, timestamp
from gateway.schema.customers import Customer, customer_by_loader
from gateway.schema.refs import product_ref, store_ref
from gateway.schema.stores import Product, Store


@strawberry.enum
class OrderStatus(Enum):
    PENDING = "pending"
    REJECTED = "rejected"
    APPROVED = "approved"
    READY = "ready"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


@strawberry.type(description="A product ordered: names and price as they were at ordering time.")
class OrderItem:
    product_id: strawberry.ID
    store_id: strawberry.ID
    product_name: str
    store_name: str
    price: Decimal
    quantity: int

    @classmethod
    def from_backend(cls, data: dict[str, Any]) -> OrderItem:
        return cls(
            product_id=strawberry.ID(data["product_id"]),
            store_id=strawberry.ID(data["store_id"]),
            product_name=data.get("product_name", ""),
            store_name=data.get("store_name", ""),
            price=money(data["price"]),
            quantity=int(data["quantity"]),
        )

    @strawberry.field(description="The product now (null once removed from the catalog).")
    async def product(self, info: Info) -> Product | None:
        return await product_ref(info, str(self.product_id))

    @strawberry.field(description="The store now.")
    async def store(self, info: Info) -> Store | None:
        return await store_ref(info, str(self.store_id))


@strawberry.enum
class SagaOutcome(Enum):
    PENDING = "PENDING"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"


@strawberry.type(description="One command the saga sent and what became of it.")
class SagaStep:
    step: int
    direction: str = strawberry.field(description="`forward`, or `compensation`.")
    command: str
    outcome: SagaOutcome
    at: dt.datetime
    error: str

    @classmethod
    def from_backend(cls, data: dict[str, Any]) -> SagaStep:
        return cls(
            step=int(data["step"]),
            direction=data["direction"],
            command=data["command"],
            outcome=SagaOutcome(data["outcome"]),
            at=timestamp(data["at"]),
            error=data.get("error", ""),
        )


@strawberry.type(description="The state of an order's create-order saga.")
class Saga:
    name: str
    step: int
    compensating: bool
    done: bool
    history: list[SagaStep]

    @classmethod
    def from_backend(cls, data: dict[str, Any]) -> Saga:
        return cls(
            name=data["name"],
            step=int(data["step"]),
            compensating=bool(data["compensating"]),
            done=bool(data["done"]),
            history=[SagaStep.from_backend(h) for h in data["history"]],
        )


@strawberry.type
class Order:
    id: strawberry.ID
    customer_id: strawberry.ID
    payment_id: strawberry.ID | None
    basket_id: strawberry.ID | None
    invoice_id: strawberry.ID | None = strawberry.field(description="Set once completed.")
    shopping_list_id: strawberry.ID | None = strawberry.field(
        description="Set once the depot made the order's shopping list."
    )
    items: list[OrderItem]
    total: Decimal
    status: OrderStatus
    rejection_reason: str = strawberry.field(
        description="Why the create-order saga rejected the order (empty unless REJECTED)."
    )
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_backend(cls, data: dict[str, Any]) -> Order:
        return cls(
            id=strawberry.ID(data["id"]),
            customer_id=strawberry.ID(data["customer_id"]),
            payment_id=optional_id(data.get("payment_id")),
            basket_id=optional_id(data.get("basket_id")),
            invoice_id=optional_id(data.get("invoice_id")),
            shopping_list_id=optional_id(data.get("shopping_id")),
            items=[OrderItem.from_backend(item) for item in data["items"]],
            total=money(data["total"]),
            status=OrderStatus(data["status"]),
            rejection_reason=data.get("rejection_reason", ""),
            created_at=timestamp(data["created_at"]),
            updated_at=timestamp(data["updated_at"]),
        )

    @strawberry.field(description="The customer (through a DataLoader).")
    async def customer(self, info: Info) -> Customer | None:
        return await customer_by_loader(info, str(self.customer_id))

    @strawberry.field(description="The create-order saga's state; null if it has not started.")
    async def saga(self, info: Info) -> Saga | None:
        return await load_saga(info, str(self.id))


async def load_saga(info: Info, order_id: str) -> Saga | None:
    try:
        data = await ctx(info).call("GET", f"/cosec/sagas/{seg(order_id)}")
    except GraphQLError as error:
        if (error.extensions or {}).get("code") == "NOT_FOUND":
            return None
        raise
    return Saga.from_backend(data)


async def load_order(info: Info, order_id: str) -> Order:
    data = await ctx(info).call("GET", f"/ordering/{seg(order_id)}")
    return Order.from_backend(data["order"])


@strawberry.type
class OrderingQuery:
    @strawberry.field(description="An order by id (NOT_FOUND if unknown).")
    async def order(self, info: Info, id: strawberry.ID) -> Order:
        require(info, "customer")
        return await load_order(info, str(id))


@strawberry.input
class CancelOrderInput:
    order_id: strawberry.ID
    idempotency_key: str | None = None


@strawberry.type
class CancelOrderPayload:
    order: Order


@strawberry.type
class OrderingMutation:
    @strawberry.mutation(description="Cancel a pending or approved order.")
    async def cancel_order(self, info: Info, input: CancelOrderInput) -> CancelOrderPayload:
        require(info, "customer")
        await ctx(info).call(
            "DELETE", f"/ordering/{seg(input.order_id)}", idempotent(input.idempotency_key)
        )
        return CancelOrderPayload(order=await load_order(info, str(input.order_id)))
