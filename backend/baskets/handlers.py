"""The baskets module's handler table: the stores and products caches, fed by the stores topics.

Every write goes through the versioned cache, so the copies converge on the stores module's
state whatever the order of the events and of the read-through fall-backs in ``application``.
"""

from __future__ import annotations

from backend.baskets.caches import Caches
from backend.platform.cache import caching
from backend.platform.handlers import HandlerTable
from backend.stores import messages as stores


def handlers(caches: Caches) -> HandlerTable:
    store, product = stores.STORE_TOPIC, stores.PRODUCT_TOPIC
    s, p = caches.stores, caches.products
    return {
        (store, stores.StoreCreated.message_name): caching(
            s, stores.StoreCreated, lambda e: {"name": e.name, "participating": False}
        ),
        (store, stores.StoreParticipationToggled.message_name): caching(
            s, stores.StoreParticipationToggled, lambda e: {"participating": e.participating}
        ),
        (store, stores.StoreRebranded.message_name): caching(
            s, stores.StoreRebranded, lambda e: {"name": e.name}
        ),
        (product, stores.ProductAdded.message_name): caching(
            p,
            stores.ProductAdded,
            lambda e: {"store_id": e.store_id, "name": e.name, "price": e.price, "removed": False},
        ),
        (product, stores.ProductRebranded.message_name): caching(
            p, stores.ProductRebranded, lambda e: {"name": e.name}
        ),
        (product, stores.ProductPriceIncreased.message_name): caching(
            p, stores.ProductPriceIncreased, lambda e: {"price": e.price}
        ),
        (product, stores.ProductPriceDecreased.message_name): caching(
            p, stores.ProductPriceDecreased, lambda e: {"price": e.price}
        ),
        # A tombstone: a fall-back read racing with the removal cannot bring the product back.
        (product, stores.ProductRemoved.message_name): caching(
            p, stores.ProductRemoved, lambda e: {"removed": True}
        ),
    }
