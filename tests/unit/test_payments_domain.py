"""Payments and invoices: every rule, transition and error message."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backend.payments.domain import Invoice, InvoiceStatus, Payment
from backend.platform.errors import BadRequest
from backend.platform.money import check_money


def test_authorize_a_payment() -> None:
    payment = Payment.authorize("p1", " c1 ", Decimal("49.99"))
    assert payment == Payment("p1", "c1", Decimal("49.99"))


@pytest.mark.parametrize(
    ("customer_id", "amount", "message"),
    [
        ("", "1.00", "the customer id cannot be blank"),
        ("  ", "1.00", "the customer id cannot be blank"),
        ("c1", "0", "the payment amount must be positive"),
        ("c1", "0.00", "the payment amount must be positive"),
        ("c1", "-5.00", "the payment amount must be positive"),
        ("c1", "1.001", "the payment amount cannot have more than two decimal places"),
        ("c1", "10000000000.00", "the payment amount is too large"),
        ("c1", "NaN", "the payment amount must be a number"),
        ("c1", "Infinity", "the payment amount must be a number"),
    ],
)
def test_authorization_rules(customer_id: str, amount: str, message: str) -> None:
    with pytest.raises(BadRequest, match=f"^{message}$"):
        Payment.authorize("p1", customer_id, Decimal(amount))


def test_the_largest_amount_is_accepted() -> None:
    assert check_money(Decimal("9999999999.99"), "amount") == Decimal("9999999999.99")


@pytest.mark.parametrize("total", ["49.99", "10.00", "0"])
def test_a_payment_covers_a_total_up_to_its_amount(total: str) -> None:
    Payment("p1", "c1", Decimal("49.99")).confirm(Decimal(total), "o1", "c1")


def test_a_payment_does_not_cover_a_larger_total() -> None:
    with pytest.raises(BadRequest, match="^the payment amount does not cover the order total$"):
        Payment("p1", "c1", Decimal("49.99")).confirm(Decimal("50.00"), "o1", "c1")


def test_a_payment_is_used_once_by_its_own_customer() -> None:
    payment = Payment("p1", "c1", Decimal("49.99"))
    payment.confirm(Decimal("10.00"), "o1", "c1")
    assert payment.order_id == "o1"
    payment.confirm(Decimal("10.00"), "o1", "c1")  # the same order again: a redelivery
    for order_id, customer_id in (("o2", "c1"), ("o1", "c2"), ("", "c1")):
        with pytest.raises(BadRequest, match="^the payment cannot be used$"):
            payment.confirm(Decimal("10.00"), order_id, customer_id)
    with pytest.raises(BadRequest, match="^the payment cannot be used$"):
        Payment("p2", "c1", Decimal("49.99")).confirm(Decimal("10.00"), "o3", "c2")


def test_an_invoice_bills_an_order_under_its_id() -> None:
    invoice = Invoice.create("o1", Decimal("99.98"))
    assert invoice == Invoice("o1", "o1", Decimal("99.98"), InvoiceStatus.PENDING)


@pytest.mark.parametrize(
    ("order_id", "amount", "message"),
    [
        ("", "1.00", "the order id cannot be blank"),
        ("o1", "-0.01", "the invoice amount cannot be negative"),
        ("o1", "1.005", "the invoice amount cannot have more than two decimal places"),
    ],
)
def test_invoice_rules(order_id: str, amount: str, message: str) -> None:
    with pytest.raises(BadRequest, match=f"^{message}$"):
        Invoice.create(order_id, Decimal(amount))


def test_pay_a_pending_invoice_once() -> None:
    invoice = Invoice.create("o1", Decimal("10.00"))
    invoice.pay()
    assert invoice.status is InvoiceStatus.PAID
    assert not invoice.can_cancel
    with pytest.raises(BadRequest, match="^invoice cannot be paid for$"):
        invoice.pay()


def test_cancel_a_pending_invoice_once() -> None:
    invoice = Invoice.create("o1", Decimal("10.00"))
    assert invoice.can_cancel
    invoice.cancel()
    assert invoice.status is InvoiceStatus.CANCELED
    with pytest.raises(BadRequest, match="^invoice cannot be canceled$"):
        invoice.cancel()
    with pytest.raises(BadRequest, match="^invoice cannot be paid for$"):
        invoice.pay()


def test_a_paid_invoice_cannot_be_canceled() -> None:
    invoice = Invoice.create("o1", Decimal("10.00"))
    invoice.pay()
    with pytest.raises(BadRequest, match="^invoice cannot be canceled$"):
        invoice.cancel()
    assert invoice.status is InvoiceStatus.PAID
