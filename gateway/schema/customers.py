"""Customers: type, query and mutations (backend module ``customers``)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from gateway import loaders
from gateway.authorization import require
from gateway.errors import not_found
from gateway.schema.common import ctx, idempotent, seg


@strawberry.type
class Customer:
    id: strawberry.ID
    name: str
    sms_number: str
    enabled: bool

    @classmethod
    def from_backend(cls, data: dict[str, Any]) -> Customer:
        return cls(
            id=strawberry.ID(data["id"]),
            name=data["name"],
            sms_number=data["sms_number"],
            enabled=data["enabled"],
        )


async def load_customer(info: Info, customer_id: str) -> Customer:
    data = await ctx(info).call("GET", f"/customers/{seg(customer_id)}")
    return Customer.from_backend(data["customer"])


async def customer_by_loader(info: Info, customer_id: str) -> Customer | None:
    """A referenced customer through the request's DataLoader; None if unknown."""
    found = await loaders.customers(info).load(customer_id)
    return None if found is None else Customer.from_backend(found)


@strawberry.type
class CustomersQuery:
    @strawberry.field(description="A customer by id (NOT_FOUND if unknown).")
    async def customer(self, info: Info, id: strawberry.ID) -> Customer:
        if not require(info, "customer").is_customer(id):
            raise not_found("customer", str(id))
        return await load_customer(info, str(id))


@strawberry.input
class RegisterCustomerInput:
    name: str
    sms_number: str
    idempotency_key: str | None = None


@strawberry.type
class RegisterCustomerPayload:
    customer: Customer


@strawberry.input
class EnableCustomerInput:
    customer_id: strawberry.ID
    idempotency_key: str | None = None


@strawberry.type
class EnableCustomerPayload:
    customer: Customer


@strawberry.input
class DisableCustomerInput:
    customer_id: strawberry.ID
    idempotency_key: str | None = None


@strawberry.type
class DisableCustomerPayload:
    customer: Customer


@strawberry.input
class ChangeCustomerSmsNumberInput:
    customer_id: strawberry.ID
    sms_number: str
    idempotency_key: str | None = None


@strawberry.type
class ChangeCustomerSmsNumberPayload:
    customer: Customer


@strawberry.type
class CustomersMutation:
    @strawberry.mutation(description="Register a customer (enabled).")
    async def register_customer(
        self, info: Info, input: RegisterCustomerInput
    ) -> RegisterCustomerPayload:
        require(info, "customer")
        body = {"name": input.name, "sms_number": input.sms_number,
                **idempotent(input.idempotency_key)}  # fmt: skip
        created = await ctx(info).call("POST", "/customers", body)
        return RegisterCustomerPayload(customer=await load_customer(info, created["id"]))

    @strawberry.mutation(description="Enable a disabled customer.")
    async def enable_customer(
        self, info: Info, input: EnableCustomerInput
    ) -> EnableCustomerPayload:
        require(info, "admin")
        path = f"/customers/{seg(input.customer_id)}"
        await ctx(info).call("PUT", f"{path}/enable", idempotent(input.idempotency_key))
        return EnableCustomerPayload(customer=await load_customer(info, str(input.customer_id)))

    @strawberry.mutation(description="Disable a customer: their new orders are rejected.")
    async def disable_customer(
        self, info: Info, input: DisableCustomerInput
    ) -> DisableCustomerPayload:
        require(info, "admin")
        path = f"/customers/{seg(input.customer_id)}"
        await ctx(info).call("PUT", f"{path}/disable", idempotent(input.idempotency_key))
        return DisableCustomerPayload(customer=await load_customer(info, str(input.customer_id)))

    @strawberry.mutation(description="Change the number a customer is texted at.")
    async def change_customer_sms_number(
        self, info: Info, input: ChangeCustomerSmsNumberInput
    ) -> ChangeCustomerSmsNumberPayload:
        if not require(info, "customer").is_customer(input.customer_id):
            raise not_found("customer", str(input.customer_id))
        body = {"sms_number": input.sms_number, **idempotent(input.idempotency_key)}
        await ctx(info).call("PUT", f"/customers/{seg(input.customer_id)}/change-sms", body)
        customer = await load_customer(info, str(input.customer_id))
        return ChangeCustomerSmsNumberPayload(customer=customer)
