"""The notifications domain: which SMS an order event sends, and to whom. Pure Python, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    ORDER_CREATED = "order_created"
    ORDER_READY = "order_ready"
    ORDER_CANCELED = "order_canceled"
    ORDER_COMPLETED = "order_completed"


_TEXTS = {
    Kind.ORDER_CREATED: "Hi {name}, we have received your order {order_id}.",
    Kind.ORDER_READY: "Hi {name}, your order {order_id} is ready for pickup.",
    Kind.ORDER_CANCELED: "Hi {name}, your order {order_id} has been canceled.",
    Kind.ORDER_COMPLETED: "Hi {name}, your order {order_id} is complete. Thank you for shopping!",
}


@dataclass(frozen=True)
class Recipient:
    """A customer as the notifications cache knows them."""

    id: str
    name: str
    sms_number: str


@dataclass(frozen=True)
class Notification:
    """One SMS about one order; an order gets at most one notification of each kind."""

    customer_id: str
    order_id: str
    kind: Kind
    sms_number: str
    message: str

    @classmethod
    def about(cls, kind: Kind, order_id: str, recipient: Recipient) -> Notification:
        text = _TEXTS[kind].format(name=recipient.name, order_id=order_id)
        return cls(recipient.id, order_id, kind, recipient.sms_number, text)
