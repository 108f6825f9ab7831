"""The stores module's published contract: integration events on its two topics."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from backend.platform.messages import Contract, Payload

STORE_TOPIC = "mallbots.stores.events.Store"
PRODUCT_TOPIC = "mallbots.stores.events.Product"
PROJECTION = "catalog"
"""Projection updates (``mallbots.projections.catalog``): key = store id, state = the product."""


@dataclass(frozen=True)
class StoreCreated(Payload):
    """A store opened in the mall."""

    message_name = "storesapi.StoreCreated"
    id: str
    name: str
    location: str


@dataclass(frozen=True)
class StoreParticipationToggled(Payload):
    """A store joined or left the bot shopping service."""

    message_name = "storesapi.StoreParticipatingToggled"
    id: str
    participating: bool


@dataclass(frozen=True)
class StoreRebranded(Payload):
    """A store changed its name."""

    message_name = "storesapi.StoreRebranded"
    id: str
    name: str


@dataclass(frozen=True)
class ProductAdded(Payload):
    """A product was added to a store's catalog; ``id`` is the product id."""

    message_name = "storesapi.ProductAdded"
    id: str
    store_id: str
    name: str
    description: str
    sku: str
    price: Decimal


@dataclass(frozen=True)
class ProductRebranded(Payload):
    """A product changed its name and description."""

    message_name = "storesapi.ProductRebranded"
    id: str
    name: str
    description: str


@dataclass(frozen=True)
class ProductPriceIncreased(Payload):
    """A product's price went up by ``delta`` (>= 0) to ``price``."""

    message_name = "storesapi.ProductPriceIncreased"
    id: str
    delta: Decimal
    price: Decimal


@dataclass(frozen=True)
class ProductPriceDecreased(Payload):
    """A product's price went down: ``delta`` is negative (new - old); ``price`` is the new one."""

    message_name = "storesapi.ProductPriceDecreased"
    id: str
    delta: Decimal
    price: Decimal


@dataclass(frozen=True)
class ProductRemoved(Payload):
    """A product left the catalog."""

    message_name = "storesapi.ProductRemoved"
    id: str


contract = Contract("stores")
contract.register(STORE_TOPIC, "event", StoreCreated, StoreParticipationToggled, StoreRebranded)
contract.register(
    PRODUCT_TOPIC,
    "event",
    ProductAdded,
    ProductRebranded,
    ProductPriceIncreased,
    ProductPriceDecreased,
    ProductRemoved,
)
contract.register_projection(PROJECTION)
