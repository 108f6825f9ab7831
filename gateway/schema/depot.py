"""Bots and their shopping lists: types, queries and mutations (backend module ``depot``)."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from gateway.authorization import require, require_bot
from gateway.schema.common import (
    Connection,
    ctx,
    idempotent,
    optional_id,
    paginate,
    seg,
    timestamp,
)
from gateway.schema.refs import product_ref, store_ref
from gateway.schema.stores import Product, Store


@strawberry.enum
class ShoppingListStatus(Enum):
    PENDING = "pending"
    AVAILABLE = "available"
    ASSIGNED = "assigned"
    COMPLETED = "completed"
    CANCELED = "canceled"


@strawberry.enum
class BotStatus(Enum):
    IDLE = "idle"
    BUSY = "busy"


@strawberry.type
class StopItem:
    product_id: strawberry.ID
    product_name: str
    quantity: int

    @strawberry.field(description="The product now (null once removed from the catalog).")
    async def product(self, info: Info) -> Product | None:
        return await product_ref(info, str(self.product_id))


@strawberry.type(description="The products a bot fetches at one store.")
class Stop:
    store_id: strawberry.ID
    store_name: str
    store_location: str
    items: list[StopItem]

    @classmethod
    def from_backend(cls, data: dict[str, Any]) -> Stop:
        return cls(
            store_id=strawberry.ID(data["store_id"]),
            store_name=data["store_name"],
            store_location=data["store_location"],
            items=[
                StopItem(
                    product_id=strawberry.ID(item["product_id"]),
                    product_name=item["product_name"],
                    quantity=int(item["quantity"]),
                )
                for item in data["items"]
            ],
        )

    @strawberry.field(description="The store now.")
    async def store(self, info: Info) -> Store | None:
        return await store_ref(info, str(self.store_id))


@strawberry.type
class ShoppingList:
    id: strawberry.ID
    order_id: strawberry.ID
    status: ShoppingListStatus
    assigned_bot_id: strawberry.ID | None
    stops: list[Stop]
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_backend(cls, data: dict[str, Any]) -> ShoppingList:
        return cls(
            id=strawberry.ID(data["id"]),
            order_id=strawberry.ID(data["order_id"]),
            status=ShoppingListStatus(data["status"]),
            assigned_bot_id=optional_id(data.get("assigned_bot_id")),
            stops=[Stop.from_backend(stop) for stop in data["stops"]],
            created_at=timestamp(data["created_at"]),
            updated_at=timestamp(data["updated_at"]),
        )

    @strawberry.field(description="The bot it is assigned to, if any.")
    async def assigned_bot(self, info: Info) -> Bot | None:
        return None if self.assigned_bot_id is None else await load_bot(info, self.assigned_bot_id)


@strawberry.type
class Bot:
    id: strawberry.ID
    name: str
    status: BotStatus
    shopping_list_id: strawberry.ID | None

    @classmethod
    def from_backend(cls, data: dict[str, Any]) -> Bot:
        return cls(
            id=strawberry.ID(data["id"]),
            name=data["name"],
            status=BotStatus(data["status"]),
            shopping_list_id=optional_id(data.get("shopping_list_id")),
        )

    @strawberry.field(description="The shopping list the bot is working on, if any.")
    async def shopping_list(self, info: Info) -> ShoppingList | None:
        if self.shopping_list_id is None:
            return None
        return await load_shopping_list(info, self.shopping_list_id)


async def load_shopping_list(info: Info, list_id: str) -> ShoppingList:
    data = await ctx(info).call("GET", f"/depot/shopping/{seg(list_id)}")
    return ShoppingList.from_backend(data["shopping_list"])


async def load_bot(info: Info, bot_id: str) -> Bot:
    data = await ctx(info).call("GET", f"/depot/bots/{seg(bot_id)}")
    return Bot.from_backend(data["bot"])


@strawberry.type
class DepotQuery:
    @strawberry.field(description="A shopping list by id (NOT_FOUND if unknown).")
    async def shopping_list(self, info: Info, id: strawberry.ID) -> ShoppingList:
        return await load_shopping_list(info, str(id))

    @strawberry.field(description="Shopping lists waiting for a bot, oldest first.")
    async def available_shopping_lists(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[ShoppingList]:
        require(info, "bot")
        data = await ctx(info).call("GET", "/depot/shopping/available")
        lists = [ShoppingList.from_backend(s) for s in data["shopping_lists"]]
        return paginate(lists, first, after)

    @strawberry.field(description="A bot by id (NOT_FOUND if unknown).")
    async def bot(self, info: Info, id: strawberry.ID) -> Bot:
        require_bot(info, id)
        return await load_bot(info, str(id))

    @strawberry.field(description="All bots, by name.")
    async def bots(self, info: Info, first: int = 20, after: str | None = None) -> Connection[Bot]:
        require(info, "admin")
        data = await ctx(info).call("GET", "/depot/bots")
        return paginate([Bot.from_backend(b) for b in data["bots"]], first, after)


@strawberry.input
class RegisterBotInput:
    name: str
    idempotency_key: str | None = None


@strawberry.type
class RegisterBotPayload:
    bot: Bot


@strawberry.input
class AssignShoppingListInput:
    shopping_list_id: strawberry.ID
    bot_id: strawberry.ID
    idempotency_key: str | None = None


@strawberry.type
class AssignShoppingListPayload:
    shopping_list: ShoppingList


@strawberry.input
class CompleteShoppingListInput:
    shopping_list_id: strawberry.ID
    idempotency_key: str | None = None


@strawberry.type
class CompleteShoppingListPayload:
    shopping_list: ShoppingList


@strawberry.type
class DepotMutation:
    @strawberry.mutation(description="Register a bot (idle).")
    async def register_bot(self, info: Info, input: RegisterBotInput) -> RegisterBotPayload:
        require(info, "admin")
        body = {"name": input.name, **idempotent(input.idempotency_key)}
        created = await ctx(info).call("POST", "/depot/bots", body)
        return RegisterBotPayload(bot=await load_bot(info, created["id"]))

    @strawberry.mutation(description="Assign an available shopping list to an idle bot.")
    async def assign_shopping_list(
        self, info: Info, input: AssignShoppingListInput
    ) -> AssignShoppingListPayload:
        require_bot(info, input.bot_id)
        body = {"bot_id": str(input.bot_id), **idempotent(input.idempotency_key)}
        list_id = str(input.shopping_list_id)
        await ctx(info).call("PUT", f"/depot/shopping/{seg(list_id)}/assign", body)
        return AssignShoppingListPayload(shopping_list=await load_shopping_list(info, list_id))

    @strawberry.mutation(description="Complete an assigned shopping list: the order is ready.")
    async def complete_shopping_list(
        self, info: Info, input: CompleteShoppingListInput
    ) -> CompleteShoppingListPayload:
        require(info, "bot")
        list_id = str(input.shopping_list_id)
        path = f"/depot/shopping/{seg(list_id)}/complete"
        await ctx(info).call("PUT", path, idempotent(input.idempotency_key))
        return CompleteShoppingListPayload(shopping_list=await load_shopping_list(info, list_id))
