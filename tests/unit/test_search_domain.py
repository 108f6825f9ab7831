"""Search filters, cursors and totals: every rule and error message."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal

import pytest

from backend.platform.errors import BadRequest
from backend.platform.money import MAX_AMOUNT
from backend.search.domain import (
    MAX_IDS,
    MAX_LIMIT,
    STATUSES,
    Cursor,
    OrderLine,
    SearchFilters,
    check_limit,
    order_total,
)

T0 = dt.datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)


def test_statuses_are_those_of_ordering() -> None:
    assert STATUSES == ("pending", "approved", "rejected", "ready", "cancelled", "completed")


def test_filters_are_normalised() -> None:
    filters = SearchFilters(
        customer_id="",
        after=dt.datetime(2024, 1, 1),
        before=dt.datetime(2024, 2, 1, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        store_ids=["b", "a", "b"],
        product_ids=[],
        status="",
    ).validated()
    assert filters.customer_id is None, "a blank customer id is no filter"
    assert filters.after == dt.datetime(2024, 1, 1, tzinfo=dt.UTC), "naive times are UTC"
    assert filters.before is not None and filters.before.utcoffset() == dt.timedelta(hours=2)
    assert filters.store_ids == ["a", "b"]
    assert filters.product_ids is None, "an empty list is no filter"
    assert filters.status is None


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (
            SearchFilters(after=T0, before=T0 - dt.timedelta(seconds=1)),
            "after cannot be later than before",
        ),
        (
            SearchFilters(min_total=Decimal("10"), max_total=Decimal("9.99")),
            "min_total cannot be greater than max_total",
        ),
        (SearchFilters(min_total=Decimal("NaN")), "min_total must be a number"),
        (SearchFilters(max_total=Decimal("Infinity")), "max_total must be a number"),
        (SearchFilters(min_total=Decimal("1e200000")), f"min_total: more than {MAX_AMOUNT}"),
        (
            SearchFilters(max_total=MAX_AMOUNT + Decimal("0.01")),
            f"max_total: more than {MAX_AMOUNT}",
        ),
        (SearchFilters(min_total=Decimal("-1e999999999")), "min_total: less than 0"),
        (SearchFilters(max_total=Decimal("-0.01")), "max_total: less than 0"),
        (
            SearchFilters(min_total=Decimal("1e-999999999")),
            "min_total: more than two decimal places",
        ),
        (
            SearchFilters(max_total=Decimal("1.001")),
            "max_total: more than two decimal places",
        ),
        (
            SearchFilters(status="New"),
            "unknown status `New`; use one of pending, approved, rejected, ready, cancelled,"
            " completed",
        ),
        (
            SearchFilters(store_ids=[str(i) for i in range(MAX_IDS + 1)]),
            f"store_ids cannot list more than {MAX_IDS} ids",
        ),
        (
            SearchFilters(product_ids=[str(i) for i in range(MAX_IDS + 1)]),
            f"product_ids cannot list more than {MAX_IDS} ids",
        ),
    ],
)
def test_filter_rules(filters: SearchFilters, message: str) -> None:
    with pytest.raises(BadRequest, match=f"^{message}$"):
        filters.validated()


def test_equal_bounds_are_allowed() -> None:
    filters = SearchFilters(
        after=T0, before=T0, min_total=Decimal(5), max_total=Decimal(5)
    ).validated()
    assert filters.after == filters.before


def test_total_bounds_are_money_written_with_two_decimals() -> None:
    filters = SearchFilters(min_total=Decimal("0E-1000000"), max_total=MAX_AMOUNT).validated()
    assert (str(filters.min_total), filters.max_total) == ("0.00", MAX_AMOUNT)
    filters = SearchFilters(min_total=Decimal("2.500"), max_total=Decimal("1E+3")).validated()
    assert (str(filters.min_total), str(filters.max_total)) == ("2.50", "1000.00")


@pytest.mark.parametrize("limit", [0, -1, MAX_LIMIT + 1])
def test_limit_bounds(limit: int) -> None:
    with pytest.raises(BadRequest, match=f"^limit must be between 1 and {MAX_LIMIT}$"):
        check_limit(limit)


def test_limit_within_bounds() -> None:
    assert (check_limit(1), check_limit(MAX_LIMIT)) == (1, MAX_LIMIT)


def test_cursor_round_trip() -> None:
    filters = SearchFilters(customer_id="c1").validated()
    cursor = Cursor(T0, "order-9")
    text = cursor.encode(filters)
    assert "=" not in text and "order-9" not in text, "the cursor is opaque"
    assert Cursor.decode(text, filters) == cursor


def test_a_cursor_only_continues_its_own_search() -> None:
    text = Cursor(T0, "o1").encode(SearchFilters(customer_id="c1").validated())
    with pytest.raises(BadRequest, match="^the cursor belongs to a search with other filters$"):
        Cursor.decode(text, SearchFilters(customer_id="c2").validated())


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "text",
    [
        "not a cursor!",
        "%%%",
        _b64("not json"),
        _b64("[1, 2]"),
        _b64('{"t": "yesterday", "o": "o1", "f": "x"}'),
        _b64('{"t": "2024-01-01T00:00:00", "o": "o1", "f": "x"}'),
        _b64('{"o": "o1", "f": "x"}'),
    ],
)
def test_a_garbled_cursor_is_refused(text: str) -> None:
    with pytest.raises(BadRequest, match="^the cursor is not valid$"):
        Cursor.decode(text, SearchFilters())


def test_order_total_is_exact() -> None:
    lines = [
        OrderLine("p1", "s1", "Book", "Books", Decimal("0.10"), 3),
        OrderLine("p2", "s1", "Pen", "Books", Decimal("49.99"), 2),
    ]
    assert order_total(lines) == Decimal("100.28")
    assert order_total([]) == Decimal(0)
