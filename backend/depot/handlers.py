"""The depot's handler table: the saga's commands, the stores module's events (caches,
versioned so that they converge in any order) and cancelled orders."""

from __future__ import annotations

from backend.depot import messages
from backend.depot.application import DepotService
from backend.ordering import messages as ordering
from backend.platform.cache import caching
from backend.platform.handlers import HandlerTable
from backend.platform.messages import Message, Payload, decode_payload
from backend.platform.saga import participant
from backend.platform.unit_of_work import UnitOfWork
from backend.stores import messages as stores


def handlers(service: DepotService) -> HandlerTable:
    async def warm(uow: UnitOfWork, message: Message) -> None:
        command = decode_payload(message, messages.CreateShoppingList)
        await service.warm(uow, command.items)

    async def create_shopping_list(uow: UnitOfWork, message: Message) -> Payload:
        command = decode_payload(message, messages.CreateShoppingList)
        list_id = await service.create_list(uow, command.order_id, command.items, message)
        return messages.CreatedShoppingListReply(list_id)

    async def cancel_shopping_list(uow: UnitOfWork, message: Message) -> None:
        command = decode_payload(message, messages.CancelShoppingList)
        await service.cancel_for_saga(uow, command.id, message)

    async def initiate_shopping(uow: UnitOfWork, message: Message) -> None:
        command = decode_payload(message, messages.InitiateShopping)
        await service.initiate(uow, command.id, message)

    async def order_canceled(uow: UnitOfWork, message: Message) -> None:
        event = decode_payload(message, ordering.OrderCanceled)
        await service.order_canceled(uow, event.shopping_id, message)

    command, store, product = messages.COMMAND_TOPIC, stores.STORE_TOPIC, stores.PRODUCT_TOPIC
    return {
        (command, messages.CreateShoppingList.message_name): participant(
            create_shopping_list, prepare=warm
        ),
        (command, messages.CancelShoppingList.message_name): participant(cancel_shopping_list),
        (command, messages.InitiateShopping.message_name): participant(initiate_shopping),
        (store, stores.StoreCreated.message_name): caching(
            service.stores, stores.StoreCreated, lambda e: {"name": e.name, "location": e.location}
        ),
        (store, stores.StoreRebranded.message_name): caching(
            service.stores, stores.StoreRebranded, lambda e: {"name": e.name}
        ),
        (product, stores.ProductAdded.message_name): caching(
            service.products,
            stores.ProductAdded,
            lambda e: {"store_id": e.store_id, "name": e.name, "removed": False},
        ),
        (product, stores.ProductRebranded.message_name): caching(
            service.products, stores.ProductRebranded, lambda e: {"name": e.name}
        ),
        (product, stores.ProductRemoved.message_name): caching(
            service.products, stores.ProductRemoved, lambda e: {"removed": True}
        ),
        (ordering.ORDER_TOPIC, ordering.OrderCanceled.message_name): order_canceled,
    }
