"""The ordering module's consumers.

* ``basketsapi.BasketCheckedOut`` creates the pending order, under an id derived from the basket
  id: a redelivered or repeated checkout finds the order there and does nothing (O3).
* ``depotapi.ShoppingListCompleted`` readies the order; ``paymentsapi.InvoicePaid`` completes it
  with the invoice id (O1, P1). A repeat of a step already taken is a no-op; any other refused
  transition fails the delivery, which is retried with back-off (the message may have overtaken
  the saga's approval) and dead-lettered if it keeps failing.
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
from backend.platform.consumer import Handler, Subscription
from backend.platform.messages import Contract, Message, Payload, decode_payload
from backend.platform.saga import participant
from backend.platform.unit_of_work import UnitOfWork


def _known(contract: Contract, topic: str) -> frozenset[str]:
    return frozenset(t.name for t in contract.types() if t.topic == topic)


def subscriptions(service: OrderingService) -> list[Subscription]:
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
        await service.change(
            uow,
            completed.order_id,
            Order.ready,
            message,
            done=lambda o: o.status in (OrderStatus.READY, OrderStatus.COMPLETED),
        )

    async def invoice_paid(uow: UnitOfWork, message: Message) -> None:
        paid = decode_payload(message, payments.InvoicePaid)
        await service.change(
            uow,
            paid.order_id,
            lambda o: o.complete(paid.id),
            message,
            done=lambda o: o.status is OrderStatus.COMPLETED and o.invoice_id == paid.id,
        )

    async def reject_order(uow: UnitOfWork, command: Message) -> Payload | None:
        reject = decode_payload(command, messages.RejectOrder)
        await service.change(
            uow,
            reject.id,
            Order.reject,
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

    basket_handlers: dict[str, Handler] = {
        baskets.BasketCheckedOut.message_name: basket_checked_out
    }
    depot_handlers: dict[str, Handler] = {
        depot.ShoppingListCompleted.message_name: shopping_list_completed
    }
    invoice_handlers: dict[str, Handler] = {payments.InvoicePaid.message_name: invoice_paid}
    command_handlers: dict[str, Handler] = {
        messages.RejectOrder.message_name: participant(reject_order),
        messages.ApproveOrder.message_name: participant(approve_order),
    }
    return [
        Subscription(
            baskets.BASKET_TOPIC, _known(baskets.contract, baskets.BASKET_TOPIC), basket_handlers
        ),
        Subscription(
            depot.SHOPPING_LIST_TOPIC,
            _known(depot.contract, depot.SHOPPING_LIST_TOPIC),
            depot_handlers,
        ),
        Subscription(
            payments.INVOICE_TOPIC,
            _known(payments.contract, payments.INVOICE_TOPIC),
            invoice_handlers,
        ),
        Subscription(
            messages.COMMAND_TOPIC,
            _known(messages.contract, messages.COMMAND_TOPIC),
            command_handlers,
        ),
    ]
