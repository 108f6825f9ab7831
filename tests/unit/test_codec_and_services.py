"""Pure platform pieces: the JSON codec (property-based) and service addressing."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.platform import codec
from backend.platform.services import ServiceClient, ServiceUnavailable, parse_service_urls


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int
    price: Decimal


@dataclass(frozen=True)
class Basket:
    id: str
    lines: list[Line]
    note: str | None = None


money = st.decimals(min_value=Decimal("-9999999999.99"), max_value=Decimal("9999999999.99"),
                    places=2, allow_nan=False, allow_infinity=False)  # fmt: skip
lines = st.builds(Line, st.text(max_size=50), st.integers(-(2**31), 2**31), money)
baskets = st.builds(Basket, st.text(max_size=50), st.lists(lines, max_size=5),
                    st.none() | st.text(max_size=20))  # fmt: skip


@given(baskets)
def test_codec_round_trips_exactly(basket: Basket) -> None:
    text = codec.dumps(codec.to_plain(basket))
    assert codec.from_plain(Basket, codec.loads(text)) == basket


def test_to_plain_gives_json_values_of_every_supported_type() -> None:
    at = dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC)
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    value = {
        "basket": Basket("b", [Line("s", 2, Decimal("1.50"))]),
        "at": at,
        "naive": dt.datetime(2026, 1, 2, 3, 4, 5),
        "id": ident,
        "pair": (1, "two"),
        3: None,
    }
    assert codec.to_plain(value) == {
        "basket": {
            "id": "b",
            "lines": [{"sku": "s", "quantity": 2, "price": "1.50"}],
            "note": None,
        },
        "at": at.isoformat(),
        "naive": "2026-01-02T03:04:05",
        "id": str(ident),
        "pair": [1, "two"],
        "3": None,
    }


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"lines": []}, "id: missing"),
        ({"id": 1, "lines": []}, "id: expected a string"),
        (
            {"id": "b", "lines": [{"sku": "s", "quantity": 1.5, "price": "1"}]},
            "lines[0].quantity: expected a whole number",
        ),
        (
            {"id": "b", "lines": [{"sku": "s", "quantity": 1, "price": 1.5}]},
            "lines[0].price: expected a decimal string",
        ),
        (
            {"id": "b", "lines": [{"sku": "s", "quantity": 1, "price": "x"}]},
            "lines[0].price: not a decimal number",
        ),
        ({"id": "x" * 1001, "lines": []}, "id: longer than 1000 characters"),
    ],
)
def test_codec_names_the_bad_field(data: dict[str, object], error: str) -> None:
    with pytest.raises(
        codec.DecodeError, match=f"^{error}$".replace("[", r"\[").replace("]", r"\]")
    ):
        codec.from_plain(Basket, data)


def test_a_module_without_an_address_is_a_clear_error() -> None:
    client = ServiceClient("http://127.0.0.1:8080", {"stores": "http://stores:8080"}, {"baskets"})
    assert client.base("stores") == "http://stores:8080"
    assert client.base("baskets") == "http://127.0.0.1:8080"
    with pytest.raises(ServiceUnavailable, match="no address for the customers module"):
        client.base("customers")


def test_service_urls_are_parsed_strictly() -> None:
    assert parse_service_urls(" a=http://x:1 , b=http://y:2") == {
        "a": "http://x:1",
        "b": "http://y:2",
    }
    with pytest.raises(ValueError, match="expected name=url"):
        parse_service_urls("a=http://x,b")
