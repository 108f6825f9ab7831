"""The baskets module's copies of the stores module's stores and products (versioned, so that
they converge whatever order the events and the read-through fall-backs arrive in)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from backend.platform.cache import Field, VersionedCache
from backend.platform.eventstore import EventStore


@dataclass(frozen=True)
class Caches:
    stores: VersionedCache
    products: VersionedCache

    @classmethod
    def of(cls, store: EventStore) -> Caches:
        return cls(
            VersionedCache(
                store.table("stores_cache"), (Field("name", ""), Field("participating", False))
            ),
            VersionedCache(
                store.table("products_cache"),
                (
                    Field("store_id", ""),
                    Field("name", ""),
                    Field("price", Decimal(0)),
                    Field("removed", False, required=False),
                ),
            ),
        )
