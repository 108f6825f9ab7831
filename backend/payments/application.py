"""Payments commands and queries: authorize payments, confirm them for the saga, create, cancel
and pay invoices. Every write and the events it causes commit in one unit of work."""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal
from typing import Any

from backend.payments import messages
from backend.payments.domain import Invoice, InvoiceStatus, Payment
from backend.platform.auth import current_principal, require_customer
from backend.platform.errors import NotFound
from backend.platform.messages import new_message
from backend.platform.module import ModuleContext
from backend.platform.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

_PAYMENT_COLUMNS = "id, customer_id, amount"
_INVOICE_COLUMNS = "id, order_id, amount, status, customer_id"


def payment_not_found(payment_id: str) -> NotFound:
    return NotFound(f"payment with id: `{payment_id}` does not exist")


def invoice_not_found(invoice_id: str) -> NotFound:
    return NotFound(f"invoice with id: `{invoice_id}` does not exist")


class PaymentsService:
    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.payments = ctx.store.table("payments")
        self.invoices = ctx.store.table("invoices")

    async def _one(self, query: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        async with self.ctx.pool.connection() as conn:
            cur = await conn.execute(query, params)
            row: tuple[Any, ...] | None = await cur.fetchone()
            return row

    # --- payments ---

    async def authorize_payment(
        self, customer_id: str, amount: Decimal, key: str | None = None
    ) -> Any:
        require_customer(customer_id.strip())
        payment_id = str(uuid.uuid4())

        async def command(uow: UnitOfWork) -> dict[str, str]:
            payment = Payment.authorize(payment_id, customer_id, amount)
            await uow.execute(
                f"INSERT INTO {self.payments} ({_PAYMENT_COLUMNS}) VALUES (%s, %s, %s)",
                (payment.id, payment.customer_id, payment.amount),
            )
            return {"id": payment_id}

        return await self.ctx.run_command(command, idempotency_key=key, scope="authorize_payment")

    async def confirm_payment(
        self, uow: UnitOfWork, payment_id: str, amount: Decimal, order_id: str, customer_id: str
    ) -> None:
        """The saga's ConfirmPayment (P3). The row stays locked until the reply commits, so two
        orders racing for one payment are decided one after the other: exactly one wins."""
        cur = await uow.execute(
            f"SELECT {_PAYMENT_COLUMNS}, order_id FROM {self.payments} WHERE id = %s FOR UPDATE",
            (payment_id,),
        )
        row = await cur.fetchone()
        if row is None:
            raise NotFound("payment cannot be confirmed")
        payment = Payment(*row)
        payment.confirm(amount, order_id, customer_id)
        await uow.execute(
            f"UPDATE {self.payments} SET order_id = %s, updated_at = now() WHERE id = %s",
            (payment.order_id, payment.id),
        )

    async def get_payment(self, payment_id: str) -> dict[str, Any]:
        row = await self._one(
            f"SELECT {_PAYMENT_COLUMNS} FROM {self.payments} WHERE id = %s", (payment_id,)
        )
        if row is None or not current_principal().is_customer(row[1]):
            raise payment_not_found(payment_id)
        return dict(zip(("id", "customer_id", "amount"), row, strict=True))

    # --- invoices ---

    async def _load_invoice(self, uow: UnitOfWork, invoice_id: str) -> Invoice | None:
        cur = await uow.execute(
            f"SELECT {_INVOICE_COLUMNS} FROM {self.invoices} WHERE id = %s FOR UPDATE",
            (invoice_id,),
        )
        row = await cur.fetchone()
        if row is None or not self._visible(row[4]):
            return None
        return Invoice(row[0], row[1], row[2], InvoiceStatus(row[3]), row[4])

    @staticmethod
    def _visible(customer_id: str | None) -> bool:
        """Whether the current principal may see an invoice of ``customer_id`` (invoices made
        before invoices knew their customer are for privileged principals only)."""
        who = current_principal()
        return who.privileged or (customer_id is not None and who.is_customer(customer_id))

    async def _save_status(self, uow: UnitOfWork, invoice: Invoice) -> None:
        await uow.execute(
            f"UPDATE {self.invoices} SET status = %s, updated_at = now() WHERE id = %s",
            (invoice.status.value, invoice.id),
        )

    async def create_invoice(
        self, uow: UnitOfWork, order_id: str, amount: Decimal, customer_id: str
    ) -> None:
        """Invoice a ready order (id = order id); an order already invoiced keeps its invoice."""
        invoice = Invoice.create(order_id, amount, customer_id)
        await uow.execute(
            f"INSERT INTO {self.invoices} ({_INVOICE_COLUMNS}) VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (id) DO NOTHING",
            (
                invoice.id,
                invoice.order_id,
                invoice.amount,
                invoice.status.value,
                invoice.customer_id,
            ),
        )

    async def cancel_invoice(self, uow: UnitOfWork, order_id: str) -> None:
        """Cancel the order's invoice if it has a pending one; otherwise do nothing (P2)."""
        invoice = await self._load_invoice(uow, order_id)
        if invoice is None or not invoice.can_cancel:
            log.info("order %s canceled: no pending invoice to cancel", order_id)
            return
        invoice.cancel()
        await self._save_status(uow, invoice)

    async def pay_invoice(self, invoice_id: str, key: str | None = None) -> Any:
        async def command(uow: UnitOfWork) -> dict[str, Any]:
            invoice = await self._load_invoice(uow, invoice_id)
            if invoice is None:
                raise invoice_not_found(invoice_id)
            invoice.pay()
            await self._save_status(uow, invoice)
            uow.publish(
                new_message(
                    messages.INVOICE_TOPIC, messages.InvoicePaid(invoice.id, invoice.order_id)
                )
            )
            return {}

        return await self.ctx.run_command(
            command, idempotency_key=key, scope=f"pay_invoice:{invoice_id}"
        )

    async def get_invoice(self, invoice_id: str) -> dict[str, Any]:
        row = await self._one(
            f"SELECT {_INVOICE_COLUMNS} FROM {self.invoices} WHERE id = %s", (invoice_id,)
        )
        if row is None or not self._visible(row[4]):
            raise invoice_not_found(invoice_id)
        return dict(zip(("id", "order_id", "amount", "status"), row[:4], strict=True))
