"""The payments domain: authorized payments and the invoices of ready orders. Both are kept in
tables (not event-sourced). Pure Python, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from backend.platform.errors import BadRequest
from backend.platform.money import check_money

# --- Payment ---------------------------------------------------------------------------------


@dataclass
class Payment:
    """An amount a customer authorized; the create-order saga confirms it covers the order."""

    id: str
    customer_id: str
    amount: Decimal
    order_id: str | None = None
    """The order that used the payment (P3: one order at most)."""

    @classmethod
    def authorize(cls, id: str, customer_id: str, amount: Decimal) -> Payment:
        if not customer_id.strip():
            raise BadRequest("the customer id cannot be blank")
        if check_money(amount, "payment amount") <= 0:
            raise BadRequest("the payment amount must be positive")
        return cls(id, customer_id.strip(), amount)

    def confirm(self, amount: Decimal, order_id: str, customer_id: str) -> None:
        """The saga's ConfirmPayment: the payment is used by the order of its own customer,
        once (confirming it again for the same order is a redelivery), and covers ``amount``."""
        if not order_id or customer_id != self.customer_id or self.order_id not in (None, order_id):
            raise BadRequest("the payment cannot be used")
        if self.amount < amount:
            raise BadRequest("the payment amount does not cover the order total")
        self.order_id = order_id


# --- Invoice ---------------------------------------------------------------------------------


class InvoiceStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    CANCELED = "canceled"


@dataclass
class Invoice:
    """The bill of a ready order: its id is the order's id, its amount the order's total."""

    id: str
    order_id: str
    amount: Decimal
    status: InvoiceStatus
    customer_id: str | None = None

    @classmethod
    def create(cls, order_id: str, amount: Decimal, customer_id: str | None = None) -> Invoice:
        if not order_id.strip():
            raise BadRequest("the order id cannot be blank")
        if check_money(amount, "invoice amount") < 0:
            raise BadRequest("the invoice amount cannot be negative")
        return cls(order_id, order_id, amount, InvoiceStatus.PENDING, customer_id)

    def pay(self) -> None:
        if self.status is not InvoiceStatus.PENDING:
            raise BadRequest("invoice cannot be paid for")
        self.status = InvoiceStatus.PAID

    @property
    def can_cancel(self) -> bool:
        return self.status is InvoiceStatus.PENDING

    def cancel(self) -> None:
        if not self.can_cancel:
            raise BadRequest("invoice cannot be canceled")
        self.status = InvoiceStatus.CANCELED
