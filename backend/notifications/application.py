"""Notifications: keep a cache of customers, text them about their orders, keep a log of it."""

from __future__ import annotations

import logging
import uuid
from typing import Any
from urllib.parse import quote

from backend.notifications.domain import Kind, Notification, Recipient
from backend.notifications.messages import SMS_TOPIC, SmsRequested
from backend.notifications.sender import SmsSender
from backend.platform.auth import current_principal
from backend.platform.cache import Field, VersionedCache
from backend.platform.messages import Message, new_message
from backend.platform.module import ModuleContext
from backend.platform.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

_NOTIFICATION_COLUMNS = (
    "id",
    "customer_id",
    "order_id",
    "kind",
    "sms_number",
    "message",
    "sent_at",
)


class NotificationsService:
    def __init__(self, ctx: ModuleContext, sender: SmsSender) -> None:
        self.ctx = ctx
        self.sender = sender
        self.customers = VersionedCache(
            ctx.store.table("customers_cache"), (Field("name", ""), Field("sms_number", ""))
        )
        self.notifications = ctx.store.table("notifications")

    # --- the customers cache ---

    async def cache_customer(
        self, uow: UnitOfWork, customer_id: str, version: int | None, values: dict[str, str]
    ) -> None:
        await self.customers.apply(uow, customer_id, version, values)

    async def recipient(self, uow: UnitOfWork, customer_id: str) -> Recipient | None:
        """The cached customer, else the customers module's answer (then cached); None if the
        customers module does not know them. Called before the unit of work writes anything:
        the fall-back's network call runs with no transaction open."""

        async def fetch() -> dict[str, str] | None:
            found = await self.ctx.services.get("customers", f"/{quote(customer_id, safe='')}")
            return None if found is None else found["customer"]

        row = await self.customers.read_through(uow, customer_id, fetch)
        return None if row is None else Recipient(customer_id, row["name"], row["sms_number"])

    # --- notifications ---

    async def notify(
        self, uow: UnitOfWork, kind: Kind, order_id: str, customer_id: str, cause: Message
    ) -> None:
        """Log the SMS for an order event, once per (order, kind), and have it sent."""
        recipient = await self.recipient(uow, customer_id)
        if recipient is None:
            log.warning("no customer %s: %s of order %s not sent", customer_id, kind, order_id)
            return
        notification = Notification.about(kind, order_id, recipient)
        notification_id = str(uuid.uuid4())
        cur = await uow.execute(
            f"INSERT INTO {self.notifications}"
            " (id, customer_id, order_id, kind, sms_number, message)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (order_id, kind) DO NOTHING RETURNING 1",
            (
                notification_id,
                notification.customer_id,
                notification.order_id,
                notification.kind.value,
                notification.sms_number,
                notification.message,
            ),
        )
        if await cur.fetchone() is None:
            return
        # Sent after the commit, by this module's consumer of SMS_TOPIC (see ``send``).
        request = SmsRequested(notification_id, notification.sms_number, notification.message)
        uow.publish(new_message(SMS_TOPIC, request, cause=cause))

    async def send(self, request: SmsRequested) -> None:
        """Send a logged notification: no transaction is open (the handler writes nothing);
        a failure fails the delivery, which is retried. At least once: a crash after the send
        and before the acknowledgement sends it again."""
        await self.sender.send(request.sms_number, request.text)

    async def list_notifications(self, customer_id: str, limit: int) -> list[dict[str, Any]]:
        if not current_principal().is_customer(customer_id):
            return []  # as for a customer who was never texted: nothing tells them it exists
        async with self.ctx.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT {', '.join(_NOTIFICATION_COLUMNS)} FROM {self.notifications}"
                " WHERE customer_id = %s ORDER BY sent_at DESC, position DESC LIMIT %s",
                (customer_id, limit),
            )
            rows = await cur.fetchall()
        return [dict(zip(_NOTIFICATION_COLUMNS, row, strict=True)) for row in rows]
