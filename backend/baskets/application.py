"""Baskets commands and queries.

A command loads the basket (snapshot + tail), applies the change, and in one unit of work appends
the events and writes the integration events and the projection update to the outbox. Product and
store details come from the local caches (fed by the stores topics, see ``handlers``); on a miss
they are read once from the stores module's HTTP API and cached.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import quote

from backend.baskets import messages
from backend.baskets.caches import Caches
from backend.baskets.domain import (
    BASKET_EVENTS,
    Basket,
    BasketCanceled,
    BasketCheckedOut,
    BasketStarted,
    ProductInfo,
    StoreInfo,
)
from backend.platform import codec
from backend.platform.aggregate import DomainEvent, Repository
from backend.platform.auth import current_principal, require_customer
from backend.platform.cache import READ_VERSION
from backend.platform.errors import NotFound
from backend.platform.messages import Message, new_message, projection_update
from backend.platform.module import ModuleContext
from backend.platform.services import ServiceUnavailable
from backend.platform.unit_of_work import UnitOfWork

T = TypeVar("T")


def basket_view(basket: Basket) -> dict[str, Any]:
    """The basket as the API and the projection updates show it."""
    return {
        "id": basket.id,
        "customer_id": basket.customer_id,
        "payment_id": basket.payment_id,
        "status": basket.status.value,
        "items": codec.to_plain(list(basket.items.values())),
        "total": str(basket.total),
    }


def _integration_message(basket: Basket, event: DomainEvent) -> Message | None:
    """The integration event a domain event publishes; item changes publish none (only the
    projection update), as in the reference."""
    payload: Any
    match event:
        case BasketStarted(customer_id=customer_id):
            payload = messages.BasketStarted(basket.id, customer_id)
        case BasketCanceled():
            payload = messages.BasketCanceled(basket.id)
        case BasketCheckedOut(payment_id=payment_id):
            items = [
                messages.BasketItem(
                    i.store_id, i.product_id, i.store_name, i.product_name, i.price, i.quantity
                )
                for i in basket.items.values()
            ]
            payload = messages.BasketCheckedOut(basket.id, basket.customer_id, payment_id, items)
        case _:
            return None
    return new_message(messages.BASKET_TOPIC, payload)


def _remote(cls: type[T], body: Any, key: str, module: str) -> T:
    """Decode ``body[key]`` of another module's answer; a body that does not fit is that
    module's fault, not the client's."""
    try:
        return codec.from_plain(cls, body[key])
    except (KeyError, TypeError, codec.DecodeError) as exc:
        problem = f"the {module} module answered an unexpected body: {exc}"
    raise ServiceUnavailable(problem)


class BasketsService:
    def __init__(self, ctx: ModuleContext, caches: Caches) -> None:
        self.ctx = ctx
        self.baskets = Repository(
            ctx.store, Basket, BASKET_EVENTS, snapshot_every=ctx.settings.snapshot_every
        )
        self.caches = caches

    # --- commands ---

    async def start_basket(self, customer_id: str, key: str | None = None) -> Any:
        require_customer(customer_id.strip())
        if customer_id.strip():  # a blank id is refused by the domain, without a lookup
            await self._require_customer(customer_id.strip())
        basket_id = str(uuid.uuid4())

        async def command(uow: UnitOfWork) -> dict[str, str]:
            basket = Basket.start(basket_id, customer_id)
            self._save(uow, basket)
            return {"id": basket_id}

        return await self.ctx.run_command(
            command, idempotency_key=key, scope=f"start_basket:{customer_id}"
        )

    async def add_item(
        self, basket_id: str, product_id: str, quantity: int, key: str | None = None
    ) -> Any:
        product, store = await self._product_and_store(product_id)

        async def add(basket: Basket) -> None:
            basket.add_item(store, product, quantity)

        return await self._change(basket_id, add, key, "add_item")

    async def remove_item(
        self, basket_id: str, product_id: str, quantity: int, key: str | None = None
    ) -> Any:
        async with self.ctx.unit_of_work() as uow:
            in_basket = product_id in (await self._load(uow, basket_id)).items
        if not in_basket:
            await self.product(product_id)  # an unknown product is NotFound; a known one a no-op

        async def remove(basket: Basket) -> None:
            basket.remove_item(product_id, quantity)

        return await self._change(basket_id, remove, key, "remove_item")

    async def cancel_basket(self, basket_id: str, key: str | None = None) -> Any:
        async def cancel(basket: Basket) -> None:
            basket.cancel()

        return await self._change(basket_id, cancel, key, "cancel_basket")

    async def checkout_basket(self, basket_id: str, payment_id: str, key: str | None = None) -> Any:
        async def checkout(basket: Basket) -> None:
            basket.checkout(payment_id)

        return await self._change(basket_id, checkout, key, "checkout_basket")

    async def _load(self, uow: UnitOfWork, basket_id: str) -> Basket:
        basket = await self.baskets.load(uow, basket_id)
        if basket is None or not current_principal().is_customer(basket.customer_id):
            raise NotFound(f"basket with id: `{basket_id}` does not exist")
        return basket

    def _save(self, uow: UnitOfWork, basket: Basket) -> None:
        """Queue the basket's new events, their integration events and the projection update."""
        events = list(basket.pending)
        if not events:
            return
        self.baskets.save(uow, basket)
        for event in events:
            if (message := _integration_message(basket, event)) is not None:
                uow.publish(message)
        uow.publish(projection_update(messages.PROJECTION, basket.id, basket_view(basket)))

    async def _change(
        self,
        basket_id: str,
        change: Callable[[Basket], Awaitable[None]],
        key: str | None,
        what: str,
    ) -> Any:
        async def command(uow: UnitOfWork) -> dict[str, Any]:
            basket = await self._load(uow, basket_id)
            await change(basket)
            self._save(uow, basket)
            return {"basket": basket_view(basket)}  # callers need not read it back

        return await self.ctx.run_command(command, idempotency_key=key, scope=f"{what}:{basket_id}")

    # --- queries ---

    async def get_basket(self, basket_id: str) -> dict[str, Any]:
        async with self.ctx.unit_of_work() as uow:
            return basket_view(await self._load(uow, basket_id))

    # --- other modules' data ---

    async def _require_customer(self, customer_id: str) -> None:
        found = await self.ctx.services.get("customers", f"/{quote(customer_id, safe='')}")
        if found is None:
            raise NotFound(f"customer with id: `{customer_id}` does not exist")

    async def _product_and_store(self, product_id: str) -> tuple[ProductInfo, StoreInfo]:
        """Both from the caches in one query when they are there and the store participates
        (the common case); otherwise one at a time, with the stores module's help."""
        products, stores = self.caches.products, self.caches.stores
        async with self.ctx.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT p.store_id, p.name, p.price, s.name FROM {products.table} p"
                f" JOIN {stores.table} s ON s.id = p.store_id"
                " WHERE p.id = %s AND NOT p.removed AND s.participating"
                f" AND {products.complete('p')} AND {stores.complete('s')}",
                (product_id,),
                prepare=True,
            )
            row = await cur.fetchone()
        if row is not None:
            return (
                ProductInfo(product_id, row[0], row[1], row[2]),
                StoreInfo(row[0], row[3], True),
            )
        product = await self.product(product_id)
        return product, await self.store(product.store_id)

    async def product(self, product_id: str) -> ProductInfo:
        """The product from the cache, or from the stores module (then cached at the fall-back
        version: it fills what no event has set, and any event overrides it)."""
        cache = self.caches.products
        async with self.ctx.pool.connection() as conn:
            row = await cache.get(conn, product_id)
        missing = NotFound(f"product with id: `{product_id}` does not exist")
        if row is not None:
            if row["removed"]:
                raise missing
            return ProductInfo(product_id, row["store_id"], row["name"], row["price"])
        found = await self.ctx.services.get("stores", f"/products/{quote(product_id, safe='')}")
        if found is None:
            raise missing
        product = _remote(ProductInfo, found, "product", "stores")
        values = {"store_id": product.store_id, "name": product.name, "price": product.price}
        async with self.ctx.pool.connection() as conn:
            await cache.apply(conn, product.id, READ_VERSION, values)
        return product

    async def store(self, store_id: str) -> StoreInfo:
        """The store from the cache when it is participating there. Otherwise (a miss, or the
        cache says it is not participating, which may just be behind) the stores module
        decides; a miss is then cached."""
        cache = self.caches.stores
        async with self.ctx.pool.connection() as conn:
            cached = await cache.get(conn, store_id)
        row = None if cached is None else (cached["name"], cached["participating"])
        if row is not None and row[1]:
            return StoreInfo(store_id, row[0], True)
        try:
            found = await self.ctx.services.get("stores", f"/{quote(store_id, safe='')}")
        except ServiceUnavailable:
            if row is None:
                raise
            return StoreInfo(store_id, row[0], False)  # the cache's answer stands
        if found is None:
            raise NotFound(f"store with id: `{store_id}` does not exist")
        store = _remote(StoreInfo, found, "store", "stores")
        values = {"name": store.name, "participating": store.participating}
        async with self.ctx.pool.connection() as conn:
            await cache.apply(conn, store.id, READ_VERSION, values)
        return store
