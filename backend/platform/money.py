"""Money rules shared by every module: Decimal, two decimal places, numeric(14,2) range."""

from __future__ import annotations

from decimal import Decimal

from backend.platform.errors import BadRequest

MAX_AMOUNT = Decimal("9999999999.99")
"""The largest amount a ``numeric(14,2)`` column holds with room for sums."""


def check_money(value: Decimal, what: str) -> Decimal:
    """A money amount: finite, at most two decimal places, not absurdly large."""
    if not value.is_finite():
        raise BadRequest(f"the {what} must be a number")
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise BadRequest(f"the {what} cannot have more than two decimal places")
    if abs(value) > MAX_AMOUNT:
        raise BadRequest(f"the {what} is too large")
    return value
