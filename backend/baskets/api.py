"""The baskets module's HTTP API under /api/baskets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from backend.baskets.application import BasketsService
from backend.platform.api import Endpoint, Idempotent
from backend.platform.validation import Id, IdempotencyKey


@dataclass(frozen=True)
class StartBasket:
    customer_id: Id
    idempotency_key: IdempotencyKey | None = None


@dataclass(frozen=True)
class ChangeItem:
    product_id: Id
    quantity: int
    idempotency_key: IdempotencyKey | None = None


@dataclass(frozen=True)
class Checkout:
    payment_id: Id
    idempotency_key: IdempotencyKey | None = None


def endpoints(service: BasketsService) -> list[Endpoint]:
    async def start_basket(request: Request, body: StartBasket) -> Any:
        return await service.start_basket(body.customer_id, body.idempotency_key)

    async def get_basket(request: Request, body: None) -> Any:
        return {"basket": await service.get_basket(request.path_params["id"])}

    async def add_item(request: Request, body: ChangeItem) -> Any:
        return await service.add_item(
            request.path_params["id"], body.product_id, body.quantity, body.idempotency_key
        )

    async def remove_item(request: Request, body: ChangeItem) -> Any:
        return await service.remove_item(
            request.path_params["id"], body.product_id, body.quantity, body.idempotency_key
        )

    async def cancel_basket(request: Request, body: Idempotent) -> Any:
        return await service.cancel_basket(request.path_params["id"], body.idempotency_key)

    async def checkout_basket(request: Request, body: Checkout) -> Any:
        return await service.checkout_basket(
            request.path_params["id"], body.payment_id, body.idempotency_key
        )

    return [
        Endpoint("POST", "", start_basket, "Start a basket for a customer", StartBasket,
                 status=201),
        Endpoint("GET", "/{id}", get_basket, "Get a basket with its items and total"),
        Endpoint("PUT", "/{id}/addItem", add_item, "Add a quantity of a product", ChangeItem),
        Endpoint("PUT", "/{id}/removeItem", remove_item, "Remove a quantity of a product",
                 ChangeItem),
        Endpoint("DELETE", "/{id}", cancel_basket, "Cancel an open basket", Idempotent),
        Endpoint("PUT", "/{id}/checkout", checkout_basket,
                 "Check out with an authorized payment", Checkout),
    ]  # fmt: skip
