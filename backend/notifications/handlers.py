"""The notifications module's handler table: customer events (the cache), order events (an SMS
logged and requested) and its own SMS requests (sent)."""

from __future__ import annotations

from backend.customers import messages as customers
from backend.notifications import messages
from backend.notifications.application import NotificationsService
from backend.notifications.domain import Kind
from backend.ordering import messages as ordering
from backend.platform.cache import message_version
from backend.platform.consumer import Handler
from backend.platform.handlers import HandlerTable
from backend.platform.messages import Message, Payload, decode_payload
from backend.platform.unit_of_work import UnitOfWork

_ORDER_EVENTS: dict[type[Payload], Kind] = {
    ordering.OrderCreated: Kind.ORDER_CREATED,
    ordering.OrderReadied: Kind.ORDER_READY,
    ordering.OrderCanceled: Kind.ORDER_CANCELED,
    ordering.OrderCompleted: Kind.ORDER_COMPLETED,
}


def handlers(service: NotificationsService) -> HandlerTable:
    async def customer_registered(uow: UnitOfWork, message: Message) -> None:
        event = decode_payload(message, customers.CustomerRegistered)
        values = {"name": event.name, "sms_number": event.sms_number}
        await service.cache_customer(uow, event.id, message_version(message), values)

    async def customer_sms_changed(uow: UnitOfWork, message: Message) -> None:
        event = decode_payload(message, customers.CustomerSmsChanged)
        values = {"sms_number": event.sms_number}
        await service.cache_customer(uow, event.id, message_version(message), values)

    def order_handler(event: type[Payload], kind: Kind) -> Handler:
        async def handle(uow: UnitOfWork, message: Message) -> None:
            payload = decode_payload(message, event)
            await service.notify(uow, kind, payload.id, payload.customer_id, message)

        return handle

    async def sms_requested(uow: UnitOfWork, message: Message) -> None:
        await service.send(decode_payload(message, messages.SmsRequested))

    customer = customers.CUSTOMER_TOPIC
    return {
        (customer, customers.CustomerRegistered.message_name): customer_registered,
        (customer, customers.CustomerSmsChanged.message_name): customer_sms_changed,
        **{
            (ordering.ORDER_TOPIC, event.message_name): order_handler(event, kind)
            for event, kind in _ORDER_EVENTS.items()
        },
        (messages.SMS_TOPIC, messages.SmsRequested.message_name): sms_requested,
    }
