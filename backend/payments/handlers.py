"""The payments module's handler table: order events (invoices) and the saga's ConfirmPayment."""

from __future__ import annotations

from backend.ordering import messages as ordering
from backend.payments import messages
from backend.payments.application import PaymentsService
from backend.platform import handlers as table
from backend.platform.consumer import Subscription
from backend.platform.messages import Message, decode_payload
from backend.platform.saga import participant
from backend.platform.unit_of_work import UnitOfWork


def handlers(service: PaymentsService) -> table.HandlerTable:
    async def order_readied(uow: UnitOfWork, message: Message) -> None:
        payload = decode_payload(message, ordering.OrderReadied)
        await service.create_invoice(uow, payload.id, payload.total, payload.customer_id)

    async def order_canceled(uow: UnitOfWork, message: Message) -> None:
        payload = decode_payload(message, ordering.OrderCanceled)
        await service.cancel_invoice(uow, payload.id)

    async def confirm_payment(uow: UnitOfWork, command: Message) -> None:
        payload = decode_payload(command, messages.ConfirmPayment)
        await service.confirm_payment(
            uow, payload.id, payload.amount, payload.order_id, payload.customer_id
        )

    order = ordering.ORDER_TOPIC
    return {
        (order, ordering.OrderReadied.message_name): order_readied,
        (order, ordering.OrderCanceled.message_name): order_canceled,
        (messages.COMMAND_TOPIC, messages.ConfirmPayment.message_name): participant(
            confirm_payment
        ),
    }


def subscriptions(service: PaymentsService) -> list[Subscription]:
    return table.subscriptions(handlers(service), ordering.contract, messages.contract)
