"""Store and Product aggregates: every rule, transition and error message."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backend.platform.errors import BadRequest
from backend.stores.domain import (
    Product,
    ProductPriceDecreased,
    ProductPriceIncreased,
    ProductRemoved,
    Store,
    StoreCreated,
    StoreParticipationDisabled,
    StoreParticipationEnabled,
    StoreRebranded,
)


def test_a_new_store_is_not_participating() -> None:
    store = Store.create("s1", " Waldorf Books ", "West Upper Level")
    assert (store.name, store.location, store.participating) == (
        "Waldorf Books",
        "West Upper Level",
        False,
    )
    assert store.pending == [StoreCreated("Waldorf Books", "West Upper Level")]


@pytest.mark.parametrize(
    ("name", "location", "message"),
    [
        ("", "here", "the store name cannot be blank"),
        ("   ", "here", "the store name cannot be blank"),
        ("Books", "", "the store location cannot be blank"),
    ],
)
def test_store_creation_rules(name: str, location: str, message: str) -> None:
    with pytest.raises(BadRequest, match=f"^{message}$"):
        Store.create("s1", name, location)


def test_participation_toggles_and_refuses_repeats() -> None:
    store = Store.create("s1", "Books", "here")
    store.enable_participation()
    assert store.participating
    with pytest.raises(BadRequest, match="^the store is already participating$"):
        store.enable_participation()
    store.disable_participation()
    assert not store.participating
    with pytest.raises(BadRequest, match="^the store is already not participating$"):
        store.disable_participation()
    assert store.pending[1:] == [StoreParticipationEnabled(), StoreParticipationDisabled()]


def test_rebrand_store() -> None:
    store = Store.create("s1", "Books", "here")
    store.rebrand("More Books")
    assert store.name == "More Books" and store.pending[-1] == StoreRebranded("More Books")
    with pytest.raises(BadRequest, match="^the store name cannot be blank$"):
        store.rebrand(" ")


def test_store_snapshot_round_trip() -> None:
    store = Store.create("s1", "Books", "here")
    store.enable_participation()
    copy = Store("s1")
    copy.restore(store.snapshot())
    assert (copy.name, copy.location, copy.participating) == ("Books", "here", True)


def product(price: str = "10.00") -> Product:
    return Product.add("p1", "s1", "EDA with Golang", "a book", "1234", Decimal(price))


def test_product_rules() -> None:
    with pytest.raises(BadRequest, match="^the product name cannot be blank$"):
        Product.add("p1", "s1", " ", "", "", Decimal(1))
    with pytest.raises(BadRequest, match="^the product price cannot be negative$"):
        Product.add("p1", "s1", "Book", "", "", Decimal("-0.01"))
    with pytest.raises(BadRequest, match="more than two decimal places"):
        Product.add("p1", "s1", "Book", "", "", Decimal("1.001"))
    with pytest.raises(BadRequest, match="too large"):
        Product.add("p1", "s1", "Book", "", "", Decimal("1e12"))


def test_price_changes_carry_the_delta() -> None:
    p = product("10.00")
    assert p.increase_price(Decimal("12.50")) == Decimal("2.50")
    assert p.increase_price(Decimal("12.50")) == Decimal("0")  # equal is allowed
    assert p.decrease_price(Decimal("9.99")) == Decimal("-2.51")
    assert p.price == Decimal("9.99")
    assert p.pending[1:] == [
        ProductPriceIncreased(Decimal("2.50")),
        ProductPriceIncreased(Decimal("0")),
        ProductPriceDecreased(Decimal("-2.51")),
    ]
    with pytest.raises(BadRequest, match="^the price change would be a decrease$"):
        p.increase_price(Decimal("1"))
    with pytest.raises(BadRequest, match="^the price change would be an increase$"):
        p.decrease_price(Decimal("100"))
    with pytest.raises(BadRequest, match="^the product price cannot be negative$"):
        p.decrease_price(Decimal("-1"))


def test_a_removed_product_cannot_change() -> None:
    p = product()
    p.rebrand("New", "desc")
    assert (p.name, p.description) == ("New", "desc")
    p.remove()
    assert p.removed and p.pending[-1] == ProductRemoved()
    for change in (lambda: p.rebrand("x", ""), p.remove, lambda: p.increase_price(Decimal(20))):
        with pytest.raises(BadRequest, match="^the product has been removed$"):
            change()


def test_product_snapshot_round_trip() -> None:
    p = product("49.99")
    copy = Product("p1")
    copy.restore(p.snapshot())
    assert (copy.store_id, copy.name, copy.sku, copy.price) == (
        "s1",
        "EDA with Golang",
        "1234",
        Decimal("49.99"),
    )
