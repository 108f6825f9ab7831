"""The ordering module's published contract: order events and the commands it serves."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from backend.platform.messages import Contract, Payload

ORDER_TOPIC = "mallbots.ordering.events.Order"
COMMAND_TOPIC = "mallbots.ordering.commands"
PROJECTION = "orders"
"""Projection updates (``mallbots.projections.orders``): key = order id, state = the order."""


@dataclass(frozen=True)
class OrderItem:
    product_id: str
    store_id: str
    price: Decimal
    quantity: int
    store_name: str = ""
    product_name: str = ""


@dataclass(frozen=True)
class OrderCreated(Payload):
    """An order was created from a checked-out basket (status pending): the saga starts."""

    message_name = "ordersapi.OrderCreated"
    id: str
    customer_id: str
    payment_id: str
    shopping_id: str
    items: list[OrderItem]


@dataclass(frozen=True)
class OrderRejected(Payload):
    """The create-order saga rejected the order."""

    message_name = "ordersapi.OrderRejected"
    id: str
    customer_id: str
    payment_id: str


@dataclass(frozen=True)
class OrderApproved(Payload):
    """The create-order saga approved the order; a shopping list exists for it."""

    message_name = "ordersapi.OrderApproved"
    id: str
    customer_id: str
    payment_id: str
    shopping_id: str = ""


@dataclass(frozen=True)
class OrderReadied(Payload):
    """The bot finished shopping: the order is ready; payments invoices ``total``."""

    message_name = "ordersapi.OrderReadied"
    id: str
    customer_id: str
    payment_id: str
    total: Decimal


@dataclass(frozen=True)
class OrderCanceled(Payload):
    """The order was cancelled."""

    message_name = "ordersapi.OrderCanceled"
    id: str
    customer_id: str
    payment_id: str
    shopping_id: str = ""


@dataclass(frozen=True)
class OrderCompleted(Payload):
    """The order's invoice was paid: the order is complete."""

    message_name = "ordersapi.OrderCompleted"
    id: str
    customer_id: str
    invoice_id: str


@dataclass(frozen=True)
class RejectOrder(Payload):
    """Saga command: reject the pending order, saying why (the step that failed)."""

    message_name = "ordersapi.RejectOrder"
    id: str
    reason: str = ""


@dataclass(frozen=True)
class ApproveOrder(Payload):
    """Saga command: approve the pending order with its shopping list."""

    message_name = "ordersapi.ApproveOrder"
    id: str
    shopping_id: str


contract = Contract("ordering")
contract.register(
    ORDER_TOPIC,
    "event",
    OrderCreated,
    OrderRejected,
    OrderApproved,
    OrderReadied,
    OrderCanceled,
    OrderCompleted,
)
contract.register(COMMAND_TOPIC, "command", RejectOrder, ApproveOrder)
contract.register_projection(PROJECTION)
