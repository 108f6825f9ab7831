"""Resolvers of references shared by several types: a product and a store by id, batched."""

from __future__ import annotations

from strawberry.types import Info

from gateway import loaders
from gateway.schema.stores import Product, Store


async def product_ref(info: Info, product_id: str) -> Product | None:
    """The product through the request's DataLoader; None once removed from the catalog."""
    found = await loaders.products(info).load(product_id)
    return None if found is None else Product.from_backend(found)


async def store_ref(info: Info, store_id: str) -> Store | None:
    """The store through the request's DataLoader; None if unknown."""
    found = await loaders.stores(info).load(store_id)
    return None if found is None else Store.from_backend(found)
