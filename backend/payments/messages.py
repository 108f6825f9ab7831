"""The payments module's published contract."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from backend.platform.messages import Contract, Payload

INVOICE_TOPIC = "mallbots.payments.events.Invoice"
COMMAND_TOPIC = "mallbots.payments.commands"


@dataclass(frozen=True)
class InvoicePaid(Payload):
    """An invoice was paid: ordering completes the order."""

    message_name = "paymentsapi.InvoicePaid"
    id: str
    order_id: str


def _confirm_payment_v1(payload: dict[str, Any]) -> dict[str, Any]:
    """Version 1 (the book's) named no order and no customer. Such a command asks for no
    particular order and customer, which P3 refuses: the saga gets a Failure reply."""
    return {**payload, "order_id": "", "customer_id": ""}


@dataclass(frozen=True)
class ConfirmPayment(Payload):
    """Saga command: use the authorized payment for the order of ``customer_id`` (P3: the
    payment is that customer's, not used by another order, and covers ``amount``).
    Version 2 added ``order_id`` and ``customer_id``."""

    message_name = "paymentsapi.ConfirmPayment"
    schema_version = 2
    upcasters = {1: _confirm_payment_v1}
    id: str
    amount: Decimal
    order_id: str
    customer_id: str


contract = Contract("payments")
contract.register(INVOICE_TOPIC, "event", InvoicePaid)
contract.register(COMMAND_TOPIC, "command", ConfirmPayment)
