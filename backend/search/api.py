"""The search module's HTTP API under /api/search."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Annotated, Any

from starlette.requests import Request

from backend.platform.api import Endpoint
from backend.platform.auth import require_role
from backend.platform.validation import MaxLen
from backend.search.application import SearchService
from backend.search.domain import DEFAULT_LIMIT, SearchFilters


@dataclass(frozen=True)
class SearchOrders:
    filters: SearchFilters = field(default_factory=SearchFilters)
    next: Annotated[str, MaxLen(500)] | None = None
    limit: int = DEFAULT_LIMIT


def endpoints(service: SearchService) -> list[Endpoint]:
    async def search_orders(request: Request, body: SearchOrders) -> Any:
        who = require_role("customer")
        filters = body.filters
        if not who.privileged:  # a customer searches their own orders, whatever the filter
            if who.customer_id is None or filters.customer_id not in (None, who.customer_id):
                return {"orders": [], "next": None}
            filters = dataclasses.replace(filters, customer_id=who.customer_id)
        return await service.search(filters, body.next, body.limit)

    async def get_order(request: Request, body: None) -> Any:
        return {"order": await service.get_order(request.path_params["id"])}

    return [
        Endpoint("POST", "/orders", search_orders,
                 "Search orders, newest first; pass `next` from a page to get the following one",
                 SearchOrders),
        Endpoint("GET", "/orders/{id}", get_order, "Get one order"),
    ]  # fmt: skip
