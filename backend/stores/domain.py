"""The stores domain: event-sourced Store and Product aggregates. Pure Python, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from backend.platform.aggregate import Aggregate, DomainEvent
from backend.platform.errors import BadRequest
from backend.platform.money import check_money

# --- Store -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreCreated(DomainEvent):
    event_type = "stores.StoreCreated"
    name: str
    location: str


@dataclass(frozen=True)
class StoreParticipationEnabled(DomainEvent):
    event_type = "stores.StoreParticipationEnabled"


@dataclass(frozen=True)
class StoreParticipationDisabled(DomainEvent):
    event_type = "stores.StoreParticipationDisabled"


@dataclass(frozen=True)
class StoreRebranded(DomainEvent):
    event_type = "stores.StoreRebranded"
    name: str


STORE_EVENTS: list[type[DomainEvent]] = [
    StoreCreated,
    StoreParticipationEnabled,
    StoreParticipationDisabled,
    StoreRebranded,
]


class Store(Aggregate):
    stream_type = "stores.Store"

    def __init__(self, id: str) -> None:
        super().__init__(id)
        self.name = ""
        self.location = ""
        self.participating = False

    @classmethod
    def create(cls, id: str, name: str, location: str) -> Store:
        if not name.strip():
            raise BadRequest("the store name cannot be blank")
        if not location.strip():
            raise BadRequest("the store location cannot be blank")
        store = cls(id)
        store.record(StoreCreated(name.strip(), location.strip()))
        return store

    def enable_participation(self) -> None:
        if self.participating:
            raise BadRequest("the store is already participating")
        self.record(StoreParticipationEnabled())

    def disable_participation(self) -> None:
        if not self.participating:
            raise BadRequest("the store is already not participating")
        self.record(StoreParticipationDisabled())

    def rebrand(self, name: str) -> None:
        if not name.strip():
            raise BadRequest("the store name cannot be blank")
        self.record(StoreRebranded(name.strip()))

    def apply(self, event: DomainEvent) -> None:
        match event:
            case StoreCreated(name=name, location=location):
                self.name, self.location = name, location
            case StoreParticipationEnabled():
                self.participating = True
            case StoreParticipationDisabled():
                self.participating = False
            case StoreRebranded(name=name):
                self.name = name

    def restore(self, state: dict[str, Any]) -> None:
        self.name = state["name"]
        self.location = state["location"]
        self.participating = state["participating"]


# --- Product ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductAdded(DomainEvent):
    event_type = "stores.ProductAdded"
    store_id: str
    name: str
    description: str
    sku: str
    price: Decimal


@dataclass(frozen=True)
class ProductRebranded(DomainEvent):
    event_type = "stores.ProductRebranded"
    name: str
    description: str


@dataclass(frozen=True)
class ProductPriceIncreased(DomainEvent):
    event_type = "stores.ProductPriceIncreased"
    delta: Decimal


@dataclass(frozen=True)
class ProductPriceDecreased(DomainEvent):
    event_type = "stores.ProductPriceDecreased"
    delta: Decimal


@dataclass(frozen=True)
class ProductRemoved(DomainEvent):
    event_type = "stores.ProductRemoved"


PRODUCT_EVENTS: list[type[DomainEvent]] = [
    ProductAdded,
    ProductRebranded,
    ProductPriceIncreased,
    ProductPriceDecreased,
    ProductRemoved,
]


class Product(Aggregate):
    stream_type = "stores.Product"

    def __init__(self, id: str) -> None:
        super().__init__(id)
        self.store_id = ""
        self.name = ""
        self.description = ""
        self.sku = ""
        self.price = Decimal(0)
        self.removed = False

    @classmethod
    def add(
        cls, id: str, store_id: str, name: str, description: str, sku: str, price: Decimal
    ) -> Product:
        if not name.strip():
            raise BadRequest("the product name cannot be blank")
        if check_money(price, "product price") < 0:
            raise BadRequest("the product price cannot be negative")
        product = cls(id)
        product.record(ProductAdded(store_id, name.strip(), description, sku, price))
        return product

    def _check_not_removed(self) -> None:
        if self.removed:
            raise BadRequest("the product has been removed")

    def rebrand(self, name: str, description: str) -> None:
        self._check_not_removed()
        if not name.strip():
            raise BadRequest("the product name cannot be blank")
        self.record(ProductRebranded(name.strip(), description))

    def increase_price(self, price: Decimal) -> Decimal:
        """Raise the price to ``price``; return the delta (>= 0)."""
        self._check_not_removed()
        if check_money(price, "product price") < self.price:
            raise BadRequest("the price change would be a decrease")
        delta = price - self.price
        self.record(ProductPriceIncreased(delta))
        return delta

    def decrease_price(self, price: Decimal) -> Decimal:
        """Lower the price to ``price``; return the delta (<= 0)."""
        self._check_not_removed()
        if check_money(price, "product price") > self.price:
            raise BadRequest("the price change would be an increase")
        if price < 0:
            raise BadRequest("the product price cannot be negative")
        delta = price - self.price
        self.record(ProductPriceDecreased(delta))
        return delta

    def remove(self) -> None:
        self._check_not_removed()
        self.record(ProductRemoved())

    def apply(self, event: DomainEvent) -> None:
        match event:
            case ProductAdded() as added:
                self.store_id, self.name = added.store_id, added.name
                self.description, self.sku, self.price = added.description, added.sku, added.price
            case ProductRebranded(name=name, description=description):
                self.name, self.description = name, description
            case ProductPriceIncreased(delta=delta) | ProductPriceDecreased(delta=delta):
                self.price += delta
            case ProductRemoved():
                self.removed = True

    def restore(self, state: dict[str, Any]) -> None:
        self.store_id = state["store_id"]
        self.name = state["name"]
        self.description = state["description"]
        self.sku = state["sku"]
        self.price = Decimal(state["price"])
        self.removed = state["removed"]
