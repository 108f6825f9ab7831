"""The payments module's published contract."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from backend.platform.messages import Contract, Payload

INVOICE_TOPIC = "mallbots.payments.events.Invoice"
COMMAND_TOPIC = "mallbots.payments.commands"


@dataclass(frozen=True)
class InvoicePaid(Payload):
    """An invoice was paid: ordering completes the order."""

    message_name = "paymentsapi.InvoicePaid"
    id: str
    order_id: str


@dataclass(frozen=True)
class ConfirmPayment(Payload):
    """Saga command: use the authorized payment for the order of ``customer_id`` (P3: the
    payment is that customer's, not used by another order, and covers ``amount``)."""

    message_name = "paymentsapi.ConfirmPayment"
    id: str
    amount: Decimal
    order_id: str = ""
    customer_id: str = ""


contract = Contract("payments")
contract.register(INVOICE_TOPIC, "event", InvoicePaid)
contract.register(COMMAND_TOPIC, "command", ConfirmPayment)
