"""Notifications: keep a cache of customers, text them about their orders, keep a log of it."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from backend.notifications.domain import Kind, Notification, Recipient
from backend.notifications.sender import SmsSender
from backend.platform.auth import current_principal
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
        self.customers = ctx.store.table("customers_cache")
        self.notifications = ctx.store.table("notifications")

    # --- the customers cache ---

    async def cache_customer(self, uow: UnitOfWork, recipient: Recipient) -> None:
        """Remember a customer; one already cached keeps what it has (it is as new or newer)."""
        await uow.execute(
            f"INSERT INTO {self.customers} (id, name, sms_number) VALUES (%s, %s, %s)"
            " ON CONFLICT (id) DO NOTHING",
            (recipient.id, recipient.name, recipient.sms_number),
        )

    async def change_sms_number(self, uow: UnitOfWork, customer_id: str, sms_number: str) -> None:
        """A customer not cached yet is left alone: the read-through will fetch the new number."""
        await uow.execute(
            f"UPDATE {self.customers} SET sms_number = %s, updated_at = now() WHERE id = %s",
            (sms_number, customer_id),
        )

    async def recipient(self, uow: UnitOfWork, customer_id: str) -> Recipient | None:
        """The cached customer, else the customers module's answer (then cached); None if the
        customers module does not know them."""
        cur = await uow.execute(
            f"SELECT id, name, sms_number FROM {self.customers} WHERE id = %s", (customer_id,)
        )
        row = await cur.fetchone()
        if row is not None:
            return Recipient(*row)
        found = await self.ctx.services.get("customers", f"/{customer_id}")
        if found is None:
            return None
        customer = found["customer"]
        recipient = Recipient(customer["id"], customer["name"], customer["sms_number"])
        await self.cache_customer(uow, recipient)
        return recipient

    # --- notifications ---

    async def notify(self, uow: UnitOfWork, kind: Kind, order_id: str, customer_id: str) -> None:
        """Log and send the SMS for an order event, once per (order, kind)."""
        recipient = await self.recipient(uow, customer_id)
        if recipient is None:
            log.warning("no customer %s: %s of order %s not sent", customer_id, kind, order_id)
            return
        notification = Notification.about(kind, order_id, recipient)
        cur = await uow.execute(
            f"INSERT INTO {self.notifications}"
            " (id, customer_id, order_id, kind, sms_number, message)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (order_id, kind) DO NOTHING RETURNING 1",
            (
                str(uuid.uuid4()),
                notification.customer_id,
                notification.order_id,
                notification.kind.value,
                notification.sms_number,
                notification.message,
            ),
        )
        if await cur.fetchone() is None:
            return
        # Inside the unit of work: a failed send rolls the log row back and the delivery is
        # retried (at-least-once sending; the inbox and the unique key stop repeats otherwise).
        await self.sender.send(notification.sms_number, notification.message)

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
