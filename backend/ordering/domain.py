"""The ordering domain: the event-sourced Order aggregate and its state machine. Pure Python.

    pending --approve--> approved --ready--> ready --complete--> completed
    pending --reject---> rejected
    pending | approved --cancel--> cancelled

Any other transition is refused with ``the order cannot be <verb>`` (O2).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from backend.platform import codec
from backend.platform.aggregate import Aggregate, DomainEvent
from backend.platform.errors import BadRequest
from backend.platform.money import MAX_AMOUNT

MAX_REASON = 500
"""The longest rejection reason kept on an order."""

MAX_TOTAL = MAX_AMOUNT
"""The largest order total (the orders read model and the payments module hold it as
``numeric(14,2)``). The basket refuses a larger one first; this makes the handler's refusal of a
message that still carries one name the reason."""

ORDER_NAMESPACE = uuid.UUID("6f0a52c4-2d1e-4f57-9a55-0b7f3c1d9e21")
"""Namespace of the order ids derived from basket ids (uuid5)."""


def order_id_for_basket(basket_id: str) -> str:
    """The id of the order made from a basket: the same basket always gives the same id, so a
    redelivered or repeated checkout can never create a second order (O3)."""
    return str(uuid.uuid5(ORDER_NAMESPACE, f"basket:{basket_id}"))


class OrderStatus(StrEnum):
    PENDING = "pending"
    REJECTED = "rejected"
    APPROVED = "approved"
    READY = "ready"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class OrderItem:
    product_id: str
    store_id: str
    store_name: str
    product_name: str
    price: Decimal
    quantity: int


@dataclass(frozen=True)
class OrderCreated(DomainEvent):
    event_type = "ordering.OrderCreated"
    customer_id: str
    payment_id: str
    basket_id: str
    items: tuple[OrderItem, ...]


@dataclass(frozen=True)
class OrderRejected(DomainEvent):
    event_type = "ordering.OrderRejected"
    reason: str = ""


@dataclass(frozen=True)
class OrderApproved(DomainEvent):
    event_type = "ordering.OrderApproved"
    shopping_id: str


@dataclass(frozen=True)
class OrderReadied(DomainEvent):
    event_type = "ordering.OrderReadied"


@dataclass(frozen=True)
class OrderCompleted(DomainEvent):
    event_type = "ordering.OrderCompleted"
    invoice_id: str


@dataclass(frozen=True)
class OrderCanceled(DomainEvent):
    event_type = "ordering.OrderCanceled"


ORDER_EVENTS: list[type[DomainEvent]] = [
    OrderCreated,
    OrderRejected,
    OrderApproved,
    OrderReadied,
    OrderCompleted,
    OrderCanceled,
]


class Order(Aggregate):
    stream_type = "ordering.Order"

    def __init__(self, id: str) -> None:
        super().__init__(id)
        self.customer_id = ""
        self.payment_id = ""
        self.basket_id = ""
        self.invoice_id = ""
        self.shopping_id = ""
        self.items: tuple[OrderItem, ...] = ()
        self.status = OrderStatus.PENDING
        self.rejection_reason = ""

    @classmethod
    def create(
        cls,
        id: str,
        customer_id: str,
        payment_id: str,
        items: Sequence[OrderItem],
        basket_id: str = "",
    ) -> Order:
        if not items:
            raise BadRequest("the order has no items")
        if not customer_id.strip():
            raise BadRequest("the customer id cannot be blank")
        if not payment_id.strip():
            raise BadRequest("the payment id cannot be blank")
        if any(i.quantity < 1 for i in items):
            raise BadRequest("the item quantity must be positive")
        if any(i.price < 0 for i in items):
            raise BadRequest("the item price cannot be negative")
        order = cls(id)
        order.record(OrderCreated(customer_id, payment_id, basket_id, tuple(items)))
        if order.total > MAX_TOTAL:  # the order is dropped: nothing was saved
            raise BadRequest(f"the order total cannot exceed {MAX_TOTAL}")
        return order

    @property
    def total(self) -> Decimal:
        return sum((i.price * i.quantity for i in self.items), Decimal("0.00"))

    def _require(self, verb: str, *allowed: OrderStatus) -> None:
        if self.status not in allowed:
            raise BadRequest(f"the order cannot be {verb}")

    def reject(self, reason: str = "") -> None:
        self._require("rejected", OrderStatus.PENDING)
        self.record(OrderRejected(reason[:MAX_REASON]))

    def approve(self, shopping_id: str) -> None:
        self._require("approved", OrderStatus.PENDING)
        if not shopping_id.strip():
            raise BadRequest("the shopping id cannot be blank")
        self.record(OrderApproved(shopping_id))

    def ready(self) -> None:
        self._require("readied", OrderStatus.APPROVED)
        self.record(OrderReadied())

    def complete(self, invoice_id: str) -> None:
        self._require("completed", OrderStatus.READY)
        if not invoice_id.strip():
            raise BadRequest("the invoice id cannot be blank")
        self.record(OrderCompleted(invoice_id))

    def cancel(self) -> None:
        """Cancel before the goods are ready; an approved order's shopping list goes too (the
        OrderCanceled integration event carries its id)."""
        self._require("cancelled", OrderStatus.PENDING, OrderStatus.APPROVED)
        self.record(OrderCanceled())

    def apply(self, event: DomainEvent) -> None:
        match event:
            case OrderCreated() as created:
                self.customer_id, self.payment_id = created.customer_id, created.payment_id
                self.basket_id, self.items = created.basket_id, created.items
                self.status = OrderStatus.PENDING
            case OrderRejected(reason=reason):
                self.status, self.rejection_reason = OrderStatus.REJECTED, reason
            case OrderApproved(shopping_id=shopping_id):
                self.shopping_id, self.status = shopping_id, OrderStatus.APPROVED
            case OrderReadied():
                self.status = OrderStatus.READY
            case OrderCompleted(invoice_id=invoice_id):
                self.invoice_id, self.status = invoice_id, OrderStatus.COMPLETED
            case OrderCanceled():
                self.status = OrderStatus.CANCELLED

    def snapshot(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "payment_id": self.payment_id,
            "basket_id": self.basket_id,
            "invoice_id": self.invoice_id,
            "shopping_id": self.shopping_id,
            "items": codec.to_plain(list(self.items)),
            "status": self.status.value,
            "rejection_reason": self.rejection_reason,
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.customer_id = state["customer_id"]
        self.payment_id = state["payment_id"]
        self.basket_id = state["basket_id"]
        self.invoice_id = state["invoice_id"]
        self.shopping_id = state["shopping_id"]
        self.items = tuple(codec.from_plain(OrderItem, i) for i in state["items"])
        self.status = OrderStatus(state["status"])
        self.rejection_reason = state.get("rejection_reason", "")  # older snapshots have none
