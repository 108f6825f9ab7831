"""The stores module's HTTP API under /api/stores."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from starlette.requests import Request

from backend.platform.api import Endpoint, Idempotent
from backend.platform.errors import BadRequest
from backend.platform.validation import Description, IdempotencyKey, MaxLen, Name
from backend.stores.application import StoresService

MAX_IDS = 100
"""The most ids one batch read (``?ids=a,b,c``) may list."""


def batch_ids(request: Request) -> list[str] | None:
    """The ``ids`` query parameter as a list (None if absent); BadRequest if empty or too long."""
    raw = request.query_params.get("ids")
    if raw is None:
        return None
    ids = list(dict.fromkeys(i.strip() for i in raw.split(",") if i.strip()))
    if not ids:
        raise BadRequest("ids must list at least one id")
    if len(ids) > MAX_IDS:
        raise BadRequest(f"ids cannot list more than {MAX_IDS} ids")
    return ids


@dataclass(frozen=True)
class CreateStore:
    name: Name
    location: Annotated[str, MaxLen(200)]
    idempotency_key: IdempotencyKey | None = None


@dataclass(frozen=True)
class Rebrand:
    name: Name
    idempotency_key: IdempotencyKey | None = None


@dataclass(frozen=True)
class AddProduct:
    name: Name
    price: Decimal  # the domain's money rules (check_money)
    description: Description = ""
    sku: Annotated[str, MaxLen(100)] = ""
    idempotency_key: IdempotencyKey | None = None


@dataclass(frozen=True)
class RebrandProduct:
    name: Name
    description: Description = ""
    idempotency_key: IdempotencyKey | None = None


@dataclass(frozen=True)
class ChangePrice:
    price: Decimal
    idempotency_key: IdempotencyKey | None = None


def endpoints(service: StoresService) -> list[Endpoint]:
    async def create_store(request: Request, body: CreateStore) -> Any:
        return await service.create_store(body.name, body.location, body.idempotency_key)

    async def list_stores(request: Request, body: None) -> Any:
        flag = request.query_params.get("participating")
        if flag not in (None, "true", "false"):
            raise BadRequest("participating must be true or false")
        participating = None if flag is None else flag == "true"
        ids = batch_ids(request)
        if ids is not None:
            return {"stores": await service.stores_by_ids(ids, participating)}
        return {"stores": await service.list_stores(participating)}

    async def get_store(request: Request, body: None) -> Any:
        return {"store": await service.get_store(request.path_params["id"])}

    async def enable_participation(request: Request, body: Idempotent) -> Any:
        return await service.enable_participation(request.path_params["id"], body.idempotency_key)

    async def disable_participation(request: Request, body: Idempotent) -> Any:
        return await service.disable_participation(request.path_params["id"], body.idempotency_key)

    async def rebrand_store(request: Request, body: Rebrand) -> Any:
        return await service.rebrand_store(
            request.path_params["id"], body.name, body.idempotency_key
        )

    async def add_product(request: Request, body: AddProduct) -> Any:
        return await service.add_product(
            request.path_params["id"],
            body.name,
            body.description,
            body.sku,
            body.price,
            body.idempotency_key,
        )

    async def get_catalog(request: Request, body: None) -> Any:
        return {"products": await service.catalog(request.path_params["id"])}

    async def products_by_ids(request: Request, body: None) -> Any:
        ids = batch_ids(request)
        if ids is None:
            raise BadRequest("ids is required")
        return {"products": await service.products_by_ids(ids)}

    async def get_product(request: Request, body: None) -> Any:
        return {"product": await service.get_product(request.path_params["id"])}

    async def rebrand_product(request: Request, body: RebrandProduct) -> Any:
        return await service.rebrand_product(
            request.path_params["id"], body.name, body.description, body.idempotency_key
        )

    async def increase_product_price(request: Request, body: ChangePrice) -> Any:
        return await service.increase_price(
            request.path_params["id"], body.price, body.idempotency_key
        )

    async def decrease_product_price(request: Request, body: ChangePrice) -> Any:
        return await service.decrease_price(
            request.path_params["id"], body.price, body.idempotency_key
        )

    async def remove_product(request: Request, body: Idempotent) -> Any:
        return await service.remove_product(request.path_params["id"], body.idempotency_key)

    return [
        Endpoint("POST", "", create_store, "Create a store", CreateStore, status=201),
        Endpoint("GET", "", list_stores,
                 "List stores (?participating=true|false), or the stores of ?ids=a,b,c"),
        Endpoint("GET", "/products", products_by_ids,
                 "The products of ?ids=a,b,c (at most 100; unknown ids are left out)"),
        Endpoint("GET", "/products/{id}", get_product, "Get a product"),
        Endpoint("PUT", "/products/{id}/rebrand", rebrand_product, "Rebrand a product",
                 RebrandProduct),
        Endpoint("PUT", "/products/{id}/increasePrice", increase_product_price,
                 "Increase a product's price", ChangePrice),
        Endpoint("PUT", "/products/{id}/decreasePrice", decrease_product_price,
                 "Decrease a product's price", ChangePrice),
        Endpoint("DELETE", "/products/{id}", remove_product, "Remove a product", Idempotent),
        Endpoint("GET", "/{id}", get_store, "Get a store"),
        Endpoint("PUT", "/{id}/participating", enable_participation,
                 "Enable participation in the bot service", Idempotent),
        Endpoint("DELETE", "/{id}/participating", disable_participation,
                 "Disable participation", Idempotent),
        Endpoint("PUT", "/{id}/rebrand", rebrand_store, "Rebrand a store", Rebrand),
        Endpoint("POST", "/{id}/products", add_product, "Add a product to the catalog",
                 AddProduct, status=201),
        Endpoint("GET", "/{id}/products", get_catalog, "The store's catalog"),
    ]  # fmt: skip
