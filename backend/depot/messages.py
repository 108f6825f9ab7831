"""The depot module's published contract."""

from __future__ import annotations

from dataclasses import dataclass

from backend.platform.messages import Contract, Payload

SHOPPING_LIST_TOPIC = "mallbots.depot.events.ShoppingList"
COMMAND_TOPIC = "mallbots.depot.commands"
REPLY_TOPIC = "mallbots.cosec.replies.CreateOrder"
PROJECTION = "shopping_lists"
"""Projection updates (``mallbots.projections.shopping_lists``): key = list id, state = the list."""


@dataclass(frozen=True)
class ShoppingItem:
    product_id: str
    store_id: str
    quantity: int


@dataclass(frozen=True)
class ShoppingListCompleted(Payload):
    """A bot completed the shopping list of an order: ordering readies the order."""

    message_name = "depotapi.ShoppingListCompleted"
    id: str
    order_id: str


@dataclass(frozen=True)
class CreateShoppingList(Payload):
    """Saga command: make a shopping list for the order's items."""

    message_name = "depotapi.CreateShoppingListCommand"
    order_id: str
    items: list[ShoppingItem]


@dataclass(frozen=True)
class CancelShoppingList(Payload):
    """Saga command (compensation): cancel the shopping list."""

    message_name = "depotapi.CancelShoppingListCommand"
    id: str


@dataclass(frozen=True)
class InitiateShopping(Payload):
    """Saga command: make the shopping list available to bots."""

    message_name = "depotapi.InitiateShoppingCommand"
    id: str


@dataclass(frozen=True)
class CreatedShoppingListReply(Payload):
    """Reply to CreateShoppingList carrying the new list's id."""

    message_name = "depotapi.CreatedShoppingListReply"
    id: str


contract = Contract("depot")
contract.register(SHOPPING_LIST_TOPIC, "event", ShoppingListCompleted)
contract.register(
    COMMAND_TOPIC, "command", CreateShoppingList, CancelShoppingList, InitiateShopping
)
contract.register(REPLY_TOPIC, "reply", CreatedShoppingListReply)
contract.register_projection(PROJECTION)
