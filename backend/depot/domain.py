"""The depot domain: shopping lists for the robot shoppers, and the bots. Pure Python, no I/O.

A shopping list is a plain entity (a table row), not event-sourced. Its lifecycle:
``pending --initiate--> available --assign(bot)--> assigned --complete--> completed``, and
``cancel`` from any status but ``completed``/``canceled``. A bot holds at most one list at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from backend.platform.errors import BadRequest, Conflict

MAX_QUANTITY = 1_000_000
"""The most of one product a bot is asked to fetch at one stop (a sanity bound)."""


class ListStatus(StrEnum):
    PENDING = "pending"
    AVAILABLE = "available"
    ASSIGNED = "assigned"
    COMPLETED = "completed"
    CANCELED = "canceled"


class BotStatus(StrEnum):
    IDLE = "idle"
    BUSY = "busy"


@dataclass(frozen=True)
class StoreInfo:
    """What the depot knows of a store: the bot needs its name and where it is."""

    id: str
    name: str
    location: str


@dataclass(frozen=True)
class ProductInfo:
    id: str
    store_id: str
    name: str


@dataclass(frozen=True)
class WantedItem:
    """One line of an order, resolved against the store and product it names."""

    store: StoreInfo
    product: ProductInfo
    quantity: int


@dataclass
class StopItem:
    product_name: str
    quantity: int


@dataclass
class Stop:
    """The products to fetch at one store, by product id."""

    store_name: str
    store_location: str
    items: dict[str, StopItem] = field(default_factory=dict)


def group_into_stops(items: Sequence[WantedItem]) -> dict[str, Stop]:
    """Items grouped by store, in first-seen order; a repeated product adds up (D2)."""
    if not items:
        raise BadRequest("the shopping list has no items")
    stops: dict[str, Stop] = {}
    for wanted in items:
        if wanted.quantity < 1:
            raise BadRequest("the item quantity must be positive")
        if wanted.product.store_id != wanted.store.id:
            raise BadRequest(
                f"product with id: `{wanted.product.id}` is not sold by store `{wanted.store.id}`"
            )
        stop = stops.setdefault(wanted.store.id, Stop(wanted.store.name, wanted.store.location))
        line = stop.items.setdefault(wanted.product.id, StopItem(wanted.product.name, 0))
        line.quantity += wanted.quantity
        if line.quantity > MAX_QUANTITY:
            raise BadRequest("the item quantity is too large")
    return stops


class ShoppingList:
    def __init__(
        self,
        id: str,
        order_id: str,
        stops: dict[str, Stop],
        status: ListStatus = ListStatus.PENDING,
        assigned_bot_id: str | None = None,
    ) -> None:
        self.id = id
        self.order_id = order_id
        self.stops = stops
        self.status = status
        self.assigned_bot_id = assigned_bot_id

    @classmethod
    def create(cls, id: str, order_id: str, items: Sequence[WantedItem]) -> ShoppingList:
        if not order_id.strip():
            raise BadRequest("the order id cannot be blank")
        return cls(id, order_id, group_into_stops(items))

    def initiate(self) -> None:
        """Make the list available to bots (D1: the reference left it pending)."""
        if self.status != ListStatus.PENDING:
            raise BadRequest("the shopping list cannot be initiated")
        self.status = ListStatus.AVAILABLE

    def assign(self, bot: Bot) -> None:
        if self.status != ListStatus.AVAILABLE:
            raise BadRequest("the shopping list cannot be assigned")
        bot.take(self.id)
        self.status = ListStatus.ASSIGNED
        self.assigned_bot_id = bot.id

    def complete(self) -> str:
        """Mark the list done; return the id of the bot that is now free."""
        if self.status != ListStatus.ASSIGNED or self.assigned_bot_id is None:
            raise BadRequest("the shopping list cannot be completed")
        self.status = ListStatus.COMPLETED
        return self.assigned_bot_id

    @property
    def can_cancel(self) -> bool:
        return self.status not in (ListStatus.COMPLETED, ListStatus.CANCELED)

    def cancel(self) -> str | None:
        """Cancel the list; return the id of the bot it frees, if one was assigned."""
        if not self.can_cancel:
            raise BadRequest("the shopping list cannot be canceled")
        freed = self.assigned_bot_id if self.status == ListStatus.ASSIGNED else None
        self.status = ListStatus.CANCELED
        return freed

    def stops_plain(self) -> list[dict[str, Any]]:
        """The stops as JSON-ready data, in visiting order (the stored form too)."""
        return [
            {
                "store_id": store_id,
                "store_name": stop.store_name,
                "store_location": stop.store_location,
                "items": [
                    {
                        "product_id": pid,
                        "product_name": item.product_name,
                        "quantity": item.quantity,
                    }
                    for pid, item in stop.items.items()
                ],
            }
            for store_id, stop in self.stops.items()
        ]

    @staticmethod
    def stops_from_plain(data: list[dict[str, Any]]) -> dict[str, Stop]:
        return {
            s["store_id"]: Stop(
                s["store_name"],
                s["store_location"],
                {i["product_id"]: StopItem(i["product_name"], i["quantity"]) for i in s["items"]},
            )
            for s in data
        }


class Bot:
    def __init__(
        self,
        id: str,
        name: str,
        status: BotStatus = BotStatus.IDLE,
        shopping_list_id: str | None = None,
    ) -> None:
        self.id = id
        self.name = name
        self.status = status
        self.shopping_list_id = shopping_list_id

    @classmethod
    def register(cls, id: str, name: str) -> Bot:
        if not name.strip():
            raise BadRequest("the bot name cannot be blank")
        return cls(id, name.strip())

    def take(self, shopping_list_id: str) -> None:
        if self.status == BotStatus.BUSY:
            raise Conflict("the bot already has a shopping list")
        self.status = BotStatus.BUSY
        self.shopping_list_id = shopping_list_id

    def release(self) -> None:
        self.status = BotStatus.IDLE
        self.shopping_list_id = None
