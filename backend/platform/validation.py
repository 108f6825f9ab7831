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
the OpenAPI documents show them (``maxLength``, ``format: id``, ``minimum``/``maximum``).
:func:`check_strings` refuses a NUL character or a lone surrogate anywhere in a request body
(PostgreSQL cannot store the one, UTF-8 cannot encode the other), and a body nested more than
:data:`MAX_DEPTH` levels deep.

Ids: the backend makes every id a UUID, and the gateway (the public edge) accepts nothing else.
The backend itself is also called by other modules, operators and tools, so it holds an id to the
shape any id must have (1 to :data:`MAX_ID` printable characters) and answers ``NOT_FOUND`` for one
it never made, as it does for an unknown UUID.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from backend.platform.money import MAX_AMOUNT

MAX_TEXT = 1000
"""The longest string a field may hold unless its annotation says otherwise."""

MAX_INT = 2**63 - 1
"""Whole numbers beyond a PostgreSQL ``bigint`` are refused everywhere."""

MAX_ID = 100
"""The longest id the backend looks up."""

MAX_QUERY_VALUE = 4000
"""The longest query-string value (100 UUIDs and their commas fit)."""

MAX_DEPTH = 32
"""The deepest a request body may nest objects and lists (the deepest the API takes is 3:
``{"filters": {"store_ids": [...]}}``)."""


@dataclass(frozen=True)
class MaxLen:
    """At most ``length`` characters."""

    length: int


@dataclass(frozen=True)
class IdText:
    """An id: 1 to ``MAX_ID`` printable characters (no control character)."""


@dataclass(frozen=True)
class Range:
    """A number from ``minimum`` to ``maximum`` (either bound optional)."""

    minimum: int | Decimal | None = None
    maximum: int | Decimal | None = None


@dataclass(frozen=True)
class MoneyAmount:
    """A finite decimal with at most two decimal places, within ``[minimum, MAX_AMOUNT]``."""

    minimum: Decimal = Decimal("0")


Id = Annotated[str, IdText()]
"""The id of something the backend made (a UUID's text), or text shaped like one."""

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


_CONTROL = re.compile("[\x00-\x1f\x7f]")
_URL_SYNTAX = re.compile(r"[/\\?#%]")
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


def check_strings(data: Any) -> None:
    """Every string in JSON ``data`` (object keys too) free of NUL characters and lone
    surrogates, and no object or list nested more than :data:`MAX_DEPTH` levels deep;
    ``Invalid`` naming the first string that is not (``items[2].name: …``). The walk keeps its
    own stack: a body nested as deep as the JSON parser allows cannot exhaust Python's."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            try:
                check_text(value, len(value))
            except Invalid as exc:
                raise Invalid(f"{path or 'body'}: {exc}") from None
            continue
        if not isinstance(value, dict | list):
            continue
        if depth >= MAX_DEPTH:
            raise Invalid(f"body: nested more than {MAX_DEPTH} levels deep")
        children: list[tuple[Any, str, int]] = []
        if isinstance(value, dict):
            for key, item in value.items():
                children.append((key, f"{path}.<key>" if path else "<key>", depth + 1))
                children.append((item, f"{path}.{key}" if path else key, depth + 1))
        else:
            children.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))
        stack.extend(reversed(children))  # in document order: the first bad string is named


def check_id(value: str) -> str:
    """An id as the backend looks one up: 1 to ``MAX_ID`` printable characters, none of which
    could change the path of a call to another module (``/ \\ ? # %``, only dots). A blank one
    is the domain's to refuse, with its own message."""
    if not value:
        raise Invalid("empty")
    check_text(value, MAX_ID)
    if _CONTROL.search(value):
        raise Invalid("contains a control character")
    if _URL_SYNTAX.search(value) or not value.strip("."):
        raise Invalid("not an id")
    return value


def check_uuid(value: str) -> str:
    """The text of a UUID as the backend makes them (``8-4-4-4-12`` hexadecimal digits)."""
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
