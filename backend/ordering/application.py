"""Ordering commands and queries.

Every change loads the order (snapshot + tail), applies one transition, and in the same unit of
work appends its events, upserts the ``orders`` read model, and writes the ``ordersapi.*``
integration event and the projection update to the outbox. The consumers in ``handlers`` run the
same changes inside their delivery's unit of work; the HTTP API runs them through
``run_command``. Queries read the read model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backend.ordering import messages
from backend.ordering.domain import (
    ORDER_EVENTS,
    Order,
    OrderApproved,
    OrderCanceled,
    OrderCompleted,
    OrderCreated,
    OrderItem,
    OrderReadied,
    OrderRejected,
)
from backend.platform import codec
from backend.platform.aggregate import DomainEvent, Repository
from backend.platform.auth import current_principal
from backend.platform.cache import with_version
from backend.platform.errors import NotFound
from backend.platform.messages import Message, Payload, new_message, projection_update
from backend.platform.module import ModuleContext
from backend.platform.unit_of_work import UnitOfWork

_VIEW_COLUMNS = (
    "id, customer_id, payment_id, basket_id, invoice_id, shopping_id, items, total, status,"
    " rejection_reason, created_at, updated_at"
)


def _view(names: list[str], row: tuple[Any, ...]) -> dict[str, Any]:
    """A read-model row as the API and the projection updates show it."""
    view = dict(zip(names, row, strict=True))
    view["total"] = str(view["total"])
    return view


def _integration_payload(order: Order, event: DomainEvent) -> Payload:
    match event:
        case OrderCreated():
            items = [
                messages.OrderItem(
                    i.product_id, i.store_id, i.price, i.quantity, i.store_name, i.product_name
                )
                for i in order.items
            ]
            return messages.OrderCreated(order.id, order.customer_id, order.payment_id, "", items)
        case OrderRejected():
            return messages.OrderRejected(order.id, order.customer_id, order.payment_id)
        case OrderApproved(shopping_id=shopping_id):
            return messages.OrderApproved(
                order.id, order.customer_id, order.payment_id, shopping_id
            )
        case OrderReadied():
            return messages.OrderReadied(order.id, order.customer_id, order.payment_id, order.total)
        case OrderCanceled():
            return messages.OrderCanceled(
                order.id, order.customer_id, order.payment_id, order.shopping_id
            )
        case OrderCompleted(invoice_id=invoice_id):
            return messages.OrderCompleted(order.id, order.customer_id, invoice_id)
    raise TypeError(f"no integration event for {type(event).__name__}")


class OrderingService:
    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.orders = Repository(
            ctx.store, Order, ORDER_EVENTS, snapshot_every=ctx.settings.snapshot_every
        )
        self.table = ctx.store.table("orders")

    # --- changes inside a unit of work (used by the consumers and the API) ---

    async def load(self, uow: UnitOfWork, order_id: str) -> Order:
        order = await self.orders.load(uow, order_id)
        if order is None or not current_principal().is_customer(order.customer_id):
            raise NotFound(f"order with id: `{order_id}` does not exist")
        return order

    async def exists(self, uow: UnitOfWork, order_id: str) -> bool:
        return await self.orders.load(uow, order_id) is not None

    async def create(
        self,
        uow: UnitOfWork,
        order_id: str,
        customer_id: str,
        payment_id: str,
        items: list[OrderItem],
        basket_id: str,
        cause: Message | None = None,
    ) -> None:
        order = Order.create(order_id, customer_id, payment_id, items, basket_id)
        await self._save(uow, order, cause)

    async def change(
        self,
        uow: UnitOfWork,
        order_id: str,
        transition: Callable[[Order], None],
        cause: Message | None = None,
        *,
        done: Callable[[Order], bool] | None = None,
    ) -> None:
        """Apply ``transition`` to the order; when ``done(order)`` says it already happened (a
        repeated message), change nothing."""
        order = await self.load(uow, order_id)
        if done is not None and done(order):
            return
        transition(order)
        await self._save(uow, order, cause)

    async def _save(self, uow: UnitOfWork, order: Order, cause: Message | None) -> None:
        events = list(order.pending)
        self.orders.save(uow, order)
        cur = await uow.execute(
            f"INSERT INTO {self.table} (id, customer_id, payment_id, basket_id, invoice_id,"
            " shopping_id, items, total, status, rejection_reason)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s)"
            " ON CONFLICT (id) DO UPDATE SET invoice_id = EXCLUDED.invoice_id,"
            " shopping_id = EXCLUDED.shopping_id, status = EXCLUDED.status,"
            " rejection_reason = EXCLUDED.rejection_reason, updated_at = now()"
            f" RETURNING {_VIEW_COLUMNS}",
            (
                order.id,
                order.customer_id,
                order.payment_id,
                order.basket_id,
                order.invoice_id,
                order.shopping_id,
                codec.dumps(list(order.items)),
                order.total,
                order.status.value,
                order.rejection_reason,
            ),
        )
        row = await cur.fetchone()
        assert row is not None
        view = _view([d.name for d in cur.description or []], row)
        first = order.version - len(events) + 1  # the version after each event
        for version, event in enumerate(events, start=first):
            payload = _integration_payload(order, event)
            uow.publish(
                new_message(
                    messages.ORDER_TOPIC, payload, cause=cause, metadata=with_version(version)
                )
            )
        uow.publish(projection_update(messages.PROJECTION, order.id, view, cause=cause))

    # --- commands of the HTTP API ---

    async def _run(
        self, order_id: str, transition: Callable[[Order], None], key: str | None, what: str
    ) -> Any:
        async def command(uow: UnitOfWork) -> dict[str, Any]:
            await self.change(uow, order_id, transition)
            return {}

        return await self.ctx.run_command(command, idempotency_key=key, scope=f"{what}:{order_id}")

    async def cancel_order(self, order_id: str, key: str | None = None) -> Any:
        return await self._run(order_id, Order.cancel, key, "cancel_order")

    async def ready_order(self, order_id: str, key: str | None = None) -> Any:
        return await self._run(order_id, Order.ready, key, "ready_order")

    async def complete_order(self, order_id: str, invoice_id: str, key: str | None = None) -> Any:
        return await self._run(order_id, lambda o: o.complete(invoice_id), key, "complete_order")

    # --- queries ---

    async def _rows(self, where: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        async with self.ctx.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT {_VIEW_COLUMNS} FROM {self.table} WHERE {where}"
                " ORDER BY created_at DESC, id",
                params,
            )
            names = [d.name for d in cur.description or []]
            return [_view(names, row) for row in await cur.fetchall()]

    async def get_order(self, order_id: str) -> dict[str, Any]:
        rows = await self._rows("id = %s", (order_id,))
        if not rows or not current_principal().is_customer(rows[0]["customer_id"]):
            raise NotFound(f"order with id: `{order_id}` does not exist")
        return rows[0]

    async def customer_orders(self, customer_id: str) -> list[dict[str, Any]]:
        if not current_principal().is_customer(customer_id):
            return []  # as for a customer with no orders: nothing tells them it exists
        return await self._rows("customer_id = %s", (customer_id,))
