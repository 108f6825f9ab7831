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
    """Saga command: confirm that the authorized payment exists for ``amount``."""

    message_name = "paymentsapi.ConfirmPayment"
    id: str
    amount: Decimal


contract = Contract("payments")
contract.register(INVOICE_TOPIC, "event", InvoicePaid)
contract.register(COMMAND_TOPIC, "command", ConfirmPayment)
