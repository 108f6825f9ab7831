"""The baskets module's published contract."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from backend.platform.messages import Contract, Payload

BASKET_TOPIC = "mallbots.baskets.events.Basket"
PROJECTION = "baskets"
"""Projection updates (``mallbots.projections.baskets``): key = basket id, state = the basket."""


@dataclass(frozen=True)
class BasketItem:
    store_id: str
    product_id: str
    store_name: str
    product_name: str
    price: Decimal
    quantity: int


@dataclass(frozen=True)
class BasketStarted(Payload):
    """A customer started a basket."""

    message_name = "basketsapi.BasketStarted"
    id: str
    customer_id: str


@dataclass(frozen=True)
class BasketCanceled(Payload):
    """A basket was cancelled."""

    message_name = "basketsapi.BasketCanceled"
    id: str


@dataclass(frozen=True)
class BasketCheckedOut(Payload):
    """A basket was checked out with an authorized payment: ordering creates the order."""

    message_name = "basketsapi.BasketCheckedOut"
    id: str
    customer_id: str
    payment_id: str
    items: list[BasketItem]


contract = Contract("baskets")
contract.register(BASKET_TOPIC, "event", BasketStarted, BasketCanceled, BasketCheckedOut)
contract.register_projection(PROJECTION)
