"""The notifications module's consumers: customer events (the cache) and order events (SMS)."""

from __future__ import annotations

from backend.customers import messages as customers
from backend.notifications.application import NotificationsService
from backend.notifications.domain import Kind, Recipient
from backend.ordering import messages as ordering
from backend.platform.consumer import Handler, Subscription
from backend.platform.messages import Message, Payload, decode_payload
from backend.platform.unit_of_work import UnitOfWork

_ORDER_EVENTS: dict[type[Payload], Kind] = {
    ordering.OrderCreated: Kind.ORDER_CREATED,
    ordering.OrderReadied: Kind.ORDER_READY,
    ordering.OrderCanceled: Kind.ORDER_CANCELED,
    ordering.OrderCompleted: Kind.ORDER_COMPLETED,
}


def subscriptions(service: NotificationsService) -> list[Subscription]:
    async def customer_registered(uow: UnitOfWork, message: Message) -> None:
        payload = decode_payload(message, customers.CustomerRegistered)
        await service.cache_customer(uow, Recipient(payload.id, payload.name, payload.sms_number))

    async def customer_sms_changed(uow: UnitOfWork, message: Message) -> None:
        payload = decode_payload(message, customers.CustomerSmsChanged)
        await service.change_sms_number(uow, payload.id, payload.sms_number)

    def order_handler(event: type[Payload], kind: Kind) -> Handler:
        async def handle(uow: UnitOfWork, message: Message) -> None:
            payload = decode_payload(message, event)
            await service.notify(uow, kind, payload.id, payload.customer_id)

        return handle

    return [
        Subscription(
            customers.CUSTOMER_TOPIC,
            frozenset(
                t.name for t in customers.contract.types() if t.topic == customers.CUSTOMER_TOPIC
            ),
            {
                customers.CustomerRegistered.message_name: customer_registered,
                customers.CustomerSmsChanged.message_name: customer_sms_changed,
            },
        ),
        Subscription(
            ordering.ORDER_TOPIC,
            frozenset(t.name for t in ordering.contract.types() if t.topic == ordering.ORDER_TOPIC),
            {
                event.message_name: order_handler(event, kind)
                for event, kind in _ORDER_EVENTS.items()
            },
        ),
    ]
