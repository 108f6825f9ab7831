"""The search module's HTTP API under /api/search."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from backend.platform.api import Endpoint
from backend.search.application import SearchService
from backend.search.domain import DEFAULT_LIMIT, SearchFilters


@dataclass(frozen=True)
class SearchOrders:
    filters: SearchFilters = field(default_factory=SearchFilters)
    next: str | None = None
    limit: int = DEFAULT_LIMIT


def endpoints(service: SearchService) -> list[Endpoint]:
    async def search_orders(request: Request, body: SearchOrders) -> Any:
        return await service.search(body.filters, body.next, body.limit)

    async def get_order(request: Request, body: None) -> Any:
        return {"order": await service.get_order(request.path_params["id"])}

    return [
        Endpoint("POST", "/orders", search_orders,
                 "Search orders, newest first; pass `next` from a page to get the following one",
                 SearchOrders),
        Endpoint("GET", "/orders/{id}", get_order, "Get one order"),
    ]  # fmt: skip
