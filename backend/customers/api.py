"""The customers module's HTTP API under /api/customers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from backend.customers.application import CustomersService
from backend.platform.api import Endpoint, Idempotent
from backend.platform.errors import BadRequest

MAX_IDS = 100
"""The most ids one batch read (``?ids=a,b,c``) may list."""


@dataclass(frozen=True)
class RegisterCustomer:
    name: str
    sms_number: str
    idempotency_key: str | None = None


@dataclass(frozen=True)
class ChangeSmsNumber:
    sms_number: str
    idempotency_key: str | None = None


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
        return await service.register(body.name, body.sms_number, body.idempotency_key)

    async def customers_by_ids(request: Request, body: None) -> Any:
        return {"customers": await service.customers_by_ids(batch_ids(request))}

    async def get_customer(request: Request, body: None) -> Any:
        return {"customer": await service.get_customer(request.path_params["id"])}

    async def enable_customer(request: Request, body: Idempotent) -> Any:
        return await service.enable(request.path_params["id"], body.idempotency_key)

    async def disable_customer(request: Request, body: Idempotent) -> Any:
        return await service.disable(request.path_params["id"], body.idempotency_key)

    async def change_sms_number(request: Request, body: ChangeSmsNumber) -> Any:
        return await service.change_sms_number(
            request.path_params["id"], body.sms_number, body.idempotency_key
        )

    return [
        Endpoint("POST", "", register_customer, "Register a customer", RegisterCustomer,
                 status=201),
        Endpoint("GET", "", customers_by_ids,
                 "The customers of ?ids=a,b,c (at most 100; unknown ids are left out)"),
        Endpoint("GET", "/{id}", get_customer, "Get a customer"),
        Endpoint("PUT", "/{id}/enable", enable_customer, "Enable a customer", Idempotent),
        Endpoint("PUT", "/{id}/disable", disable_customer, "Disable a customer", Idempotent),
        Endpoint("PUT", "/{id}/change-sms", change_sms_number, "Change a customer's SMS number",
                 ChangeSmsNumber),
    ]  # fmt: skip
