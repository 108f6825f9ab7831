"""DataLoaders for the objects that other objects refer to: stores, products and customers.

A nested reference (an order's customer, an item's product and store) is loaded through one
DataLoader per kind and request, so all references of one level of a result cost one backend
call (``GET /api/stores/products?ids=a,b,c`` and the like, at most ``BATCH`` ids per call). An id
that the backend does not know (a removed product) loads as ``None``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.types import Info

from gateway.context import Context

BATCH = 100
"""The most ids the backend's batch reads accept in one call."""

Row = dict[str, Any]


def batch(context: Context, path: str, key: str) -> Callable[[list[str]], Awaitable[list[Any]]]:
    async def load(ids: list[str]) -> list[Row | None]:
        chunks = [ids[i : i + BATCH] for i in range(0, len(ids), BATCH)]
        answers = await asyncio.gather(
            *(context.call("GET", path, ids=",".join(chunk)) for chunk in chunks)
        )
        found = {row["id"]: row for answer in answers for row in answer[key]}
        return [found.get(i) for i in ids]

    return load


def _loader(info: Info, kind: str, path: str, key: str) -> DataLoader[str, Row | None]:
    context: Context = info.context
    return context.loader(kind, batch(context, path, key))


def stores(info: Info) -> DataLoader[str, Row | None]:
    return _loader(info, "stores", "/stores", "stores")


def products(info: Info) -> DataLoader[str, Row | None]:
    return _loader(info, "products", "/stores/products", "products")


def customers(info: Info) -> DataLoader[str, Row | None]:
    return _loader(info, "customers", "/customers", "customers")
