"""Strawberry's built-in ``Decimal`` scalar, parsed strictly: a decimal number, and an error that
graphql-core places at the offending value (``Expected value of type 'Decimal!', found …``) or, in
variables, at its path (``at 'input.price'``). ``NaN``, ``Infinity`` and amounts out of range
parse, and are refused by the input limits of :mod:`gateway.validation` as ``BAD_REQUEST`` naming
the field."""

from __future__ import annotations

import decimal

from strawberry.types.scalar import ScalarDefinition, ScalarWrapper


def parse_decimal(value: object) -> decimal.Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("not a decimal number")
    text = str(value)
    if len(text) > 100:
        raise ValueError("longer than 100 characters")
    try:
        return decimal.Decimal(text)
    except decimal.DecimalException:
        raise ValueError(f"{text} is not a decimal number") from None


STRICT_DECIMAL = ScalarDefinition(
    name="Decimal",
    description="Decimal (fixed-point), as a string",
    specified_by_url=None,
    serialize=str,
    parse_value=parse_decimal,
    parse_literal=None,
    origin=decimal.Decimal,
)

SCALAR_OVERRIDES: dict[object, type | ScalarWrapper | ScalarDefinition] = {
    decimal.Decimal: STRICT_DECIMAL
}
