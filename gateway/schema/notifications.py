"""The log of the texts sent to a customer (backend module ``notifications``)."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from gateway.authorization import require
from gateway.schema.common import Connection, ctx, paginate, timestamp

LOG_LIMIT = 500
"""How many of a customer's newest notifications the connection pages through."""


@strawberry.enum
class NotificationKind(Enum):
    ORDER_CREATED = "order_created"
    ORDER_READY = "order_ready"
    ORDER_CANCELED = "order_canceled"
    ORDER_COMPLETED = "order_completed"


@strawberry.type(description="A text message sent to a customer about an order.")
class Notification:
    id: strawberry.ID
    customer_id: strawberry.ID
    order_id: strawberry.ID
    kind: NotificationKind
    sms_number: str
    message: str
    sent_at: dt.datetime

    @classmethod
    def from_backend(cls, data: dict[str, Any]) -> Notification:
        return cls(
            id=strawberry.ID(str(data["id"])),
            customer_id=strawberry.ID(data["customer_id"]),
            order_id=strawberry.ID(data["order_id"]),
            kind=NotificationKind(data["kind"]),
            sms_number=data["sms_number"],
            message=data["message"],
            sent_at=timestamp(data["sent_at"]),
        )


@strawberry.type
class NotificationsQuery:
    @strawberry.field(description="A customer's notifications, newest first (the newest 500).")
    async def notifications(
        self, info: Info, customer_id: strawberry.ID, first: int = 20, after: str | None = None
    ) -> Connection[Notification]:
        require(info, "customer")
        data = await ctx(info).call(
            "GET", "/notifications", customer_id=str(customer_id), limit=LOG_LIMIT
        )
        found = [Notification.from_backend(n) for n in data["notifications"]]
        return paginate(found, first, after)
