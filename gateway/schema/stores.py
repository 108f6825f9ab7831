"""Stores and catalogs: types, queries and mutations (backend module ``stores``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from gateway import loaders
from gateway.authorization import require, require_manager
from gateway.errors import not_found
from gateway.schema.common import ctx, seg


@strawberry.type
class Store:
    id: strawberry.ID
    name: str
    location: str
    participating: bool

    @classmethod
    def from_backend(cls, data: dict[str, Any]) -> Store:
        return cls(
            id=strawberry.ID(data["id"]),
            name=data["name"],
            location=data["location"],
            participating=data["participating"],
        )


@strawberry.type
class Product:
    id: strawberry.ID
    store_id: strawberry.ID
    name: str
    description: str
    sku: str
    price: Decimal

    @classmethod
    def from_backend(cls, data: dict[str, Any]) -> Product:
        return cls(
            id=strawberry.ID(data["id"]),
            store_id=strawberry.ID(data["store_id"]),
            name=data["name"],
            description=data["description"],
            sku=data["sku"],
            price=Decimal(str(data["price"])),
        )

    @strawberry.field(description="The store that sells it (through a DataLoader).")
    async def store(self, info: Info) -> Store:
        found = await loaders.stores(info).load(str(self.store_id))
        if found is None:
            raise not_found("store", str(self.store_id))
        return Store.from_backend(found)


async def load_store(info: Info, store_id: str) -> Store:
    data = await ctx(info).call("GET", f"/stores/{seg(store_id)}")
    return Store.from_backend(data["store"])


async def load_product(info: Info, product_id: str) -> Product:
    data = await ctx(info).call("GET", f"/stores/products/{seg(product_id)}")
    return Product.from_backend(data["product"])


@strawberry.type
class StoresQuery:
    @strawberry.field(description="A store by id (NOT_FOUND if unknown).")
    async def store(self, info: Info, id: strawberry.ID) -> Store:
        return await load_store(info, str(id))

    @strawberry.field(description="All stores, or only those (not) participating.")
    async def stores(self, info: Info, participating: bool | None = None) -> list[Store]:
        params = {} if participating is None else {"participating": str(participating).lower()}
        data = await ctx(info).call("GET", "/stores", **params)
        return [Store.from_backend(s) for s in data["stores"]]

    @strawberry.field(description="A product by id (NOT_FOUND if unknown).")
    async def product(self, info: Info, id: strawberry.ID) -> Product:
        return await load_product(info, str(id))

    @strawberry.field(description="The products of a store.")
    async def catalog(self, info: Info, store_id: strawberry.ID) -> list[Product]:
        data = await ctx(info).call("GET", f"/stores/{seg(store_id)}/products")
        return [Product.from_backend(p) for p in data["products"]]


@strawberry.input
class CreateStoreInput:
    name: str
    location: str
    idempotency_key: str | None = None


@strawberry.type
class CreateStorePayload:
    store: Store


@strawberry.input
class StoreParticipationInput:
    store_id: strawberry.ID
    idempotency_key: str | None = None


@strawberry.type
class StoreParticipationPayload:
    store: Store


@strawberry.input
class RebrandStoreInput:
    store_id: strawberry.ID
    name: str
    idempotency_key: str | None = None


@strawberry.type
class RebrandStorePayload:
    store: Store


@strawberry.input
class AddProductInput:
    store_id: strawberry.ID
    name: str
    price: Decimal
    description: str = ""
    sku: str = ""
    idempotency_key: str | None = None


@strawberry.type
class AddProductPayload:
    product: Product


@strawberry.input
class RebrandProductInput:
    product_id: strawberry.ID
    name: str
    description: str = ""
    idempotency_key: str | None = None


@strawberry.type
class RebrandProductPayload:
    product: Product


@strawberry.input
class ChangeProductPriceInput:
    product_id: strawberry.ID
    price: Decimal
    idempotency_key: str | None = None


@strawberry.type
class ChangeProductPricePayload:
    product: Product


@strawberry.input
class RemoveProductInput:
    product_id: strawberry.ID
    idempotency_key: str | None = None


@strawberry.type
class RemoveProductPayload:
    product_id: strawberry.ID


def _key(idempotency_key: str | None) -> dict[str, str]:
    return {} if idempotency_key is None else {"idempotency_key": idempotency_key}


@strawberry.type
class StoresMutation:
    @strawberry.mutation
    async def create_store(self, info: Info, input: CreateStoreInput) -> CreateStorePayload:
        require(info, "admin")
        body = {"name": input.name, "location": input.location, **_key(input.idempotency_key)}
        created = await ctx(info).call("POST", "/stores", body)
        return CreateStorePayload(store=await load_store(info, created["id"]))

    @strawberry.mutation
    async def enable_store_participation(
        self, info: Info, input: StoreParticipationInput
    ) -> StoreParticipationPayload:
        require_manager(info, input.store_id)
        await ctx(info).call(
            "PUT", f"/stores/{seg(input.store_id)}/participating", _key(input.idempotency_key)
        )
        return StoreParticipationPayload(store=await load_store(info, str(input.store_id)))

    @strawberry.mutation
    async def disable_store_participation(
        self, info: Info, input: StoreParticipationInput
    ) -> StoreParticipationPayload:
        require_manager(info, input.store_id)
        await ctx(info).call(
            "DELETE", f"/stores/{seg(input.store_id)}/participating", _key(input.idempotency_key)
        )
        return StoreParticipationPayload(store=await load_store(info, str(input.store_id)))

    @strawberry.mutation
    async def rebrand_store(self, info: Info, input: RebrandStoreInput) -> RebrandStorePayload:
        require_manager(info, input.store_id)
        body = {"name": input.name, **_key(input.idempotency_key)}
        await ctx(info).call("PUT", f"/stores/{seg(input.store_id)}/rebrand", body)
        return RebrandStorePayload(store=await load_store(info, str(input.store_id)))

    @strawberry.mutation
    async def add_product(self, info: Info, input: AddProductInput) -> AddProductPayload:
        require_manager(info, input.store_id)
        body = {
            "name": input.name,
            "price": str(input.price),
            "description": input.description,
            "sku": input.sku,
            **_key(input.idempotency_key),
        }
        created = await ctx(info).call("POST", f"/stores/{seg(input.store_id)}/products", body)
        return AddProductPayload(product=await load_product(info, created["id"]))

    @strawberry.mutation
    async def rebrand_product(
        self, info: Info, input: RebrandProductInput
    ) -> RebrandProductPayload:
        require(info, "store_manager")
        body = {"name": input.name, "description": input.description,
                **_key(input.idempotency_key)}  # fmt: skip
        await ctx(info).call("PUT", f"/stores/products/{seg(input.product_id)}/rebrand", body)
        return RebrandProductPayload(product=await load_product(info, str(input.product_id)))

    @strawberry.mutation
    async def increase_product_price(
        self, info: Info, input: ChangeProductPriceInput
    ) -> ChangeProductPricePayload:
        require(info, "store_manager")
        body = {"price": str(input.price), **_key(input.idempotency_key)}
        await ctx(info).call("PUT", f"/stores/products/{seg(input.product_id)}/increasePrice", body)
        return ChangeProductPricePayload(product=await load_product(info, str(input.product_id)))

    @strawberry.mutation
    async def decrease_product_price(
        self, info: Info, input: ChangeProductPriceInput
    ) -> ChangeProductPricePayload:
        require(info, "store_manager")
        body = {"price": str(input.price), **_key(input.idempotency_key)}
        await ctx(info).call("PUT", f"/stores/products/{seg(input.product_id)}/decreasePrice", body)
        return ChangeProductPricePayload(product=await load_product(info, str(input.product_id)))

    @strawberry.mutation
    async def remove_product(self, info: Info, input: RemoveProductInput) -> RemoveProductPayload:
        require(info, "store_manager")
        await ctx(info).call(
            "DELETE", f"/stores/products/{seg(input.product_id)}", _key(input.idempotency_key)
        )
        return RemoveProductPayload(product_id=input.product_id)
