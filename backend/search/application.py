"""The search read model: orders with their names and totals, and the caches that name them.

Names are taken when the order is created (a receipt keeps the names it was printed with). A
name that neither the cache nor the owning module knows stays blank rather than losing the order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import quote

from backend.ordering.messages import OrderItem
from backend.platform import codec
from backend.platform.auth import current_principal
from backend.platform.errors import NotFound
from backend.platform.module import ModuleContext
from backend.platform.unit_of_work import UnitOfWork
from backend.search.domain import Cursor, OrderLine, SearchFilters, check_limit, order_total

_ORDER_COLUMNS = (
    "order_id, customer_id, customer_name, items, total, status, created_at, updated_at"
)


class OrderNotIndexedYet(Exception):
    """A status change arrived before its order's creation: the delivery is retried later."""


def order_view(row: Sequence[Any]) -> dict[str, Any]:
    return dict(zip(_ORDER_COLUMNS.split(", "), row, strict=True))


class SearchService:
    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.orders = ctx.store.table("orders")
        self.customers_cache = ctx.store.table("customers_cache")
        self.stores_cache = ctx.store.table("stores_cache")
        self.products_cache = ctx.store.table("products_cache")

    # --- caches ---

    async def _name(
        self,
        uow: UnitOfWork,
        table: str,
        id: str,
        ask: tuple[str, str, str],
        remember: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> str:
        """The name of ``id`` from the cache ``table``; on a miss, from the module and path in
        ``ask`` (module, path, key of the answer), then cached by ``remember``. Unknown: ""."""
        cur = await uow.execute(f"SELECT name FROM {table} WHERE id = %s", (id,))
        if (row := await cur.fetchone()) is not None:
            return str(row[0])
        module, path, key = ask
        answer = await self.ctx.services.get(module, path)
        if answer is None:
            return ""
        await remember(answer[key])
        return str(answer[key]["name"])

    async def customer_name(self, uow: UnitOfWork, customer_id: str) -> str:
        return await self._name(
            uow, self.customers_cache, customer_id,
            ("customers", f"/{quote(customer_id, safe='')}", "customer"),
            lambda found: self.cache_customer(uow, customer_id, found["name"]),
        )  # fmt: skip

    async def store_name(self, uow: UnitOfWork, store_id: str) -> str:
        return await self._name(
            uow, self.stores_cache, store_id,
            ("stores", f"/{quote(store_id, safe='')}", "store"),
            lambda found: self.cache_store(uow, store_id, found["name"]),
        )  # fmt: skip

    async def product_name(self, uow: UnitOfWork, product_id: str) -> str:
        return await self._name(
            uow, self.products_cache, product_id,
            ("stores", f"/products/{quote(product_id, safe='')}", "product"),
            lambda found: self.cache_product(uow, product_id, found["store_id"], found["name"]),
        )  # fmt: skip

    async def cache_customer(self, uow: UnitOfWork, customer_id: str, name: str) -> None:
        await uow.execute(
            f"INSERT INTO {self.customers_cache} (id, name) VALUES (%s, %s)"
            " ON CONFLICT (id) DO NOTHING",
            (customer_id, name),
        )

    async def cache_store(self, uow: UnitOfWork, store_id: str, name: str) -> None:
        await uow.execute(
            f"INSERT INTO {self.stores_cache} (id, name) VALUES (%s, %s)"
            " ON CONFLICT (id) DO NOTHING",
            (store_id, name),
        )

    async def rename_store(self, uow: UnitOfWork, store_id: str, name: str) -> None:
        await uow.execute(
            f"UPDATE {self.stores_cache} SET name = %s, updated_at = now() WHERE id = %s",
            (name, store_id),
        )

    async def cache_product(
        self, uow: UnitOfWork, product_id: str, store_id: str, name: str
    ) -> None:
        await uow.execute(
            f"INSERT INTO {self.products_cache} (id, store_id, name) VALUES (%s, %s, %s)"
            " ON CONFLICT (id) DO NOTHING",
            (product_id, store_id, name),
        )

    async def rename_product(self, uow: UnitOfWork, product_id: str, name: str) -> None:
        await uow.execute(
            f"UPDATE {self.products_cache} SET name = %s, updated_at = now() WHERE id = %s",
            (name, product_id),
        )

    # --- the order read model ---

    async def order_created(
        self,
        uow: UnitOfWork,
        order_id: str,
        customer_id: str,
        items: Sequence[OrderItem],
        created_at: dt.datetime,
    ) -> None:
        """Index a new (pending) order; a second OrderCreated for it changes nothing."""
        lines = [
            OrderLine(
                item.product_id,
                item.store_id,
                await self.product_name(uow, item.product_id),
                await self.store_name(uow, item.store_id),
                item.price,
                item.quantity,
            )
            for item in items
        ]
        await uow.execute(
            f"INSERT INTO {self.orders} (order_id, customer_id, customer_name, items, total,"
            " status, product_ids, store_ids, created_at, updated_at)"
            " VALUES (%s, %s, %s, %s::jsonb, %s, 'pending', %s, %s, %s, %s)"
            " ON CONFLICT (order_id) DO NOTHING",
            (
                order_id,
                customer_id,
                await self.customer_name(uow, customer_id),
                codec.dumps(codec.to_plain(lines)),
                order_total(lines),
                sorted({line.product_id for line in lines}),
                sorted({line.store_id for line in lines}),
                created_at,
                created_at,
            ),
        )

    async def status_changed(
        self, uow: UnitOfWork, order_id: str, status: str, occurred_at: dt.datetime
    ) -> None:
        """Set the order's status, unless a later change was applied already (a retried
        delivery can arrive after newer ones)."""
        cur = await uow.execute(
            f"UPDATE {self.orders} SET status = %s, updated_at = %s"
            " WHERE order_id = %s AND updated_at <= %s RETURNING 1",
            (status, occurred_at, order_id, occurred_at),
        )
        if await cur.fetchone() is not None:
            return
        cur = await uow.execute(f"SELECT 1 FROM {self.orders} WHERE order_id = %s", (order_id,))
        if await cur.fetchone() is None:
            raise OrderNotIndexedYet(f"order {order_id} is not indexed yet")

    # --- queries ---

    async def get_order(self, order_id: str) -> dict[str, Any]:
        async with self.ctx.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT {_ORDER_COLUMNS} FROM {self.orders} WHERE order_id = %s", (order_id,)
            )
            row = await cur.fetchone()
        view = None if row is None else order_view(row)
        if view is None or not current_principal().is_customer(view["customer_id"]):
            raise NotFound(f"order with id: `{order_id}` does not exist")
        return view

    async def search(self, filters: SearchFilters, next: str | None, limit: int) -> dict[str, Any]:
        """One page of matching orders, newest first, and the cursor of the next page (or None).

        Keyset pagination on (created_at, order_id): a page never repeats or skips an order,
        whatever is indexed between two requests.
        """
        filters = filters.validated()
        limit = check_limit(limit)
        cursor = Cursor.decode(next, filters) if next else None
        clauses: list[str] = []
        params: list[Any] = []

        def where(clause: str, *values: Any) -> None:
            clauses.append(clause)
            params.extend(values)

        if filters.customer_id is not None:
            where("customer_id = %s", filters.customer_id)
        if filters.after is not None:
            where("created_at >= %s", filters.after)
        if filters.before is not None:
            where("created_at < %s", filters.before)
        if filters.store_ids is not None:
            where("store_ids && %s::text[]", filters.store_ids)
        if filters.product_ids is not None:
            where("product_ids && %s::text[]", filters.product_ids)
        if filters.min_total is not None:
            where("total >= %s", filters.min_total)
        if filters.max_total is not None:
            where("total <= %s", filters.max_total)
        if filters.status is not None:
            where("status = %s", filters.status)
        if cursor is not None:
            where("(created_at, order_id) < (%s, %s)", cursor.created_at, cursor.order_id)
        condition = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        async with self.ctx.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT {_ORDER_COLUMNS} FROM {self.orders}{condition}"
                " ORDER BY created_at DESC, order_id DESC LIMIT %s",
                (*params, limit + 1),
            )
            rows = await cur.fetchall()
        page = [order_view(row) for row in rows[:limit]]
        following = None
        if len(rows) > limit:
            last = page[-1]
            following = Cursor(last["created_at"], last["order_id"]).encode(filters)
        return {"orders": page, "next": following}
