"""Customers commands and queries. Each command loads the customer's row (locked), applies the
domain rule, writes the row and the integration events in one unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from backend.customers import messages
from backend.customers.domain import (
    Customer,
    CustomerDisabled,
    CustomerEnabled,
    CustomerRegistered,
    CustomerSmsChanged,
)
from backend.platform.aggregate import DomainEvent
from backend.platform.auth import current_principal
from backend.platform.cache import with_version
from backend.platform.errors import Conflict, NotFound
from backend.platform.messages import Payload, new_message
from backend.platform.module import ModuleContext
from backend.platform.unit_of_work import UnitOfWork

_COLUMNS = "id, name, sms_number, enabled"


def not_found(customer_id: str) -> NotFound:
    return NotFound(f"customer with id: `{customer_id}` does not exist")


def _integration_event(customer: Customer, event: DomainEvent) -> Payload:
    match event:
        case CustomerRegistered(name=name, sms_number=sms_number):
            return messages.CustomerRegistered(customer.id, name, sms_number)
        case CustomerEnabled():
            return messages.CustomerEnabled(customer.id)
        case CustomerDisabled():
            return messages.CustomerDisabled(customer.id)
        case CustomerSmsChanged(sms_number=sms_number):
            return messages.CustomerSmsChanged(customer.id, sms_number)
    raise TypeError(f"no integration event for {event!r}")


def _view(row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(("id", "name", "sms_number", "enabled"), row, strict=True))


class CustomersService:
    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.table = ctx.store.table("customers")

    def _publish(self, uow: UnitOfWork, customer: Customer, version: int) -> None:
        """The pending events as integration events; ``version`` is the row's after them."""
        first = version - len(customer.pending) + 1
        uow.publish(
            *(
                new_message(
                    messages.CUSTOMER_TOPIC,
                    _integration_event(customer, e),
                    metadata=with_version(first + n),
                )
                for n, e in enumerate(customer.pending)
            )
        )
        customer.pending = []

    async def load(self, uow: UnitOfWork, customer_id: str) -> Customer:
        """The customer, its row locked until the unit of work ends; NotFound if unknown."""
        cur = await uow.execute(
            f"SELECT {_COLUMNS} FROM {self.table} WHERE id = %s FOR UPDATE", (customer_id,)
        )
        row = await cur.fetchone()
        if row is None or not current_principal().is_customer(customer_id):
            raise not_found(customer_id)
        return Customer(*row)

    # --- commands ---

    async def register(
        self, name: str, sms_number: str, key: str | None = None, customer_id: str | None = None
    ) -> Any:
        """A new customer; ``customer_id`` is given when a signed-in user registers themselves
        (their id comes from their token), otherwise a new one is made."""
        customer_id = customer_id or str(uuid.uuid4())

        async def command(uow: UnitOfWork) -> dict[str, str]:
            customer = Customer.register(customer_id, name, sms_number)
            cur = await uow.execute(
                f"INSERT INTO {self.table} ({_COLUMNS}, version) VALUES (%s, %s, %s, %s, %s)"
                " ON CONFLICT (id) DO NOTHING",
                (customer.id, customer.name, customer.sms_number, customer.enabled,
                 len(customer.pending)),
            )  # fmt: skip
            if cur.rowcount == 0:
                raise Conflict("the customer is already registered")
            self._publish(uow, customer, len(customer.pending))
            return {"id": customer_id}

        return await self.ctx.run_command(command, idempotency_key=key, scope="register_customer")

    async def _change(
        self,
        customer_id: str,
        change: Callable[[Customer], None],
        key: str | None,
        what: str,
    ) -> Any:
        async def command(uow: UnitOfWork) -> dict[str, Any]:
            customer = await self.load(uow, customer_id)
            change(customer)
            if customer.pending:
                cur = await uow.execute(
                    f"UPDATE {self.table} SET sms_number = %s, enabled = %s, updated_at = now(),"
                    " version = version + %s WHERE id = %s RETURNING version",
                    (customer.sms_number, customer.enabled, len(customer.pending), customer.id),
                )
                row = await cur.fetchone()
                assert row is not None  # the row is locked by load()
                self._publish(uow, customer, row[0])
            return {}

        return await self.ctx.run_command(
            command, idempotency_key=key, scope=f"{what}:{customer_id}"
        )

    async def enable(self, customer_id: str, key: str | None = None) -> Any:
        return await self._change(customer_id, Customer.enable, key, "enable_customer")

    async def disable(self, customer_id: str, key: str | None = None) -> Any:
        return await self._change(customer_id, Customer.disable, key, "disable_customer")

    async def change_sms_number(
        self, customer_id: str, sms_number: str, key: str | None = None
    ) -> Any:
        return await self._change(
            customer_id, lambda c: c.change_sms_number(sms_number), key, "change_sms_number"
        )

    async def authorize(self, uow: UnitOfWork, customer_id: str) -> None:
        """The saga's AuthorizeCustomer: NotFound if unknown, Unauthorized if disabled."""
        customer = await self.load(uow, customer_id)
        customer.authorize()

    # --- queries ---

    async def get_customer(self, customer_id: str) -> dict[str, Any]:
        async with self.ctx.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT {_COLUMNS} FROM {self.table} WHERE id = %s", (customer_id,)
            )
            row = await cur.fetchone()
        if row is None or not current_principal().is_customer(customer_id):
            raise not_found(customer_id)
        return _view(row)

    async def list_customers(self, limit: int) -> list[dict[str, Any]]:
        """The first ``limit`` customers by name."""
        async with self.ctx.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT {_COLUMNS} FROM {self.table} ORDER BY name, id LIMIT %s", (limit,)
            )
            return [_view(row) for row in await cur.fetchall()]

    async def customers_by_ids(self, customer_ids: list[str]) -> list[dict[str, Any]]:
        """The customers among ``customer_ids`` (unknown ids left out), by name."""
        async with self.ctx.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT {_COLUMNS} FROM {self.table} WHERE id = ANY(%s) ORDER BY name, id",
                (customer_ids,),
            )
            rows = await cur.fetchall()
        who = current_principal()
        return [_view(row) for row in rows if who.is_customer(row[0])]
