"""The baskets domain: the event-sourced Basket aggregate. Pure Python, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any

from backend.platform import codec
from backend.platform.aggregate import Aggregate, DomainEvent
from backend.platform.errors import BadRequest
from backend.platform.money import MAX_AMOUNT

MAX_QUANTITY = 1000
"""The most of one product a basket line may hold (and a single add or remove may move)."""

MAX_TOTAL = MAX_AMOUNT
"""The largest basket total: the order made from the basket must fit ordering's and payments'
``numeric(14,2)`` columns (see :data:`~backend.platform.money.MAX_AMOUNT`)."""


class BasketStatus(StrEnum):
    OPEN = "open"
    CANCELED = "canceled"
    CHECKED_OUT = "checked_out"


@dataclass(frozen=True)
class StoreInfo:
    """What the basket needs to know about a store (from the stores cache)."""

    id: str
    name: str
    participating: bool


@dataclass(frozen=True)
class ProductInfo:
    """What the basket needs to know about a product (from the products cache)."""

    id: str
    store_id: str
    name: str
    price: Decimal


@dataclass(frozen=True)
class BasketItem:
    """One line of a basket: a product, its store, the price when first added, the quantity."""

    store_id: str
    product_id: str
    store_name: str
    product_name: str
    price: Decimal
    quantity: int


@dataclass(frozen=True)
class BasketStarted(DomainEvent):
    event_type = "baskets.BasketStarted"
    customer_id: str


@dataclass(frozen=True)
class BasketItemAdded(DomainEvent):
    event_type = "baskets.BasketItemAdded"
    item: BasketItem


@dataclass(frozen=True)
class BasketItemRemoved(DomainEvent):
    event_type = "baskets.BasketItemRemoved"
    product_id: str
    quantity: int


@dataclass(frozen=True)
class BasketCanceled(DomainEvent):
    event_type = "baskets.BasketCanceled"


@dataclass(frozen=True)
class BasketCheckedOut(DomainEvent):
    event_type = "baskets.BasketCheckedOut"
    payment_id: str


BASKET_EVENTS: list[type[DomainEvent]] = [
    BasketStarted,
    BasketItemAdded,
    BasketItemRemoved,
    BasketCanceled,
    BasketCheckedOut,
]


def _check_total(total: Decimal) -> None:
    if total > MAX_TOTAL:
        raise BadRequest(f"the basket total cannot exceed {MAX_TOTAL}")


def _check_quantity(quantity: int) -> None:
    if quantity < 1:
        raise BadRequest("the item quantity must be positive")
    if quantity > MAX_QUANTITY:
        raise BadRequest("the item quantity is too large")


class Basket(Aggregate):
    stream_type = "baskets.Basket"

    def __init__(self, id: str) -> None:
        super().__init__(id)
        self.customer_id = ""
        self.payment_id = ""
        self.status = BasketStatus.OPEN
        self.items: dict[str, BasketItem] = {}

    @classmethod
    def start(cls, id: str, customer_id: str) -> Basket:
        if not customer_id.strip():
            raise BadRequest("the customer id cannot be blank")
        basket = cls(id)
        basket.record(BasketStarted(customer_id.strip()))
        return basket

    @property
    def total(self) -> Decimal:
        return sum((i.price * i.quantity for i in self.items.values()), Decimal("0.00"))

    def _check_open(self) -> None:
        if self.status is not BasketStatus.OPEN:
            raise BadRequest("the basket cannot be modified")

    def add_item(self, store: StoreInfo, product: ProductInfo, quantity: int) -> None:
        """Add ``quantity`` of ``product``; a product already in the basket keeps its first
        names and price and only grows in quantity."""
        self._check_open()
        _check_quantity(quantity)
        if not store.participating:
            raise BadRequest("the store is not participating")
        current = self.items.get(product.id)
        if current is not None and current.quantity + quantity > MAX_QUANTITY:
            raise BadRequest("the item quantity is too large")
        price = product.price if current is None else current.price  # a line keeps its price
        _check_total(self.total + price * quantity)
        self.record(
            BasketItemAdded(
                BasketItem(store.id, product.id, store.name, product.name, product.price, quantity)
            )
        )

    def remove_item(self, product_id: str, quantity: int) -> None:
        """Take ``quantity`` of the product out; the line goes when nothing is left (B1).
        Removing a product that is not in the basket changes nothing."""
        self._check_open()
        _check_quantity(quantity)
        if product_id in self.items:
            self.record(BasketItemRemoved(product_id, quantity))

    def cancel(self) -> None:
        if self.status is not BasketStatus.OPEN:
            raise BadRequest("the basket cannot be cancelled")
        self.record(BasketCanceled())

    def checkout(self, payment_id: str) -> None:
        self._check_open()
        if not self.items:
            raise BadRequest("the basket has no items")
        _check_total(self.total)  # a basket filled before the bound, or under a higher one
        if not payment_id.strip():
            raise BadRequest("the payment id cannot be blank")
        self.record(BasketCheckedOut(payment_id.strip()))

    def apply(self, event: DomainEvent) -> None:
        match event:
            case BasketStarted(customer_id=customer_id):
                self.customer_id, self.status = customer_id, BasketStatus.OPEN
            case BasketItemAdded(item=item):
                current = self.items.get(item.product_id)
                if current is None:
                    self.items[item.product_id] = item
                else:
                    quantity = current.quantity + item.quantity
                    self.items[item.product_id] = replace(current, quantity=quantity)
            case BasketItemRemoved(product_id=product_id, quantity=quantity):
                current = self.items.get(product_id)
                if current is None:
                    return
                left = current.quantity - quantity
                if left <= 0:
                    del self.items[product_id]
                else:
                    self.items[product_id] = replace(current, quantity=left)
            case BasketCanceled():
                self.items.clear()
                self.status = BasketStatus.CANCELED
            case BasketCheckedOut(payment_id=payment_id):
                self.payment_id, self.status = payment_id, BasketStatus.CHECKED_OUT

    def snapshot(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "payment_id": self.payment_id,
            "status": self.status.value,
            "items": codec.to_plain(list(self.items.values())),
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.customer_id = state["customer_id"]
        self.payment_id = state["payment_id"]
        self.status = BasketStatus(state["status"])
        items = (codec.from_plain(BasketItem, i) for i in state["items"])
        self.items = {item.product_id: item for item in items}
