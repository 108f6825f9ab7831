"""The ordering module's handler table.

* ``basketsapi.BasketCheckedOut`` creates the pending order, under an id derived from the basket
  id: a redelivered or repeated checkout finds the order there and does nothing (O3).
* ``depotapi.ShoppingListCompleted`` readies the order; ``paymentsapi.InvoicePaid`` completes it
  with the invoice id (O1, P1). A repeat of a step already taken is a no-op; any other refused
  transition fails the delivery. An order that is not there yet (the message overtook the saga's
  approval, or the order's readiness) is ``NotYet``: retried for as long as it takes, never
  dead-lettered; any other refusal is retried with back-off, then dead-lettered.
* The saga commands ``ordersapi.RejectOrder`` / ``ApproveOrder`` reply Success or Failure. Repeats
  succeed without a change, and rejecting an order that is already cancelled succeeds too, so
  that a compensating saga can always finish.
"""

from __future__ import annotations

from backend.baskets import messages as baskets
from backend.depot import messages as depot
from backend.ordering import messages
from backend.ordering.application import OrderingService
from backend.ordering.domain import Order, OrderItem, OrderStatus, order_id_for_basket
from backend.payments import messages as payments
from backend.platform import handlers as table
from backend.platform.consumer import Subscription
from backend.platform.failures import NotYet
from backend.platform.messages import Message, Payload, decode_payload
from backend.platform.saga import participant
from backend.platform.unit_of_work import UnitOfWork


def handlers(service: OrderingService) -> table.HandlerTable:
    async def basket_checked_out(uow: UnitOfWork, message: Message) -> None:
        basket = decode_payload(message, baskets.BasketCheckedOut)
        order_id = order_id_for_basket(basket.id)
        if await service.exists(uow, order_id):
            return
        items = [
            OrderItem(i.product_id, i.store_id, i.store_name, i.product_name, i.price, i.quantity)
            for i in basket.items
        ]
        await service.create(
            uow, order_id, basket.customer_id, basket.payment_id, items, basket.id, message
        )

    async def shopping_list_completed(uow: UnitOfWork, message: Message) -> None:
        completed = decode_payload(message, depot.ShoppingListCompleted)

        def ready(order: Order) -> None:
            if order.status is OrderStatus.PENDING:  # it overtook the saga's approval
                raise NotYet(f"order {order.id} is not approved yet")
            order.ready()

        await service.change(
            uow,
            completed.order_id,
            ready,
            message,
            done=lambda o: o.status in (OrderStatus.READY, OrderStatus.COMPLETED),
        )

    async def invoice_paid(uow: UnitOfWork, message: Message) -> None:
        paid = decode_payload(message, payments.InvoicePaid)

        def complete(order: Order) -> None:
            if order.status in (OrderStatus.PENDING, OrderStatus.APPROVED):
                raise NotYet(f"order {order.id} is not ready yet")
            order.complete(paid.id)

        await service.change(
            uow,
            paid.order_id,
            complete,
            message,
            done=lambda o: o.status is OrderStatus.COMPLETED and o.invoice_id == paid.id,
        )

    async def reject_order(uow: UnitOfWork, command: Message) -> Payload | None:
        """The saga's compensation: it always ends the order. An order approved after the saga
        gave its approval up (the participant answered past the deadline, the shopping list is
        cancelled by then) is cancelled, so the compensation converges instead of failing for
        good."""
        reject = decode_payload(command, messages.RejectOrder)

        def end(order: Order) -> None:
            if order.status is OrderStatus.APPROVED:
                order.cancel()
            else:
                order.reject(reject.reason)

        await service.change(
            uow,
            reject.id,
            end,
            command,
            done=lambda o: o.status in (OrderStatus.REJECTED, OrderStatus.CANCELLED),
        )
        return None

    async def approve_order(uow: UnitOfWork, command: Message) -> Payload | None:
        approve = decode_payload(command, messages.ApproveOrder)
        await service.change(
            uow,
            approve.id,
            lambda o: o.approve(approve.shopping_id),
            command,
            done=lambda o: (
                o.status is OrderStatus.APPROVED and o.shopping_id == approve.shopping_id
            ),
        )
        return None

    command = messages.COMMAND_TOPIC
    return {
        (baskets.BASKET_TOPIC, baskets.BasketCheckedOut.message_name): basket_checked_out,
        (depot.SHOPPING_LIST_TOPIC, depot.ShoppingListCompleted.message_name): (
            shopping_list_completed
        ),
        (payments.INVOICE_TOPIC, payments.InvoicePaid.message_name): invoice_paid,
        (command, messages.RejectOrder.message_name): participant(reject_order),
        (command, messages.ApproveOrder.message_name): participant(approve_order),
    }


def subscriptions(service: OrderingService) -> list[Subscription]:
    return table.subscriptions(
        handlers(service), baskets.contract, depot.contract, payments.contract, messages.contract
    )
