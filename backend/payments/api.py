"""The payments module's HTTP API under /api/payments."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from starlette.requests import Request

from backend.payments.application import PaymentsService
from backend.platform.api import Endpoint, Idempotent
from backend.platform.validation import Id, IdempotencyKey


@dataclass(frozen=True)
class AuthorizePayment:
    customer_id: Id
    amount: Decimal  # the domain's money rules (check_money)
    idempotency_key: IdempotencyKey | None = None


def endpoints(service: PaymentsService) -> list[Endpoint]:
    async def authorize_payment(request: Request, body: AuthorizePayment) -> Any:
        return await service.authorize_payment(body.customer_id, body.amount, body.idempotency_key)

    async def get_payment(request: Request, body: None) -> Any:
        return {"payment": await service.get_payment(request.path_params["id"])}

    async def pay_invoice(request: Request, body: Idempotent) -> Any:
        return await service.pay_invoice(request.path_params["id"], body.idempotency_key)

    async def get_invoice(request: Request, body: None) -> Any:
        return {"invoice": await service.get_invoice(request.path_params["id"])}

    return [
        Endpoint("POST", "", authorize_payment, "Authorize a payment", AuthorizePayment,
                 status=201),
        Endpoint("GET", "/invoices/{id}", get_invoice, "Get an invoice (id = order id)"),
        Endpoint("PUT", "/invoices/{id}/pay", pay_invoice, "Pay a pending invoice", Idempotent),
        Endpoint("GET", "/{id}", get_payment, "Get a payment"),
    ]  # fmt: skip
