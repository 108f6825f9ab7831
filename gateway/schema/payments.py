"""Payments and invoices: types, queries and mutations (backend module ``payments``)."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from gateway.authorization import require, require_customer
from gateway.schema.common import ctx, idempotent, money, seg
from gateway.schema.customers import Customer, customer_by_loader


@strawberry.type(description="An authorized payment, confirmed when an order is checked out.")
class Payment:
    id: strawberry.ID
    customer_id: strawberry.ID
    amount: Decimal

    @classmethod
    def from_backend(cls, data: dict[str, Any]) -> Payment:
        return cls(
            id=strawberry.ID(data["id"]),
            customer_id=strawberry.ID(data["customer_id"]),
            amount=money(data["amount"]),
        )

    @strawberry.field(description="The customer (through a DataLoader).")
    async def customer(self, info: Info) -> Customer | None:
        return await customer_by_loader(info, str(self.customer_id))


@strawberry.enum
class InvoiceStatus(Enum):
    PENDING = "pending"
    PAID = "paid"
    CANCELED = "canceled"


@strawberry.type(description="The bill of a ready order; its id is the order's id.")
class Invoice:
    id: strawberry.ID
    order_id: strawberry.ID
    amount: Decimal
    status: InvoiceStatus

    @classmethod
    def from_backend(cls, data: dict[str, Any]) -> Invoice:
        return cls(
            id=strawberry.ID(data["id"]),
            order_id=strawberry.ID(data["order_id"]),
            amount=money(data["amount"]),
            status=InvoiceStatus(data["status"]),
        )


async def load_payment(info: Info, payment_id: str) -> Payment:
    data = await ctx(info).call("GET", f"/payments/{seg(payment_id)}")
    return Payment.from_backend(data["payment"])


async def load_invoice(info: Info, invoice_id: str) -> Invoice:
    data = await ctx(info).call("GET", f"/payments/invoices/{seg(invoice_id)}")
    return Invoice.from_backend(data["invoice"])


@strawberry.type
class PaymentsQuery:
    @strawberry.field(description="A payment by id (NOT_FOUND if unknown).")
    async def payment(self, info: Info, id: strawberry.ID) -> Payment:
        require(info, "customer")
        return await load_payment(info, str(id))

    @strawberry.field(description="An invoice by id, which is its order's id (NOT_FOUND if none).")
    async def invoice(self, info: Info, id: strawberry.ID) -> Invoice:
        require(info, "customer")
        return await load_invoice(info, str(id))


@strawberry.input
class AuthorizePaymentInput:
    customer_id: strawberry.ID
    amount: Decimal
    idempotency_key: str | None = None


@strawberry.type
class AuthorizePaymentPayload:
    payment: Payment


@strawberry.input
class PayInvoiceInput:
    invoice_id: strawberry.ID
    idempotency_key: str | None = None


@strawberry.type
class PayInvoicePayload:
    invoice: Invoice


@strawberry.type
class PaymentsMutation:
    @strawberry.mutation(description="Authorize a payment of an amount for a customer.")
    async def authorize_payment(
        self, info: Info, input: AuthorizePaymentInput
    ) -> AuthorizePaymentPayload:
        require_customer(info, input.customer_id)
        body = {"customer_id": str(input.customer_id), "amount": str(input.amount),
                **idempotent(input.idempotency_key)}  # fmt: skip
        created = await ctx(info).call("POST", "/payments", body)
        return AuthorizePaymentPayload(payment=await load_payment(info, created["id"]))

    @strawberry.mutation(description="Pay a pending invoice: its order is then completed.")
    async def pay_invoice(self, info: Info, input: PayInvoiceInput) -> PayInvoicePayload:
        require(info, "customer")
        path = f"/payments/invoices/{seg(input.invoice_id)}/pay"
        await ctx(info).call("PUT", path, idempotent(input.idempotency_key))
        return PayInvoicePayload(invoice=await load_invoice(info, str(input.invoice_id)))
