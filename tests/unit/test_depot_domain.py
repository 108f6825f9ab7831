"""Shopping lists and bots: every rule, transition and error message."""

from __future__ import annotations

import pytest

from backend.depot.domain import (
    MAX_QUANTITY,
    Bot,
    BotStatus,
    ListStatus,
    ProductInfo,
    ShoppingList,
    Stop,
    StopItem,
    StoreInfo,
    WantedItem,
)
from backend.platform.errors import BadRequest, Conflict

BOOKS = StoreInfo("s1", "Waldorf Books", "West Upper Level")
TOYS = StoreInfo("s2", "Toy Box", "East Lower Level")
NOVEL = ProductInfo("p1", "s1", "EDA with Golang")
ATLAS = ProductInfo("p2", "s1", "Atlas")
ROBOT = ProductInfo("p3", "s2", "Robot")


def new_list(*items: WantedItem) -> ShoppingList:
    return ShoppingList.create("l1", "o1", list(items) or [WantedItem(BOOKS, NOVEL, 1)])


def assigned_list() -> tuple[ShoppingList, Bot]:
    shopping_list = new_list()
    shopping_list.initiate()
    bot = Bot.register("b1", "Robbie")
    shopping_list.assign(bot)
    return shopping_list, bot


def test_a_new_list_is_pending_and_grouped_by_store_in_first_seen_order() -> None:
    shopping_list = new_list(
        WantedItem(BOOKS, NOVEL, 2), WantedItem(TOYS, ROBOT, 1), WantedItem(BOOKS, ATLAS, 3)
    )
    assert shopping_list.status == ListStatus.PENDING
    assert shopping_list.assigned_bot_id is None
    assert shopping_list.stops == {
        "s1": Stop(
            "Waldorf Books",
            "West Upper Level",
            {"p1": StopItem("EDA with Golang", 2), "p2": StopItem("Atlas", 3)},
        ),
        "s2": Stop("Toy Box", "East Lower Level", {"p3": StopItem("Robot", 1)}),
    }


def test_a_repeated_product_sums_its_quantities() -> None:
    """D2: the reference kept the first quantity only."""
    shopping_list = new_list(WantedItem(BOOKS, NOVEL, 2), WantedItem(BOOKS, NOVEL, 5))
    assert shopping_list.stops["s1"].items == {"p1": StopItem("EDA with Golang", 7)}


@pytest.mark.parametrize(
    ("order_id", "items", "message"),
    [
        ("", [WantedItem(BOOKS, NOVEL, 1)], "the order id cannot be blank"),
        ("  ", [WantedItem(BOOKS, NOVEL, 1)], "the order id cannot be blank"),
        ("o1", [], "the shopping list has no items"),
        ("o1", [WantedItem(BOOKS, NOVEL, 0)], "the item quantity must be positive"),
        ("o1", [WantedItem(BOOKS, NOVEL, -3)], "the item quantity must be positive"),
        ("o1", [WantedItem(BOOKS, NOVEL, MAX_QUANTITY + 1)], "the item quantity is too large"),
        (
            "o1",
            [WantedItem(BOOKS, NOVEL, MAX_QUANTITY), WantedItem(BOOKS, NOVEL, 1)],
            "the item quantity is too large",
        ),
        (
            "o1",
            [WantedItem(TOYS, NOVEL, 1)],
            "product with id: `p1` is not sold by store `s2`",
        ),
    ],
)
def test_creation_rules(order_id: str, items: list[WantedItem], message: str) -> None:
    with pytest.raises(BadRequest, match=f"^{message}$"):
        ShoppingList.create("l1", order_id, items)


def test_initiate_makes_a_pending_list_available_once() -> None:
    """D1: the reference left the list pending, so no bot could ever take it."""
    shopping_list = new_list()
    shopping_list.initiate()
    assert shopping_list.status == ListStatus.AVAILABLE
    with pytest.raises(BadRequest, match="^the shopping list cannot be initiated$"):
        shopping_list.initiate()


def test_assign_gives_an_available_list_to_an_idle_bot() -> None:
    shopping_list, bot = assigned_list()
    assert (shopping_list.status, shopping_list.assigned_bot_id) == (ListStatus.ASSIGNED, "b1")
    assert (bot.status, bot.shopping_list_id) == (BotStatus.BUSY, "l1")


def test_only_an_available_list_can_be_assigned() -> None:
    bot = Bot.register("b1", "Robbie")
    with pytest.raises(BadRequest, match="^the shopping list cannot be assigned$"):
        new_list().assign(bot)
    assert bot.status == BotStatus.IDLE
    shopping_list, _ = assigned_list()
    with pytest.raises(BadRequest, match="^the shopping list cannot be assigned$"):
        shopping_list.assign(Bot.register("b2", "Other"))


def test_a_busy_bot_cannot_take_a_second_list() -> None:
    _, bot = assigned_list()
    second = ShoppingList.create("l2", "o2", [WantedItem(BOOKS, NOVEL, 1)])
    second.initiate()
    with pytest.raises(Conflict, match="^the bot already has a shopping list$"):
        second.assign(bot)
    assert (second.status, second.assigned_bot_id) == (ListStatus.AVAILABLE, None)
    assert bot.shopping_list_id == "l1"


def test_complete_returns_the_bot_to_free() -> None:
    shopping_list, _ = assigned_list()
    assert shopping_list.complete() == "b1"
    assert shopping_list.status == ListStatus.COMPLETED
    with pytest.raises(BadRequest, match="^the shopping list cannot be completed$"):
        shopping_list.complete()


@pytest.mark.parametrize("initiated", [False, True])
def test_only_an_assigned_list_can_be_completed(initiated: bool) -> None:
    shopping_list = new_list()
    if initiated:
        shopping_list.initiate()
    with pytest.raises(BadRequest, match="^the shopping list cannot be completed$"):
        shopping_list.complete()


def test_cancel_from_each_open_status() -> None:
    pending = new_list()
    assert pending.cancel() is None and pending.status == ListStatus.CANCELED
    available = new_list()
    available.initiate()
    assert available.cancel() is None and available.status == ListStatus.CANCELED
    assigned, _ = assigned_list()
    assert assigned.cancel() == "b1", "cancelling an assigned list frees its bot"
    assert assigned.status == ListStatus.CANCELED


def test_a_completed_or_canceled_list_cannot_be_canceled() -> None:
    completed, _ = assigned_list()
    completed.complete()
    canceled = new_list()
    canceled.cancel()
    for shopping_list in (completed, canceled):
        assert not shopping_list.can_cancel
        with pytest.raises(BadRequest, match="^the shopping list cannot be canceled$"):
            shopping_list.cancel()


def test_a_canceled_list_cannot_be_initiated_or_assigned() -> None:
    shopping_list = new_list()
    shopping_list.cancel()
    with pytest.raises(BadRequest, match="^the shopping list cannot be initiated$"):
        shopping_list.initiate()
    with pytest.raises(BadRequest, match="^the shopping list cannot be assigned$"):
        shopping_list.assign(Bot.register("b1", "Robbie"))


def test_stops_round_trip_through_their_stored_form() -> None:
    shopping_list = new_list(WantedItem(TOYS, ROBOT, 1), WantedItem(BOOKS, NOVEL, 2))
    plain = shopping_list.stops_plain()
    assert [s["store_id"] for s in plain] == ["s2", "s1"]
    assert plain[1] == {
        "store_id": "s1",
        "store_name": "Waldorf Books",
        "store_location": "West Upper Level",
        "items": [{"product_id": "p1", "product_name": "EDA with Golang", "quantity": 2}],
    }
    assert ShoppingList.stops_from_plain(plain) == shopping_list.stops


def test_bot_registration_and_release() -> None:
    bot = Bot.register("b1", "  Robbie ")
    assert (bot.name, bot.status, bot.shopping_list_id) == ("Robbie", BotStatus.IDLE, None)
    with pytest.raises(BadRequest, match="^the bot name cannot be blank$"):
        Bot.register("b2", " ")
    bot.take("l1")
    bot.release()
    assert (bot.status, bot.shopping_list_id) == (BotStatus.IDLE, None)
    bot.take("l2")
    assert bot.shopping_list_id == "l2"
