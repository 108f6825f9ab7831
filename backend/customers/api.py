"""The customers module's HTTP API under /api/customers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from backend.customers.application import CustomersService
from backend.platform.api import Endpoint, Idempotent
from backend.platform.auth import require_role
from backend.platform.errors import BadRequest, Forbidden
from backend.platform.validation import IdempotencyKey

MAX_IDS = 100
"""The most ids one batch read (``?ids=a,b,c``) may list."""


@dataclass(frozen=True)
class RegisterCustomer:
    name: str  # the domain's limits (200 characters, an SMS number's digits)
    sms_number: str
    idempotency_key: IdempotencyKey | None = None


@dataclass(frozen=True)
class ChangeSmsNumber:
    sms_number: str
    idempotency_key: IdempotencyKey | None = None


def batch_ids(request: Request) -> list[str]:
    """The ``ids`` query parameter as a list; BadRequest if absent, empty or too long."""
    raw = request.query_params.get("ids")
    ids = list(dict.fromkeys(i.strip() for i in (raw or "").split(",") if i.strip()))
    if not ids:
        raise BadRequest("ids is required: ?ids=a,b,c")
    if len(ids) > MAX_IDS:
        raise BadRequest(f"ids cannot list more than {MAX_IDS} ids")
    return ids


def endpoints(service: CustomersService) -> list[Endpoint]:
    async def register_customer(request: Request, body: RegisterCustomer) -> Any:
        who = require_role("customer")
        if who.role == "customer" and who.customer_id is None:
            raise Forbidden("your token names no customer id")
        own_id = who.customer_id if who.role == "customer" else None
        return await service.register(body.name, body.sms_number, body.idempotency_key, own_id)

    async def customers_by_ids(request: Request, body: None) -> Any:
        if "ids" not in request.query_params:  # the whole list is for admins
            require_role("admin")
            return {"customers": await service.list_customers(MAX_IDS)}
        return {"customers": await service.customers_by_ids(batch_ids(request))}

    async def get_customer(request: Request, body: None) -> Any:
        return {"customer": await service.get_customer(request.path_params["id"])}

    async def enable_customer(request: Request, body: Idempotent) -> Any:
        require_role("admin")
        return await service.enable(request.path_params["id"], body.idempotency_key)

    async def disable_customer(request: Request, body: Idempotent) -> Any:
        require_role("admin")
        return await service.disable(request.path_params["id"], body.idempotency_key)

    async def change_sms_number(request: Request, body: ChangeSmsNumber) -> Any:
        return await service.change_sms_number(
            request.path_params["id"], body.sms_number, body.idempotency_key
        )

    return [
        Endpoint("POST", "", register_customer, "Register a customer", RegisterCustomer,
                 status=201),
        Endpoint("GET", "", customers_by_ids,
                 "The customers of ?ids=a,b,c (at most 100; unknown ids are left out);"
                 " without ids, the first 100 (admins only)"),
        Endpoint("GET", "/{id}", get_customer, "Get a customer"),
        Endpoint("PUT", "/{id}/enable", enable_customer, "Enable a customer", Idempotent),
        Endpoint("PUT", "/{id}/disable", disable_customer, "Disable a customer", Idempotent),
        Endpoint("PUT", "/{id}/change-sms", change_sms_number, "Change a customer's SMS number",
                 ChangeSmsNumber),
    ]  # fmt: skip
