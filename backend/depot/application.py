"""Depot commands and queries over the shopping-list, bot and cache tables.

Every change of a shopping list is one unit of work: the row (locked with ``FOR UPDATE``), the
bot it frees or takes, the outgoing integration event and the projection update commit together.
A list is always locked before its bot, so concurrent commands cannot deadlock.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from backend.depot import messages
from backend.depot.domain import (
    Bot,
    BotStatus,
    ListStatus,
    ProductInfo,
    ShoppingList,
    StoreInfo,
    WantedItem,
)
from backend.platform import codec
from backend.platform.auth import require_bot
from backend.platform.cache import READ_VERSION, Field, VersionedCache
from backend.platform.errors import BadRequest, NotFound
from backend.platform.failures import NotYet
from backend.platform.messages import Message, new_message, projection_update
from backend.platform.module import ModuleContext
from backend.platform.unit_of_work import UnitOfWork

_LIST_COLUMNS = "id, order_id, stops, assigned_bot_id, status, created_at, updated_at"
_BOT_COLUMNS = "id, name, status, shopping_list_id"


def list_view(
    shopping_list: ShoppingList, created_at: dt.datetime, updated_at: dt.datetime
) -> dict[str, Any]:
    """The shopping list as the API and the projection updates show it."""
    return {
        "id": shopping_list.id,
        "order_id": shopping_list.order_id,
        "status": shopping_list.status.value,
        "assigned_bot_id": shopping_list.assigned_bot_id,
        "stops": shopping_list.stops_plain(),
        "created_at": created_at,
        "updated_at": updated_at,
    }


def bot_view(bot: Bot) -> dict[str, Any]:
    return {
        "id": bot.id,
        "name": bot.name,
        "status": bot.status.value,
        "shopping_list_id": bot.shopping_list_id,
    }


def _list_from_row(row: Sequence[Any]) -> ShoppingList:
    return ShoppingList(
        row[0], row[1], ShoppingList.stops_from_plain(row[2]), ListStatus(row[4]), row[3]
    )


def _bot_from_row(row: Sequence[Any]) -> Bot:
    return Bot(row[0], row[1], BotStatus(row[2]), row[3])


def _not_found(what: str, id: str) -> NotFound:
    return NotFound(f"{what} with id: `{id}` does not exist")


class DepotService:
    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.lists = ctx.store.table("shopping_lists")
        self.bots = ctx.store.table("bots")
        self.stores = VersionedCache(
            ctx.store.table("stores_cache"), (Field("name", ""), Field("location", ""))
        )
        self.products = VersionedCache(
            ctx.store.table("products_cache"),
            (Field("store_id", ""), Field("name", ""), Field("removed", False, required=False)),
        )

    # --- caches of the stores module's data ---

    async def _ask_stores(self, path: str) -> Any:
        # An outage raises ServiceUnavailable: saga participants let it fail the delivery
        # (retried), so an outage never rejects an order.
        return await self.ctx.services.get("stores", path)

    async def warm(self, uow: UnitOfWork, items: Sequence[messages.ShoppingItem]) -> None:
        """Cache the stores and products of ``items`` that are not cached yet, from the
        stores module; NotFound for one it does not know (or removed). Runs before the unit of
        work writes anything, and writes only after every call: no transaction is open while
        the stores module is asked."""
        fetched: list[tuple[VersionedCache, str, dict[str, Any]]] = []
        for store_id in dict.fromkeys(i.store_id for i in items):
            if await self.stores.get(uow.conn, store_id) is None:
                found = await self._ask_stores(f"/{quote(store_id, safe='')}") if store_id else None
                if found is None:
                    raise _not_found("store", store_id)
                values = {"name": found["store"]["name"], "location": found["store"]["location"]}
                fetched.append((self.stores, store_id, values))
        for product_id in dict.fromkeys(i.product_id for i in items):
            row = await self.products.get(uow.conn, product_id)
            if row is not None and row["removed"]:
                raise _not_found("product", product_id)
            if row is None:
                path = f"/products/{quote(product_id, safe='')}"
                found = await self._ask_stores(path) if product_id else None
                if found is None:
                    raise _not_found("product", product_id)
                product = found["product"]
                values = {"store_id": product["store_id"], "name": product["name"]}
                fetched.append((self.products, product_id, values))
        for cache, key, values in fetched:
            await cache.apply(uow, key, READ_VERSION, values)

    async def store_info(self, uow: UnitOfWork, store_id: str) -> StoreInfo:
        """The store from the cache (``warm`` filled it)."""
        if (row := await self.stores.get(uow.conn, store_id)) is None:
            raise NotYet(f"store {store_id} is not cached yet")
        return StoreInfo(store_id, row["name"], row["location"])

    async def product_info(self, uow: UnitOfWork, product_id: str) -> ProductInfo:
        """The product from the cache (``warm`` filled it); a removed one is not found."""
        if (row := await self.products.get(uow.conn, product_id)) is None:
            raise NotYet(f"product {product_id} is not cached yet")
        if row["removed"]:
            raise _not_found("product", product_id)
        return ProductInfo(product_id, row["store_id"], row["name"])

    # --- persistence ---

    async def _find_list(self, uow: UnitOfWork, list_id: str) -> ShoppingList | None:
        cur = await uow.execute(
            f"SELECT {_LIST_COLUMNS} FROM {self.lists} WHERE id = %s FOR UPDATE", (list_id,)
        )
        row = await cur.fetchone()
        return _list_from_row(row) if row else None

    async def _load_list(self, uow: UnitOfWork, list_id: str) -> ShoppingList:
        if (found := await self._find_list(uow, list_id)) is None:
            raise _not_found("shopping list", list_id)
        return found

    async def _load_bot(self, uow: UnitOfWork, bot_id: str) -> Bot:
        cur = await uow.execute(
            f"SELECT {_BOT_COLUMNS} FROM {self.bots} WHERE id = %s FOR UPDATE", (bot_id,)
        )
        if (row := await cur.fetchone()) is None:
            raise _not_found("bot", bot_id)
        return _bot_from_row(row)

    async def _save_bot(self, uow: UnitOfWork, bot: Bot) -> None:
        await uow.execute(
            f"UPDATE {self.bots} SET status = %s, shopping_list_id = %s, updated_at = now()"
            " WHERE id = %s",
            (bot.status.value, bot.shopping_list_id, bot.id),
        )

    async def _save_list(
        self, uow: UnitOfWork, shopping_list: ShoppingList, cause: Message | None, *, new: bool
    ) -> None:
        """Insert or update the row, then publish the list's new state as a projection update."""
        values = (
            codec.dumps(shopping_list.stops_plain()),
            shopping_list.assigned_bot_id,
            shopping_list.status.value,
        )
        if new:
            cur = await uow.execute(
                f"INSERT INTO {self.lists} (stops, assigned_bot_id, status, id, order_id)"
                " VALUES (%s::jsonb, %s, %s, %s, %s) RETURNING created_at, updated_at",
                (*values, shopping_list.id, shopping_list.order_id),
            )
        else:
            cur = await uow.execute(
                f"UPDATE {self.lists} SET stops = %s::jsonb, assigned_bot_id = %s, status = %s,"
                " updated_at = now() WHERE id = %s RETURNING created_at, updated_at",
                (*values, shopping_list.id),
            )
        row = await cur.fetchone()
        assert row is not None
        view = list_view(shopping_list, row[0], row[1])
        uow.publish(projection_update(messages.PROJECTION, shopping_list.id, view, cause=cause))

    async def _cancel(
        self, uow: UnitOfWork, shopping_list: ShoppingList, cause: Message | None
    ) -> None:
        freed = shopping_list.cancel()
        if freed is not None:
            bot = await self._load_bot(uow, freed)
            bot.release()
            await self._save_bot(uow, bot)
        await self._save_list(uow, shopping_list, cause, new=False)

    # --- saga commands (run inside the consumer's unit of work) ---

    async def create_list(
        self, uow: UnitOfWork, order_id: str, items: Sequence[messages.ShoppingItem], cause: Message
    ) -> str:
        """A new pending list for the order's items; its id.

        An order has one live list: if it already has one (a command sent again under a new
        message id), that list's id is returned and nothing is written.
        """
        cur = await uow.execute(
            f"SELECT id FROM {self.lists} WHERE order_id = %s AND status <> %s",
            (order_id, ListStatus.CANCELED.value),
        )
        if (existing := await cur.fetchone()) is not None:
            return str(existing[0])
        wanted = [
            WantedItem(
                await self.store_info(uow, item.store_id),
                await self.product_info(uow, item.product_id),
                item.quantity,
            )
            for item in items
        ]
        shopping_list = ShoppingList.create(str(uuid.uuid4()), order_id, wanted)
        await self._save_list(uow, shopping_list, cause, new=True)
        return shopping_list.id

    async def initiate(self, uow: UnitOfWork, list_id: str, cause: Message) -> None:
        shopping_list = await self._load_list(uow, list_id)
        shopping_list.initiate()
        await self._save_list(uow, shopping_list, cause, new=False)

    async def cancel_for_saga(self, uow: UnitOfWork, list_id: str, cause: Message) -> None:
        """The saga's compensation: cancelling a list that is already canceled succeeds."""
        shopping_list = await self._load_list(uow, list_id)
        if shopping_list.status != ListStatus.CANCELED:
            await self._cancel(uow, shopping_list, cause)

    async def order_canceled(self, uow: UnitOfWork, list_id: str, cause: Message) -> None:
        """An order was cancelled: cancel its list unless it is done or gone already."""
        if not list_id:
            return
        shopping_list = await self._find_list(uow, list_id)
        if shopping_list is not None and shopping_list.can_cancel:
            await self._cancel(uow, shopping_list, cause)

    # --- HTTP commands ---

    async def register_bot(self, name: str, key: str | None = None) -> Any:
        bot_id = str(uuid.uuid4())

        async def command(uow: UnitOfWork) -> dict[str, str]:
            bot = Bot.register(bot_id, name)
            await uow.execute(
                f"INSERT INTO {self.bots} (id, name, status) VALUES (%s, %s, %s)",
                (bot.id, bot.name, bot.status.value),
            )
            return {"id": bot.id}

        return await self.ctx.run_command(command, idempotency_key=key, scope="register_bot")

    async def assign(self, list_id: str, bot_id: str, key: str | None = None) -> Any:
        if not bot_id.strip():
            raise BadRequest("the bot id cannot be blank")

        async def command(uow: UnitOfWork) -> dict[str, Any]:
            shopping_list = await self._load_list(uow, list_id)
            bot = await self._load_bot(uow, bot_id)
            shopping_list.assign(bot)
            await self._save_bot(uow, bot)
            await self._save_list(uow, shopping_list, None, new=False)
            return {}

        return await self.ctx.run_command(
            command, idempotency_key=key, scope=f"assign_shopping_list:{list_id}"
        )

    async def complete(self, list_id: str, key: str | None = None) -> Any:
        async def command(uow: UnitOfWork) -> dict[str, Any]:
            shopping_list = await self._load_list(uow, list_id)
            require_bot(shopping_list.assigned_bot_id)
            bot = await self._load_bot(uow, shopping_list.complete())
            bot.release()
            await self._save_bot(uow, bot)
            await self._save_list(uow, shopping_list, None, new=False)
            uow.publish(
                new_message(
                    messages.SHOPPING_LIST_TOPIC,
                    messages.ShoppingListCompleted(shopping_list.id, shopping_list.order_id),
                )
            )
            return {}

        return await self.ctx.run_command(
            command, idempotency_key=key, scope=f"complete_shopping_list:{list_id}"
        )

    async def cancel(self, list_id: str, key: str | None = None) -> Any:
        async def command(uow: UnitOfWork) -> dict[str, Any]:
            await self._cancel(uow, await self._load_list(uow, list_id), None)
            return {}

        return await self.ctx.run_command(
            command, idempotency_key=key, scope=f"cancel_shopping_list:{list_id}"
        )

    # --- queries ---

    async def _rows(self, query: str, params: tuple[Any, ...] = ()) -> list[Any]:
        async with self.ctx.pool.connection() as conn:
            cur = await conn.execute(query, params)
            return await cur.fetchall()

    async def get_list(self, list_id: str) -> dict[str, Any]:
        rows = await self._rows(
            f"SELECT {_LIST_COLUMNS} FROM {self.lists} WHERE id = %s", (list_id,)
        )
        if not rows:
            raise _not_found("shopping list", list_id)
        return list_view(_list_from_row(rows[0]), rows[0][5], rows[0][6])

    async def available_lists(self) -> list[dict[str, Any]]:
        """Lists waiting for a bot, oldest first."""
        rows = await self._rows(
            f"SELECT {_LIST_COLUMNS} FROM {self.lists} WHERE status = %s ORDER BY created_at, id",
            (ListStatus.AVAILABLE.value,),
        )
        return [list_view(_list_from_row(row), row[5], row[6]) for row in rows]

    async def get_bot(self, bot_id: str) -> dict[str, Any]:
        rows = await self._rows(f"SELECT {_BOT_COLUMNS} FROM {self.bots} WHERE id = %s", (bot_id,))
        if not rows:
            raise _not_found("bot", bot_id)
        return bot_view(_bot_from_row(rows[0]))

    async def list_bots(self) -> list[dict[str, Any]]:
        rows = await self._rows(f"SELECT {_BOT_COLUMNS} FROM {self.bots} ORDER BY name, id")
        return [bot_view(_bot_from_row(row)) for row in rows]
