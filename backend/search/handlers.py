"""What search consumes: customers, stores and products (name caches) and every order event."""

from __future__ import annotations

import datetime as dt

from backend.customers import messages as customers
from backend.ordering import messages as ordering
from backend.platform.consumer import Handler, Subscription
from backend.platform.messages import (
    Contract,
    MalformedMessage,
    Message,
    Payload,
    decode_payload,
)
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


def known(contract: Contract, topic: str) -> frozenset[str]:
    """Every message name ``contract`` puts on ``topic``."""
    return frozenset(t.name for t in contract.types() if t.topic == topic)


def occurred_at(message: Message) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(message.occurred_at)
    except ValueError:
        raise MalformedMessage(f"{message.name}: occurred_at is not an ISO time") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def subscriptions(service: SearchService) -> list[Subscription]:
    async def customer_registered(uow: UnitOfWork, message: Message) -> None:
        event = decode_payload(message, customers.CustomerRegistered)
        await service.cache_customer(uow, event.id, event.name)

    async def store_created(uow: UnitOfWork, message: Message) -> None:
        event = decode_payload(message, stores.StoreCreated)
        await service.cache_store(uow, event.id, event.name)

    async def store_rebranded(uow: UnitOfWork, message: Message) -> None:
        event = decode_payload(message, stores.StoreRebranded)
        await service.rename_store(uow, event.id, event.name)

    async def product_added(uow: UnitOfWork, message: Message) -> None:
        event = decode_payload(message, stores.ProductAdded)
        await service.cache_product(uow, event.id, event.store_id, event.name)

    async def product_rebranded(uow: UnitOfWork, message: Message) -> None:
        event = decode_payload(message, stores.ProductRebranded)
        await service.rename_product(uow, event.id, event.name)

    async def order_created(uow: UnitOfWork, message: Message) -> None:
        event = decode_payload(message, ordering.OrderCreated)
        await service.order_created(
            uow, event.id, event.customer_id, event.items, occurred_at(message)
        )

    def status_handler(payload: type[Payload]) -> Handler:
        status = STATUS_BY_EVENT[payload.message_name]

        async def handle(uow: UnitOfWork, message: Message) -> None:
            event = decode_payload(message, payload)
            await service.status_changed(uow, event.id, status, occurred_at(message))

        return handle

    order_handlers: dict[str, Handler] = {
        ordering.OrderCreated.message_name: order_created,
    }
    for payload in (
        ordering.OrderApproved,
        ordering.OrderRejected,
        ordering.OrderReadied,
        ordering.OrderCanceled,
        ordering.OrderCompleted,
    ):
        order_handlers[payload.message_name] = status_handler(payload)

    return [
        # CustomerSmsChanged, CustomerEnabled and CustomerDisabled are not needed by search.
        Subscription(
            customers.CUSTOMER_TOPIC,
            known(customers.contract, customers.CUSTOMER_TOPIC),
            {customers.CustomerRegistered.message_name: customer_registered},
        ),
        Subscription(
            stores.STORE_TOPIC,
            known(stores.contract, stores.STORE_TOPIC),
            {
                stores.StoreCreated.message_name: store_created,
                stores.StoreRebranded.message_name: store_rebranded,
            },
        ),
        # ProductRemoved is ignored on purpose: orders placed before the removal keep showing
        # the product's name. Price changes do not matter: an order carries its own prices.
        Subscription(
            stores.PRODUCT_TOPIC,
            known(stores.contract, stores.PRODUCT_TOPIC),
            {
                stores.ProductAdded.message_name: product_added,
                stores.ProductRebranded.message_name: product_rebranded,
            },
        ),
        Subscription(
            ordering.ORDER_TOPIC, known(ordering.contract, ordering.ORDER_TOPIC), order_handlers
        ),
    ]
