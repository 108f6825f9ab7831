"""The ordering module's HTTP API under /api/ordering."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from backend.ordering.application import OrderingService
from backend.platform.api import Endpoint, Idempotent
from backend.platform.auth import require_role
from backend.platform.codec import MAX_TEXT
from backend.platform.errors import BadRequest
from backend.platform.validation import Id, IdempotencyKey


@dataclass(frozen=True)
class CompleteOrder:
    invoice_id: Id
    idempotency_key: IdempotencyKey | None = None


def endpoints(service: OrderingService) -> list[Endpoint]:
    async def list_orders(request: Request, body: None) -> Any:
        customer_id = request.query_params.get("customer_id", "").strip()
        if not customer_id:
            raise BadRequest("customer_id is required")
        if len(customer_id) > MAX_TEXT:
            raise BadRequest(f"customer_id is longer than {MAX_TEXT} characters")
        return {"orders": await service.customer_orders(customer_id)}

    async def get_order(request: Request, body: None) -> Any:
        return {"order": await service.get_order(request.path_params["id"])}

    async def cancel_order(request: Request, body: Idempotent) -> Any:
        return await service.cancel_order(request.path_params["id"], body.idempotency_key)

    async def ready_order(request: Request, body: Idempotent) -> Any:
        require_role("admin")
        return await service.ready_order(request.path_params["id"], body.idempotency_key)

    async def complete_order(request: Request, body: CompleteOrder) -> Any:
        require_role("admin")
        return await service.complete_order(
            request.path_params["id"], body.invoice_id, body.idempotency_key
        )

    return [
        Endpoint("GET", "", list_orders, "A customer's orders, newest first (?customer_id=)"),
        Endpoint("GET", "/{id}", get_order, "Get an order"),
        Endpoint("DELETE", "/{id}", cancel_order, "Cancel a pending or approved order",
                 Idempotent),
        Endpoint("PUT", "/{id}/ready", ready_order, "Mark an approved order ready", Idempotent),
        Endpoint("PUT", "/{id}/complete", complete_order,
                 "Complete a ready order with its paid invoice", CompleteOrder),
    ]  # fmt: skip
