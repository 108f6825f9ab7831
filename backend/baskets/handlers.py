"""The baskets module's consumers: the stores and products caches, fed by the stores topics.

Every write is an upsert or a guarded update, so that the cache converges on the stores module's
state whatever the interleaving with the read-through fall-back in ``application``.
"""

from __future__ import annotations

from decimal import Decimal

from backend.platform.consumer import Handler, Subscription
from backend.platform.messages import Message, decode_payload
from backend.platform.unit_of_work import UnitOfWork
from backend.stores import messages as stores


def _known(topic: str) -> frozenset[str]:
    return frozenset(t.name for t in stores.contract.types() if t.topic == topic)


async def store_created(uow: UnitOfWork, message: Message) -> None:
    event = decode_payload(message, stores.StoreCreated)
    await uow.execute(
        f"INSERT INTO {uow.store.table('stores_cache')} (id, name) VALUES (%s, %s)"
        " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, updated_at = now()",
        (event.id, event.name),
    )


async def store_participation_toggled(uow: UnitOfWork, message: Message) -> None:
    event = decode_payload(message, stores.StoreParticipationToggled)
    await uow.execute(
        f"UPDATE {uow.store.table('stores_cache')} SET participating = %s, updated_at = now()"
        " WHERE id = %s",
        (event.participating, event.id),
    )


async def store_rebranded(uow: UnitOfWork, message: Message) -> None:
    event = decode_payload(message, stores.StoreRebranded)
    await uow.execute(
        f"UPDATE {uow.store.table('stores_cache')} SET name = %s, updated_at = now() WHERE id = %s",
        (event.name, event.id),
    )


async def product_added(uow: UnitOfWork, message: Message) -> None:
    event = decode_payload(message, stores.ProductAdded)
    await uow.execute(
        f"INSERT INTO {uow.store.table('products_cache')} (id, store_id, name, price)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET store_id = EXCLUDED.store_id,"
        " name = EXCLUDED.name, price = EXCLUDED.price, updated_at = now()",
        (event.id, event.store_id, event.name, event.price),
    )


async def product_rebranded(uow: UnitOfWork, message: Message) -> None:
    event = decode_payload(message, stores.ProductRebranded)
    await uow.execute(
        f"UPDATE {uow.store.table('products_cache')} SET name = %s, updated_at = now()"
        " WHERE id = %s",
        (event.name, event.id),
    )


async def product_price_increased(uow: UnitOfWork, message: Message) -> None:
    event = decode_payload(message, stores.ProductPriceIncreased)
    await _set_price(uow, event.id, event.price)


async def product_price_decreased(uow: UnitOfWork, message: Message) -> None:
    event = decode_payload(message, stores.ProductPriceDecreased)
    await _set_price(uow, event.id, event.price)


async def _set_price(uow: UnitOfWork, product_id: str, price: Decimal) -> None:
    await uow.execute(
        f"UPDATE {uow.store.table('products_cache')} SET price = %s, updated_at = now()"
        " WHERE id = %s",
        (price, product_id),
    )


async def product_removed(uow: UnitOfWork, message: Message) -> None:
    """Leave a tombstone: a fall-back read racing with the removal cannot bring it back."""
    event = decode_payload(message, stores.ProductRemoved)
    await uow.execute(
        f"INSERT INTO {uow.store.table('products_cache')} (id, store_id, name, price, removed)"
        " VALUES (%s, '', '', 0, true) ON CONFLICT (id) DO UPDATE SET removed = true,"
        " updated_at = now()",
        (event.id,),
    )


def subscriptions() -> list[Subscription]:
    store_handlers: dict[str, Handler] = {
        stores.StoreCreated.message_name: store_created,
        stores.StoreParticipationToggled.message_name: store_participation_toggled,
        stores.StoreRebranded.message_name: store_rebranded,
    }
    product_handlers: dict[str, Handler] = {
        stores.ProductAdded.message_name: product_added,
        stores.ProductRebranded.message_name: product_rebranded,
        stores.ProductPriceIncreased.message_name: product_price_increased,
        stores.ProductPriceDecreased.message_name: product_price_decreased,
        stores.ProductRemoved.message_name: product_removed,
    }
    return [
        Subscription(stores.STORE_TOPIC, _known(stores.STORE_TOPIC), store_handlers),
        Subscription(stores.PRODUCT_TOPIC, _known(stores.PRODUCT_TOPIC), product_handlers),
    ]
