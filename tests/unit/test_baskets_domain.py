"""The Basket aggregate: every rule, transition and error message."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from backend.baskets.domain import (
    BASKET_EVENTS,
    MAX_QUANTITY,
    Basket,
    BasketCanceled,
    BasketCheckedOut,
    BasketItem,
    BasketItemAdded,
    BasketItemRemoved,
    BasketStarted,
    BasketStatus,
    ProductInfo,
    StoreInfo,
)
from backend.platform import codec
from backend.platform.errors import BadRequest
from backend.platform.money import MAX_AMOUNT

STORE = StoreInfo("s1", "Waldorf Books", participating=True)
BOOK = ProductInfo("p1", "s1", "EDA with Golang", Decimal("49.99"))
PEN = ProductInfo("p2", "s1", "Pen", Decimal("1.50"))


def basket() -> Basket:
    return Basket.start("b1", "c1")


def test_a_started_basket_is_open_and_empty() -> None:
    b = Basket.start("b1", " c1 ")
    assert (b.customer_id, b.status, b.items, b.total) == ("c1", BasketStatus.OPEN, {}, Decimal(0))
    assert b.pending == [BasketStarted("c1")]


@pytest.mark.parametrize("customer_id", ["", "   "])
def test_the_customer_id_cannot_be_blank(customer_id: str) -> None:
    with pytest.raises(BadRequest, match="^the customer id cannot be blank$"):
        Basket.start("b1", customer_id)


def test_adding_items_records_full_lines_and_sums_quantities() -> None:
    b = basket()
    b.add_item(STORE, BOOK, 2)
    b.add_item(STORE, PEN, 1)
    b.add_item(STORE, BOOK, 3)
    assert b.pending[1] == BasketItemAdded(
        BasketItem("s1", "p1", "Waldorf Books", "EDA with Golang", Decimal("49.99"), 2)
    )
    assert [(i.product_id, i.quantity) for i in b.items.values()] == [("p1", 5), ("p2", 1)]
    assert b.total == Decimal("251.45")


def test_a_product_added_again_keeps_its_first_name_and_price() -> None:
    b = basket()
    b.add_item(STORE, BOOK, 1)
    b.add_item(STORE, ProductInfo("p1", "s1", "Renamed", Decimal("99.00")), 1)
    line = b.items["p1"]
    assert (line.product_name, line.price, line.quantity) == (
        "EDA with Golang",
        Decimal("49.99"),
        2,
    )


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (0, "the item quantity must be positive"),
        (-1, "the item quantity must be positive"),
        (MAX_QUANTITY + 1, "the item quantity is too large"),
        (10**12, "the item quantity is too large"),
    ],
)
def test_item_quantity_bounds(quantity: int, message: str) -> None:
    b = basket()
    with pytest.raises(BadRequest, match=f"^{message}$"):
        b.add_item(STORE, BOOK, quantity)
    with pytest.raises(BadRequest, match=f"^{message}$"):
        b.remove_item("p1", quantity)
    assert b.pending == [BasketStarted("c1")]


def test_a_line_cannot_grow_past_the_maximum() -> None:
    b = basket()
    b.add_item(STORE, BOOK, MAX_QUANTITY)
    with pytest.raises(BadRequest, match="^the item quantity is too large$"):
        b.add_item(STORE, BOOK, 1)
    assert b.items["p1"].quantity == MAX_QUANTITY


def test_the_basket_total_cannot_exceed_the_money_maximum() -> None:
    dear = ProductInfo("p3", "s1", "Yacht", MAX_AMOUNT)
    refused = f"^the basket total cannot exceed {MAX_AMOUNT}$"
    b = basket()
    with pytest.raises(BadRequest, match=refused):
        b.add_item(STORE, dear, MAX_QUANTITY)
    with pytest.raises(BadRequest, match=refused):
        b.add_item(STORE, dear, 2)
    b.add_item(STORE, dear, 1)
    assert b.total == MAX_AMOUNT, "exactly the maximum is allowed"
    for product in (PEN, dear):
        with pytest.raises(BadRequest, match=refused):
            b.add_item(STORE, product, 1)
    assert b.pending == [BasketStarted("c1"), BasketItemAdded(b.items["p3"])]
    b.checkout("pay-1")
    assert b.status is BasketStatus.CHECKED_OUT


def test_a_line_added_again_counts_at_its_first_price_towards_the_total() -> None:
    b = basket()
    b.add_item(STORE, ProductInfo("p1", "s1", "Half", Decimal("5000000000.00")), 1)
    cheaper = ProductInfo("p1", "s1", "Half", Decimal("1.00"))  # the price fell since
    with pytest.raises(BadRequest, match=f"^the basket total cannot exceed {MAX_AMOUNT}$"):
        b.add_item(STORE, cheaper, 1)
    assert b.items["p1"].quantity == 1


def test_checkout_rechecks_the_total() -> None:
    """A basket filled beyond the bound before there was one cannot be checked out."""
    b = basket()
    b.apply(BasketItemAdded(BasketItem("s1", "p3", "Waldorf Books", "Yacht", MAX_AMOUNT, 2)))
    with pytest.raises(BadRequest, match=f"^the basket total cannot exceed {MAX_AMOUNT}$"):
        b.checkout("pay-1")
    assert b.status is BasketStatus.OPEN
    assert b.pending == [BasketStarted("c1")]
    b.remove_item("p3", 1)
    b.checkout("pay-1")
    assert b.status is BasketStatus.CHECKED_OUT


def test_only_products_of_a_participating_store_can_be_added() -> None:
    b = basket()
    with pytest.raises(BadRequest, match="^the store is not participating$"):
        b.add_item(StoreInfo("s1", "Closed", participating=False), BOOK, 1)
    assert b.items == {}


def test_removing_part_of_a_line_keeps_the_rest_b1() -> None:
    b = basket()
    b.add_item(STORE, BOOK, 2)
    b.remove_item("p1", 1)
    assert b.items["p1"].quantity == 1
    assert b.pending[-1] == BasketItemRemoved("p1", 1)
    b.remove_item("p1", 1)
    assert "p1" not in b.items


def test_removing_more_than_there_is_deletes_the_line() -> None:
    b = basket()
    b.add_item(STORE, BOOK, 2)
    b.add_item(STORE, PEN, 1)
    b.remove_item("p1", 5)
    assert list(b.items) == ["p2"]


def test_removing_a_product_not_in_the_basket_changes_nothing() -> None:
    b = basket()
    b.add_item(STORE, BOOK, 1)
    b.remove_item("p2", 1)
    assert len(b.pending) == 2 and b.items["p1"].quantity == 1


def test_cancel_clears_the_items_and_is_final() -> None:
    b = basket()
    b.add_item(STORE, BOOK, 1)
    b.cancel()
    assert (b.status, b.items) == (BasketStatus.CANCELED, {})
    assert b.pending[-1] == BasketCanceled()
    with pytest.raises(BadRequest, match="^the basket cannot be cancelled$"):
        b.cancel()


def test_checkout_records_the_payment_and_is_final() -> None:
    b = basket()
    b.add_item(STORE, BOOK, 1)
    b.checkout(" pay-1 ")
    assert (b.status, b.payment_id) == (BasketStatus.CHECKED_OUT, "pay-1")
    assert b.pending[-1] == BasketCheckedOut("pay-1")
    assert b.items["p1"].quantity == 1, "a checked-out basket keeps its items"
    with pytest.raises(BadRequest, match="^the basket cannot be cancelled$"):
        b.cancel()


def test_checkout_rules() -> None:
    b = basket()
    with pytest.raises(BadRequest, match="^the basket has no items$"):
        b.checkout("pay-1")
    b.add_item(STORE, BOOK, 1)
    with pytest.raises(BadRequest, match="^the payment id cannot be blank$"):
        b.checkout("  ")
    assert b.status is BasketStatus.OPEN


@pytest.mark.parametrize("end", ["cancel", "checkout"])
def test_a_closed_basket_cannot_be_modified(end: str) -> None:
    b = basket()
    b.add_item(STORE, BOOK, 1)
    if end == "cancel":
        b.cancel()
    else:
        b.checkout("pay-1")
    changes: list[Callable[[], None]] = [
        lambda: b.add_item(STORE, PEN, 1),
        lambda: b.remove_item("p1", 1),
        lambda: b.checkout("pay-2"),
    ]
    for change in changes:
        with pytest.raises(BadRequest, match="^the basket cannot be modified$"):
            change()


def lifecycle() -> Basket:
    b = basket()
    b.add_item(STORE, BOOK, 3)
    b.add_item(STORE, PEN, 2)
    b.remove_item("p1", 1)
    b.checkout("pay-1")
    return b


def test_replaying_the_stored_events_rebuilds_the_basket() -> None:
    b = lifecycle()
    by_type = {e.event_type: e for e in BASKET_EVENTS}
    replayed = Basket("b1")
    for event in b.pending:
        stored = codec.loads(codec.dumps(codec.to_plain(event)))
        replayed.apply(codec.from_plain(by_type[event.event_type], stored))
    assert replayed.snapshot() == b.snapshot()
    assert replayed.items["p1"].price == Decimal("49.99")


def test_snapshot_round_trip() -> None:
    b = lifecycle()
    copy = Basket("b1")
    copy.restore(codec.loads(codec.dumps(b.snapshot())))
    assert (copy.customer_id, copy.payment_id, copy.status) == ("c1", "pay-1", "checked_out")
    assert copy.items == b.items
    assert list(copy.items) == ["p1", "p2"], "lines keep their order"
    assert copy.total == b.total == Decimal("102.98")
