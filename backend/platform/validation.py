"""The limits of input, declared next to the request types and checked where input is decoded.

A request type states each field's limits in its annotation::

    @dataclass(frozen=True)
    class AddProduct:
        name: Annotated[str, MaxLen(200)]
        price: Price
        idempotency_key: IdempotencyKey | None = None

:mod:`backend.platform.codec` applies them while it decodes a body (every string is also refused
when it holds a NUL byte or a lone surrogate, and is at most :data:`MAX_TEXT` characters unless
it says otherwise), :mod:`backend.platform.api` applies :data:`Id` to every path parameter, and
the OpenAPI documents show them (``maxLength``, ``format: uuid``, ``minimum``/``maximum``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from backend.platform.money import MAX_AMOUNT

MAX_TEXT = 1000
"""The longest string a field may hold unless its annotation says otherwise."""

MAX_INT = 2**63 - 1
"""Whole numbers beyond a PostgreSQL ``bigint`` are refused everywhere."""

MAX_QUERY_VALUE = 4000
"""The longest query-string value (100 UUIDs and their commas fit)."""


@dataclass(frozen=True)
class MaxLen:
    """At most ``length`` characters."""

    length: int


@dataclass(frozen=True)
class UuidText:
    """The text of a UUID, as the backend makes them (``8-4-4-4-12`` hexadecimal digits)."""


@dataclass(frozen=True)
class Range:
    """A number from ``minimum`` to ``maximum`` (either bound optional)."""

    minimum: int | Decimal | None = None
    maximum: int | Decimal | None = None


@dataclass(frozen=True)
class MoneyAmount:
    """A finite decimal with at most two decimal places, within ``[minimum, MAX_AMOUNT]``."""

    minimum: Decimal = Decimal("0")


Id = Annotated[str, UuidText()]
"""The id of something the backend made: a UUID's text."""

IdempotencyKey = Annotated[str, MaxLen(200)]
"""A client's idempotency key: any text up to 200 characters."""

Name = Annotated[str, MaxLen(200)]
"""A name: a store, product, customer or bot."""

Description = Annotated[str, MaxLen(MAX_TEXT)]
"""Free text: a product's description."""

Price = Annotated[Decimal, MoneyAmount()]
"""An amount of money that cannot be negative."""


class Invalid(ValueError):
    """A value breaks a limit; the message says which, without the value."""


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_text(value: str, max_length: int = MAX_TEXT) -> str:
    """``value`` if it is at most ``max_length`` characters with no NUL byte or lone surrogate."""
    if len(value) > max_length:
        raise Invalid(f"longer than {max_length} characters")
    if "\x00" in value:
        raise Invalid("contains a NUL character")
    if not value.isascii() and _SURROGATE.search(value):
        raise Invalid("contains a lone surrogate")
    return value


def check_id(value: str) -> str:
    if len(value) != 36 or not _UUID.fullmatch(value):
        raise Invalid("not a UUID")
    return value


def check_range(value: int | Decimal, limits: Range) -> None:
    if limits.minimum is not None and value < limits.minimum:
        raise Invalid(f"less than {limits.minimum}")
    if limits.maximum is not None and value > limits.maximum:
        raise Invalid(f"more than {limits.maximum}")


def check_money(value: Decimal, limits: MoneyAmount) -> Decimal:
    if not value.is_finite():
        raise Invalid("not a finite number")
    check_range(value, Range(limits.minimum, MAX_AMOUNT))
    if value != value.quantize(Decimal("0.01")):
        raise Invalid("more than two decimal places")
    return value
