"""The search domain: order statuses, search filters, keyset cursors and order totals.
Pure Python, no I/O."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from backend.platform import codec
from backend.platform.errors import BadRequest
from backend.platform.validation import Invalid, MoneyAmount, check_money

STATUSES = ("pending", "approved", "rejected", "ready", "cancelled", "completed")
"""The order statuses, spelled as the ordering module spells them."""

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_IDS = 100
"""The most store or product ids one filter may list."""


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """A timestamp without a time zone is taken to be UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def _ids(value: list[str] | None, what: str) -> list[str] | None:
    if not value:
        return None
    if len(value) > MAX_IDS:
        raise BadRequest(f"{what} cannot list more than {MAX_IDS} ids")
    return sorted(set(value))


def _amount(value: Decimal | None, what: str) -> Decimal | None:
    """A bound on an order total, as money (``check_money``), written with two decimal places
    (``0E-1000000`` is ``0.00``): PostgreSQL overflows on ``1e200000``, ``1e-999999999`` or
    ``0E-1000000``."""
    if value is None:
        return None
    if not value.is_finite():
        raise BadRequest(f"{what} must be a number")
    try:
        check_money(value, MoneyAmount())
    except Invalid as exc:
        raise BadRequest(f"{what}: {exc}") from None
    return value.quantize(Decimal("0.01"))


@dataclass(frozen=True)
class SearchFilters:
    """Every filter is optional; the ones given must all match.

    ``after``/``before`` bound the order's creation time as a half-open range [after, before).
    ``store_ids``/``product_ids`` match orders with at least one item of one of the ids.
    ``min_total``/``max_total`` are inclusive.
    """

    customer_id: str | None = None
    after: dt.datetime | None = None
    before: dt.datetime | None = None
    store_ids: list[str] | None = None
    product_ids: list[str] | None = None
    min_total: Decimal | None = None
    max_total: Decimal | None = None
    status: str | None = None

    def validated(self) -> SearchFilters:
        """The filters checked and in a normal form (empty values dropped, times in UTC)."""
        filters = SearchFilters(
            customer_id=self.customer_id or None,
            after=_utc(self.after),
            before=_utc(self.before),
            store_ids=_ids(self.store_ids, "store_ids"),
            product_ids=_ids(self.product_ids, "product_ids"),
            min_total=_amount(self.min_total, "min_total"),
            max_total=_amount(self.max_total, "max_total"),
            status=self.status or None,
        )
        if filters.after and filters.before and filters.after > filters.before:
            raise BadRequest("after cannot be later than before")
        if (
            filters.min_total is not None
            and filters.max_total is not None
            and filters.min_total > filters.max_total
        ):
            raise BadRequest("min_total cannot be greater than max_total")
        if filters.status is not None and filters.status not in STATUSES:
            raise BadRequest(f"unknown status `{filters.status}`; use one of {', '.join(STATUSES)}")
        return filters

    def fingerprint(self) -> str:
        """A short hash of the filters: a cursor only continues the search it came from."""
        text = codec.dumps(codec.to_plain(self))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}")
    return limit


@dataclass(frozen=True)
class Cursor:
    """Where a page ended, in the order newest first by (created_at, order_id)."""

    created_at: dt.datetime
    order_id: str

    def encode(self, filters: SearchFilters) -> str:
        data = {"t": self.created_at.isoformat(), "o": self.order_id, "f": filters.fingerprint()}
        return base64.urlsafe_b64encode(codec.dumps(data).encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str, filters: SearchFilters) -> Cursor:
        """The cursor in ``text``; a cursor that is garbled or from another search is a 400."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            data = codec.loads(raw)
            cursor = cls(dt.datetime.fromisoformat(data["t"]), str(data["o"]))
            fingerprint = data["f"]
        except (ValueError, binascii.Error, KeyError, TypeError):
            raise BadRequest("the cursor is not valid") from None
        if cursor.created_at.tzinfo is None:
            raise BadRequest("the cursor is not valid")
        if fingerprint != filters.fingerprint():
            raise BadRequest("the cursor belongs to a search with other filters")
        return cursor


@dataclass(frozen=True)
class OrderLine:
    """One item of an order as search shows it: ids, names as at ordering time, price, quantity."""

    product_id: str
    store_id: str
    product_name: str
    store_name: str
    price: Decimal
    quantity: int


def order_total(lines: Sequence[OrderLine]) -> Decimal:
    return sum((line.price * line.quantity for line in lines), Decimal(0))
