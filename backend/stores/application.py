"""Stores commands and queries. Commands change the aggregates, the read models and the outbox
in one unit of work; queries read the read models."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from backend.platform.aggregate import Repository
from backend.platform.auth import require_manager, require_role
from backend.platform.cache import with_version
from backend.platform.errors import NotFound
from backend.platform.messages import new_message, projection_update
from backend.platform.module import ModuleContext
from backend.platform.unit_of_work import UnitOfWork
from backend.stores import messages
from backend.stores.domain import PRODUCT_EVENTS, STORE_EVENTS, Product, Store

_PRODUCT_COLUMNS = "id, store_id, name, description, sku, price"


def _product_view(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "store_id": product.store_id,
        "name": product.name,
        "description": product.description,
        "sku": product.sku,
        "price": product.price,
    }


class StoresService:
    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        every = ctx.settings.snapshot_every
        self.stores = Repository(ctx.store, Store, STORE_EVENTS, snapshot_every=every)
        self.products = Repository(ctx.store, Product, PRODUCT_EVENTS, snapshot_every=every)
        self.stores_table = ctx.store.table("stores")
        self.products_table = ctx.store.table("products")

    # --- store commands ---

    async def create_store(self, name: str, location: str, key: str | None = None) -> Any:
        require_role("admin")
        store_id = str(uuid.uuid4())

        async def command(uow: UnitOfWork) -> dict[str, str]:
            store = Store.create(store_id, name, location)
            self.stores.save(uow, store)
            await uow.execute(
                f"INSERT INTO {self.stores_table} (id, name, location) VALUES (%s, %s, %s)",
                (store.id, store.name, store.location),
            )
            uow.publish(
                new_message(
                    messages.STORE_TOPIC,
                    messages.StoreCreated(store.id, store.name, store.location),
                    metadata=with_version(store.version),
                )
            )
            return {"id": store_id}

        return await self.ctx.run_command(command, idempotency_key=key, scope="create_store")

    async def _change_store(
        self, store_id: str, change: Callable[[Store], None], key: str | None, what: str
    ) -> Any:
        require_manager(store_id)

        async def command(uow: UnitOfWork) -> dict[str, Any]:
            store = await self.stores.load(uow, store_id)
            if store is None:
                raise NotFound(f"store with id: `{store_id}` does not exist")
            change(store)
            self.stores.save(uow, store)
            await uow.execute(
                f"UPDATE {self.stores_table} SET name = %s, participating = %s,"
                " updated_at = now() WHERE id = %s",
                (store.name, store.participating, store.id),
            )
            if what == "rebrand":
                payload: Any = messages.StoreRebranded(store.id, store.name)
            else:
                payload = messages.StoreParticipationToggled(store.id, store.participating)
            uow.publish(
                new_message(messages.STORE_TOPIC, payload, metadata=with_version(store.version))
            )
            return {}

        return await self.ctx.run_command(command, idempotency_key=key, scope=f"{what}:{store_id}")

    async def enable_participation(self, store_id: str, key: str | None = None) -> Any:
        return await self._change_store(
            store_id, Store.enable_participation, key, "enable_participation"
        )

    async def disable_participation(self, store_id: str, key: str | None = None) -> Any:
        return await self._change_store(
            store_id, Store.disable_participation, key, "disable_participation"
        )

    async def rebrand_store(self, store_id: str, name: str, key: str | None = None) -> Any:
        return await self._change_store(store_id, lambda s: s.rebrand(name), key, "rebrand")

    # --- product commands ---

    async def add_product(
        self,
        store_id: str,
        name: str,
        description: str,
        sku: str,
        price: Decimal,
        key: str | None = None,
    ) -> Any:
        product_id = str(uuid.uuid4())

        require_manager(store_id)

        async def command(uow: UnitOfWork) -> dict[str, str]:
            if await self.stores.load(uow, store_id) is None:
                raise NotFound(f"store with id: `{store_id}` does not exist")
            product = Product.add(product_id, store_id, name, description, sku, price)
            self.products.save(uow, product)
            view = _product_view(product)
            await uow.execute(
                f"INSERT INTO {self.products_table} ({_PRODUCT_COLUMNS})"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                tuple(view.values()),
            )
            uow.publish(
                new_message(
                    messages.PRODUCT_TOPIC,
                    messages.ProductAdded(**view),
                    metadata=with_version(product.version),
                ),
                projection_update(messages.PROJECTION, store_id, {**view, "removed": False}),
            )
            return {"id": product_id}

        return await self.ctx.run_command(
            command, idempotency_key=key, scope=f"add_product:{store_id}"
        )

    async def _change_product(
        self,
        product_id: str,
        change: Callable[[Product], Any],
        key: str | None,
        what: str,
    ) -> Any:
        async def command(uow: UnitOfWork) -> dict[str, Any]:
            product = await self.products.load(uow, product_id)
            if product is None:
                raise NotFound(f"product with id: `{product_id}` does not exist")
            require_manager(product.store_id)
            outcome = change(product)
            self.products.save(uow, product)
            view = _product_view(product)
            if product.removed:
                await uow.execute(f"DELETE FROM {self.products_table} WHERE id = %s", (product.id,))
                event: Any = messages.ProductRemoved(product.id)
            else:
                await uow.execute(
                    f"UPDATE {self.products_table} SET name = %s, description = %s, price = %s,"
                    " updated_at = now() WHERE id = %s",
                    (product.name, product.description, product.price, product.id),
                )
                if what == "rebrand_product":
                    event = messages.ProductRebranded(product.id, product.name, product.description)
                elif what == "increase_price":
                    event = messages.ProductPriceIncreased(product.id, outcome, product.price)
                else:
                    event = messages.ProductPriceDecreased(product.id, outcome, product.price)
            uow.publish(
                new_message(messages.PRODUCT_TOPIC, event, metadata=with_version(product.version)),
                projection_update(
                    messages.PROJECTION, product.store_id, {**view, "removed": product.removed}
                ),
            )
            return {}

        return await self.ctx.run_command(
            command, idempotency_key=key, scope=f"{what}:{product_id}"
        )

    async def rebrand_product(
        self, product_id: str, name: str, description: str, key: str | None = None
    ) -> Any:
        return await self._change_product(
            product_id, lambda p: p.rebrand(name, description), key, "rebrand_product"
        )

    async def increase_price(self, product_id: str, price: Decimal, key: str | None = None) -> Any:
        return await self._change_product(
            product_id, lambda p: p.increase_price(price), key, "increase_price"
        )

    async def decrease_price(self, product_id: str, price: Decimal, key: str | None = None) -> Any:
        return await self._change_product(
            product_id, lambda p: p.decrease_price(price), key, "decrease_price"
        )

    async def remove_product(self, product_id: str, key: str | None = None) -> Any:
        return await self._change_product(product_id, Product.remove, key, "remove_product")

    # --- queries ---

    async def _rows(self, query: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        async with self.ctx.pool.connection() as conn:
            cur = await conn.execute(query, params)
            names = [d.name for d in cur.description or []]
            return [dict(zip(names, row, strict=True)) for row in await cur.fetchall()]

    async def get_store(self, store_id: str) -> dict[str, Any]:
        rows = await self._rows(
            f"SELECT id, name, location, participating FROM {self.stores_table} WHERE id = %s",
            (store_id,),
        )
        if not rows:
            raise NotFound(f"store with id: `{store_id}` does not exist")
        return rows[0]

    async def list_stores(self, participating: bool | None = None) -> list[dict[str, Any]]:
        where = "" if participating is None else " WHERE participating = %s"
        params: tuple[Any, ...] = () if participating is None else (participating,)
        return await self._rows(
            f"SELECT id, name, location, participating FROM {self.stores_table}{where}"
            " ORDER BY name, id",
            params,
        )

    async def stores_by_ids(
        self, store_ids: list[str], participating: bool | None = None
    ) -> list[dict[str, Any]]:
        """The stores among ``store_ids`` (unknown ids left out), by name."""
        params: tuple[Any, ...]
        where, params = "", (store_ids,)
        if participating is not None:
            where, params = " AND participating = %s", (store_ids, participating)
        return await self._rows(
            f"SELECT id, name, location, participating FROM {self.stores_table}"
            f" WHERE id = ANY(%s){where} ORDER BY name, id",
            params,
        )

    async def products_by_ids(self, product_ids: list[str]) -> list[dict[str, Any]]:
        """The products among ``product_ids`` (unknown or removed ids left out), by name."""
        return await self._rows(
            f"SELECT {_PRODUCT_COLUMNS} FROM {self.products_table} WHERE id = ANY(%s)"
            " ORDER BY name, id",
            (product_ids,),
        )

    async def get_product(self, product_id: str) -> dict[str, Any]:
        rows = await self._rows(
            f"SELECT {_PRODUCT_COLUMNS} FROM {self.products_table} WHERE id = %s", (product_id,)
        )
        if not rows:
            raise NotFound(f"product with id: `{product_id}` does not exist")
        return rows[0]

    async def catalog(self, store_id: str) -> list[dict[str, Any]]:
        await self.get_store(store_id)
        return await self._rows(
            f"SELECT {_PRODUCT_COLUMNS} FROM {self.products_table} WHERE store_id = %s"
            " ORDER BY name, id",
            (store_id,),
        )
