"""The search read model: orders with their names and totals, and the caches that name them.

Names are taken when the order is created (a receipt keeps the names it was printed with). A
name that neither the cache nor the owning module knows stays blank rather than losing the order.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import quote

from backend.ordering.messages import OrderItem
from backend.platform import codec
from backend.platform.auth import current_principal
from backend.platform.cache import READ_VERSION, Field, VersionedCache
from backend.platform.errors import NotFound
from backend.platform.failures import NotYet
from backend.platform.module import ModuleContext
from backend.platform.unit_of_work import UnitOfWork
from backend.search.domain import Cursor, OrderLine, SearchFilters, check_limit, order_total

_ORDER_COLUMNS = (
    "order_id, customer_id, customer_name, items, total, status, created_at, updated_at"
)


_Ask = Callable[[str], tuple[str, str, str]]


class OrderNotIndexedYet(NotYet):
    """A status change arrived before its order's creation: the delivery is retried later."""


def order_view(row: Sequence[Any]) -> dict[str, Any]:
    return dict(zip(_ORDER_COLUMNS.split(", "), row, strict=True))


class SearchService:
    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.orders = ctx.store.table("orders")
        table = ctx.store.table
        self.customers = VersionedCache(table("customers_cache"), (Field("name", ""),))
        self.stores = VersionedCache(table("stores_cache"), (Field("name", ""),))
        self.products = VersionedCache(
            table("products_cache"), (Field("store_id", ""), Field("name", ""))
        )

    # --- caches ---

    async def _names(
        self, uow: UnitOfWork, cache: VersionedCache, ids: Sequence[str], ask: _Ask
    ) -> tuple[dict[str, str], list[Callable[[], Awaitable[None]]]]:
        """The names of ``ids``: from the cache, else from the owning module (module, path of
        an id, key of the answer); a name nobody knows is "". Reads and network calls only:
        the cache writes for what was fetched are returned, to run once every call is done,
        so that no transaction is open during a call."""
        names: dict[str, str] = {}
        writes: list[Callable[[], Awaitable[None]]] = []
        for id in dict.fromkeys(ids):
            if (row := await cache.get(uow.conn, id)) is not None:
                names[id] = str(row["name"])
                continue
            module, path, key = ask(id)
            answer = await self.ctx.services.get(module, path)
            names[id] = "" if answer is None else str(answer[key]["name"])
            if answer is not None:
                values = {f: answer[key][f] for f in cache.fields}
                writes.append(functools.partial(cache.apply, uow, id, READ_VERSION, values))
        return names, writes

    # --- the order read model ---

    async def order_created(
        self,
        uow: UnitOfWork,
        order_id: str,
        customer_id: str,
        items: Sequence[OrderItem],
        created_at: dt.datetime,
        version: int = 0,
    ) -> None:
        """Index a new (pending) order at the order's ``version`` (0: its producer sent none);
        a second OrderCreated for it changes nothing."""
        products, cache_products = await self._names(
            uow, self.products, [i.product_id for i in items],
            lambda id: ("stores", f"/products/{quote(id, safe='')}", "product"),
        )  # fmt: skip
        stores, cache_stores = await self._names(
            uow, self.stores, [i.store_id for i in items],
            lambda id: ("stores", f"/{quote(id, safe='')}", "store"),
        )  # fmt: skip
        customers, cache_customer = await self._names(
            uow, self.customers, [customer_id],
            lambda id: ("customers", f"/{quote(id, safe='')}", "customer"),
        )  # fmt: skip
        for write in (*cache_products, *cache_stores, *cache_customer):
            await write()
        lines = [
            OrderLine(
                item.product_id,
                item.store_id,
                products[item.product_id],
                stores[item.store_id],
                item.price,
                item.quantity,
            )
            for item in items
        ]
        await uow.execute(
            f"INSERT INTO {self.orders} (order_id, customer_id, customer_name, items, total,"
            " status, product_ids, store_ids, created_at, updated_at, version)"
            " VALUES (%s, %s, %s, %s::jsonb, %s, 'pending', %s, %s, %s, %s, %s)"
            " ON CONFLICT (order_id) DO NOTHING",
            (
                order_id,
                customer_id,
                customers[customer_id],
                codec.dumps(codec.to_plain(lines)),
                order_total(lines),
                sorted({line.product_id for line in lines}),
                sorted({line.store_id for line in lines}),
                created_at,
                created_at,
                version,
            ),
        )

    async def status_changed(
        self,
        uow: UnitOfWork,
        order_id: str,
        status: str,
        occurred_at: dt.datetime,
        version: int | None = None,
    ) -> None:
        """Set the order's status, unless a later change was applied already (a retried
        delivery can arrive after newer ones). Later is by the order's version when the message
        carries one (producers' clocks may disagree: two replicas of ordering on two hosts),
        else by when the change occurred."""
        if version is not None:
            cur = await uow.execute(
                f"UPDATE {self.orders} SET status = %s, updated_at = greatest(updated_at, %s),"
                " version = %s WHERE order_id = %s AND version < %s RETURNING 1",
                (status, occurred_at, version, order_id, version),
            )
        else:
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
