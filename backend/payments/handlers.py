"""The payments module's consumers: order events (invoices) and the saga's ConfirmPayment."""

from __future__ import annotations

from backend.ordering import messages as ordering
from backend.payments import messages
from backend.payments.application import PaymentsService
from backend.platform.consumer import Subscription
from backend.platform.messages import Message, decode_payload
from backend.platform.saga import participant
from backend.platform.unit_of_work import UnitOfWork


def subscriptions(service: PaymentsService) -> list[Subscription]:
    async def order_readied(uow: UnitOfWork, message: Message) -> None:
        payload = decode_payload(message, ordering.OrderReadied)
        await service.create_invoice(uow, payload.id, payload.total, payload.customer_id)

    async def order_canceled(uow: UnitOfWork, message: Message) -> None:
        payload = decode_payload(message, ordering.OrderCanceled)
        await service.cancel_invoice(uow, payload.id)

    @participant
    async def confirm_payment(uow: UnitOfWork, command: Message) -> None:
        payload = decode_payload(command, messages.ConfirmPayment)
        await service.confirm_payment(
            uow, payload.id, payload.amount, payload.order_id, payload.customer_id
        )

    order_names = frozenset(
        t.name for t in ordering.contract.types() if t.topic == ordering.ORDER_TOPIC
    )
    command_names = frozenset(
        t.name for t in messages.contract.types() if t.topic == messages.COMMAND_TOPIC
    )
    return [
        Subscription(
            ordering.ORDER_TOPIC,
            order_names,
            {
                ordering.OrderReadied.message_name: order_readied,
                ordering.OrderCanceled.message_name: order_canceled,
            },
        ),
        Subscription(
            messages.COMMAND_TOPIC,
            command_names,
            {messages.ConfirmPayment.message_name: confirm_payment},
        ),
    ]
