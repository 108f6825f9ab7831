"""What the depot consumes: the saga's commands, the stores module's events (caches) and
cancelled orders."""

from __future__ import annotations

from backend.depot import messages
from backend.depot.application import DepotService
from backend.depot.domain import ProductInfo, StoreInfo
from backend.ordering import messages as ordering
from backend.platform.consumer import Subscription
from backend.platform.messages import Contract, Message, Payload, decode_payload
from backend.platform.saga import participant
from backend.platform.unit_of_work import UnitOfWork
from backend.stores import messages as stores


def known(contract: Contract, topic: str) -> frozenset[str]:
    """Every message name ``contract`` puts on ``topic``."""
    return frozenset(t.name for t in contract.types() if t.topic == topic)


def subscriptions(service: DepotService) -> list[Subscription]:
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

    async def store_created(uow: UnitOfWork, message: Message) -> None:
        event = decode_payload(message, stores.StoreCreated)
        await service.cache_store(uow, StoreInfo(event.id, event.name, event.location))

    async def store_rebranded(uow: UnitOfWork, message: Message) -> None:
        event = decode_payload(message, stores.StoreRebranded)
        await service.rename_store(uow, event.id, event.name)

    async def product_added(uow: UnitOfWork, message: Message) -> None:
        event = decode_payload(message, stores.ProductAdded)
        await service.cache_product(uow, ProductInfo(event.id, event.store_id, event.name))

    async def product_rebranded(uow: UnitOfWork, message: Message) -> None:
        event = decode_payload(message, stores.ProductRebranded)
        await service.rename_product(uow, event.id, event.name)

    async def product_removed(uow: UnitOfWork, message: Message) -> None:
        event = decode_payload(message, stores.ProductRemoved)
        await service.forget_product(uow, event.id)

    async def order_canceled(uow: UnitOfWork, message: Message) -> None:
        event = decode_payload(message, ordering.OrderCanceled)
        await service.order_canceled(uow, event.shopping_id, message)

    return [
        Subscription(
            messages.COMMAND_TOPIC,
            known(messages.contract, messages.COMMAND_TOPIC),
            {
                messages.CreateShoppingList.message_name: participant(create_shopping_list),
                messages.CancelShoppingList.message_name: participant(cancel_shopping_list),
                messages.InitiateShopping.message_name: participant(initiate_shopping),
            },
        ),
        Subscription(
            stores.STORE_TOPIC,
            known(stores.contract, stores.STORE_TOPIC),
            {
                stores.StoreCreated.message_name: store_created,
                stores.StoreRebranded.message_name: store_rebranded,
            },
        ),
        Subscription(
            stores.PRODUCT_TOPIC,
            known(stores.contract, stores.PRODUCT_TOPIC),
            {
                stores.ProductAdded.message_name: product_added,
                stores.ProductRebranded.message_name: product_rebranded,
                stores.ProductRemoved.message_name: product_removed,
            },
        ),
        Subscription(
            ordering.ORDER_TOPIC,
            known(ordering.contract, ordering.ORDER_TOPIC),
            {ordering.OrderCanceled.message_name: order_canceled},
        ),
    ]
