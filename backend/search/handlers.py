"""Search's handler table: customers, stores and products (name caches, versioned so that
they converge in any order) and every order event."""

from __future__ import annotations

import datetime as dt

from backend.customers import messages as customers
from backend.ordering import messages as ordering
from backend.platform.cache import caching, message_version
from backend.platform.consumer import Handler
from backend.platform.handlers import HandlerTable
from backend.platform.messages import MalformedMessage, Message, Payload, decode_payload
from backend.platform.unit_of_work import UnitOfWork
from backend.search.application import SearchService
from backend.stores import messages as stores

STATUS_BY_EVENT = {
    ordering.OrderApproved.message_name: "approved",
    ordering.OrderRejected.message_name: "rejected",
    ordering.OrderReadied.message_name: "ready",
    ordering.OrderCanceled.message_name: "cancelled",
    ordering.OrderCompleted.message_name: "completed",
}
"""The status an order event sets (OrderCreated makes the order, ``pending``)."""


def occurred_at(message: Message) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(message.occurred_at)
    except ValueError:
        raise MalformedMessage(f"{message.name}: occurred_at is not an ISO time") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def handlers(service: SearchService) -> HandlerTable:

    async def order_created(uow: UnitOfWork, message: Message) -> None:
        event = decode_payload(message, ordering.OrderCreated)
        await service.order_created(
            uow, event.id, event.customer_id, event.items, occurred_at(message),
            message_version(message) or 0,
        )  # fmt: skip

    def status_handler(payload: type[Payload]) -> Handler:
        status = STATUS_BY_EVENT[payload.message_name]

        async def handle(uow: UnitOfWork, message: Message) -> None:
            event = decode_payload(message, payload)
            await service.status_changed(
                uow, event.id, status, occurred_at(message), message_version(message)
            )

        return handle

    name = lambda e: {"name": e.name}  # noqa: E731
    order = ordering.ORDER_TOPIC
    return {
        # CustomerSmsChanged, CustomerEnabled and CustomerDisabled are not needed by search.
        (customers.CUSTOMER_TOPIC, customers.CustomerRegistered.message_name): caching(
            service.customers, customers.CustomerRegistered, name
        ),
        (stores.STORE_TOPIC, stores.StoreCreated.message_name): caching(
            service.stores, stores.StoreCreated, name
        ),
        (stores.STORE_TOPIC, stores.StoreRebranded.message_name): caching(
            service.stores, stores.StoreRebranded, name
        ),
        # ProductRemoved is ignored on purpose: orders placed before the removal keep showing
        # the product's name. Price changes do not matter: an order carries its own prices.
        (stores.PRODUCT_TOPIC, stores.ProductAdded.message_name): caching(
            service.products,
            stores.ProductAdded,
            lambda e: {"store_id": e.store_id, "name": e.name},
        ),
        (stores.PRODUCT_TOPIC, stores.ProductRebranded.message_name): caching(
            service.products, stores.ProductRebranded, name
        ),
        (order, ordering.OrderCreated.message_name): order_created,
        **{
            (order, payload.message_name): status_handler(payload)
            for payload in (
                ordering.OrderApproved,
                ordering.OrderRejected,
                ordering.OrderReadied,
                ordering.OrderCanceled,
                ordering.OrderCompleted,
            )
        },
    }
