"""Strawberry's built-in ``Decimal`` scalar, parsed strictly: a finite number, and an error that
graphql-core places at the offending value (``Expected value of type 'Decimal!', found …``) or, in
variables, at its path (``at 'input.price'``)."""

from __future__ import annotations

import decimal

from strawberry.types.scalar import ScalarDefinition, ScalarWrapper


def parse_decimal(value: object) -> decimal.Decimal:
    try:
        parsed = decimal.Decimal(str(value))
    except decimal.DecimalException:
        raise ValueError(f"{value} is not a decimal number") from None
    if not parsed.is_finite():
        raise ValueError(f"{value} is not a finite decimal number")
    return parsed


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
