"""Subscriptions fed by the backend's projection update streams, through the gateway's hub.

Every payload carries a ``cursor``: the Redis stream id of the update in its projection's stream.
A cursor of one subscription is valid as ``after`` for any other subscription on the same
projection (``customerOrdersUpdated`` and ``orderUpdated`` share the ``orders`` projection).

- Without ``after``, the first payload is the current state fetched from the backend, with the
  stream's last id read *before* the fetch as its cursor; live updates follow.
- With ``after``, every update missed since that cursor comes first (in order, once), then live
  updates. A cursor trimmed away is ``CURSOR_EXPIRED``; a malformed one is ``BAD_REQUEST``.
- An unknown id is ``NOT_FOUND`` (checked through the backend).

Every payload is a whole new state. The state fetched for a first payload may already include
changes whose updates the backend's outbox relay had not yet appended to the stream when its
cursor was read: those updates then follow it, so applying payloads in order always ends at the
newest state, and nothing after the cursor is ever missed.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Annotated, TypeVar, cast

import strawberry
from strawberry.types import Info

from backend.baskets.messages import PROJECTION as BASKETS
from backend.depot.messages import PROJECTION as SHOPPING_LISTS
from backend.ordering.messages import PROJECTION as ORDERS
from backend.stores.messages import PROJECTION as CATALOG
from gateway import live, telemetry
from gateway.authorization import require, require_customer
from gateway.errors import graphql_error
from gateway.hub import Predicate, SubscriptionHub, Update, parse_cursor
from gateway.schema.baskets import Basket
from gateway.schema.common import ctx, seg
from gateway.schema.depot import ShoppingList
from gateway.schema.ordering import Order
from gateway.schema.stores import Product

T = TypeVar("T")

After = Annotated[
    str | None,
    strawberry.argument(
        description="A cursor received earlier: the updates after it come first, then live ones"
        " (CURSOR_EXPIRED once the stream no longer keeps them). Without it, the current state"
        " comes first."
    ),
]

AVAILABLE = "available"
PENDING = "pending"


@strawberry.type(description="The new state of an order.")
class OrderUpdate:
    order: Order
    cursor: str = strawberry.field(description="Pass as `after` to resume after this update.")


@strawberry.type(
    description="A customer's orders: all of them first (`snapshot`), then each order that changed."
)
class CustomerOrdersUpdate:
    customer_id: strawberry.ID
    snapshot: bool = strawberry.field(
        description="True: `orders` is the whole list, newest first; false: the changed order."
    )
    orders: list[Order]
    cursor: str = strawberry.field(description="Pass as `after` to resume after this update.")


@strawberry.type(description="The new state of a basket.")
class BasketUpdate:
    basket: Basket
    cursor: str = strawberry.field(description="Pass as `after` to resume after this update.")


@strawberry.type(
    description="A store's catalog: all of its products first (`snapshot`), then each change."
)
class CatalogUpdate:
    store_id: strawberry.ID
    snapshot: bool = strawberry.field(
        description="True: `products` is the whole catalog; false: one product changed."
    )
    products: list[Product] = strawberry.field(
        description="The products added or changed (all of them in a snapshot)."
    )
    removed_product_ids: list[strawberry.ID] = strawberry.field(
        description="The products removed from the catalog."
    )
    cursor: str = strawberry.field(description="Pass as `after` to resume after this update.")


@strawberry.type(
    description="The shopping lists available to bots: all of them first (`snapshot`), then"
    " each list whose availability changed: AVAILABLE means it is available now, any other"
    " status that it no longer is."
)
class AvailableShoppingListsUpdate:
    snapshot: bool
    shopping_lists: list[ShoppingList]
    cursor: str = strawberry.field(description="Pass as `after` to resume after this update.")


def _hub(info: Info) -> SubscriptionHub:
    hub = ctx(info).hub
    if hub is None:
        raise graphql_error("subscriptions are not available", "SUBSCRIPTIONS_UNAVAILABLE")
    return cast(SubscriptionHub, hub)


async def follow(
    info: Info,
    projection: str,
    *,
    after: str | None,
    snapshot: Callable[[str], Awaitable[T]],
    exists: Callable[[], Awaitable[object]],
    convert: Callable[[Update], T],
    key: str | None = None,
    predicate: Predicate | None = None,
) -> AsyncGenerator[T, None]:
    """The current state (or what was missed after ``after``), then live updates.

    The subscriber is registered before the stream is read, so every update after the snapshot's
    cursor (or the last replayed one) reaches its buffer; the hub skips those already delivered.
    On WebSocket transports the live updates are sent by :func:`gateway.live.deliver` (rendered
    once per operation); otherwise (SSE) they are yielded to Strawberry one by one.
    """
    hub = _hub(info)
    if after is not None:
        parse_cursor(after)
        await exists()
    async with (
        hub.subscribe(projection, key=key, predicate=predicate) as subscriber,
        telemetry.active_subscription(info.field_name, live.transport()),
    ):
        if after is None:
            ctx(info).start_payload()
            yield await snapshot(await subscriber.start_at_end())
        else:
            async for update in subscriber.replay(after):
                ctx(info).start_payload()
                yield convert(update)
        sink = live.current_sink()
        if sink is not None:
            await live.deliver(sink, subscriber, convert, info.schema, ctx(info).check_session)
            return
        async for update in subscriber:
            ctx(info).start_payload()
            yield convert(update)


def _order_update(update: Update) -> OrderUpdate:
    return OrderUpdate(order=Order.from_backend(dict(update.state)), cursor=update.cursor)


def _catalog_update(update: Update) -> CatalogUpdate:
    state = dict(update.state)
    removed = bool(state.pop("removed", False))
    return CatalogUpdate(
        store_id=strawberry.ID(update.key),
        snapshot=False,
        products=[] if removed else [Product.from_backend(state)],
        removed_product_ids=[strawberry.ID(str(state["id"]))] if removed else [],
        cursor=update.cursor,
    )


async def _always() -> None:
    """The check of a subscription that names no entity: nothing can be unknown."""


def _is_of_customer(customer_id: str) -> Predicate:
    return lambda update: str(update.state.get("customer_id")) == customer_id


def _availability_may_change(update: Update) -> bool:
    """Every list update but a pending list's (a pending list was never available)."""
    return update.state.get("status") != PENDING


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="An order's current state, then each change (PENDING → APPROVED → …)."
    )
    def order_updated(
        self, info: Info, order_id: strawberry.ID, after: After = None
    ) -> AsyncGenerator[OrderUpdate, None]:
        require(info, "customer")
        path = f"/ordering/{seg(order_id)}"

        async def snapshot(cursor: str) -> OrderUpdate:
            data = await ctx(info).call("GET", path)
            return OrderUpdate(order=Order.from_backend(data["order"]), cursor=cursor)

        return follow(
            info,
            ORDERS,
            key=str(order_id),
            after=after,
            exists=lambda: ctx(info).call("GET", path),
            snapshot=snapshot,
            convert=_order_update,
        )

    @strawberry.subscription(description="A customer's orders, then each order that changes.")
    def customer_orders_updated(
        self, info: Info, customer_id: strawberry.ID, after: After = None
    ) -> AsyncGenerator[CustomerOrdersUpdate, None]:
        require_customer(info, customer_id)
        customer = str(customer_id)

        async def snapshot(cursor: str) -> CustomerOrdersUpdate:
            await ctx(info).call("GET", f"/customers/{seg(customer)}")
            data = await ctx(info).call("GET", "/ordering", customer_id=customer)
            orders = [Order.from_backend(o) for o in data["orders"]]
            return CustomerOrdersUpdate(
                customer_id=customer_id, snapshot=True, orders=orders, cursor=cursor
            )

        def convert(update: Update) -> CustomerOrdersUpdate:
            order = Order.from_backend(dict(update.state))
            return CustomerOrdersUpdate(
                customer_id=customer_id, snapshot=False, orders=[order], cursor=update.cursor
            )

        return follow(
            info,
            ORDERS,
            predicate=_is_of_customer(customer),
            after=after,
            exists=lambda: ctx(info).call("GET", f"/customers/{seg(customer)}"),
            snapshot=snapshot,
            convert=convert,
        )

    @strawberry.subscription(description="A basket's current state, then each change.")
    def basket_updated(
        self, info: Info, basket_id: strawberry.ID, after: After = None
    ) -> AsyncGenerator[BasketUpdate, None]:
        require(info, "customer")
        path = f"/baskets/{seg(basket_id)}"

        async def snapshot(cursor: str) -> BasketUpdate:
            data = await ctx(info).call("GET", path)
            return BasketUpdate(basket=Basket.from_backend(data["basket"]), cursor=cursor)

        def convert(update: Update) -> BasketUpdate:
            return BasketUpdate(
                basket=Basket.from_backend(dict(update.state)), cursor=update.cursor
            )

        return follow(
            info,
            BASKETS,
            key=str(basket_id),
            after=after,
            exists=lambda: ctx(info).call("GET", path),
            snapshot=snapshot,
            convert=convert,
        )

    @strawberry.subscription(description="A store's catalog, then each product change.")
    def catalog_updated(
        self, info: Info, store_id: strawberry.ID, after: After = None
    ) -> AsyncGenerator[CatalogUpdate, None]:
        path = f"/stores/{seg(store_id)}/products"

        async def snapshot(cursor: str) -> CatalogUpdate:
            data = await ctx(info).call("GET", path)
            products = [Product.from_backend(p) for p in data["products"]]
            return CatalogUpdate(
                store_id=store_id,
                snapshot=True,
                products=products,
                removed_product_ids=[],
                cursor=cursor,
            )

        return follow(
            info,
            CATALOG,
            key=str(store_id),
            after=after,
            exists=lambda: ctx(info).call("GET", f"/stores/{seg(store_id)}"),
            snapshot=snapshot,
            convert=_catalog_update,
        )

    @strawberry.subscription(
        description="The shopping lists available to bots, then each change of availability."
    )
    def available_shopping_lists_updated(
        self, info: Info, after: After = None
    ) -> AsyncGenerator[AvailableShoppingListsUpdate, None]:
        require(info, "bot")

        async def snapshot(cursor: str) -> AvailableShoppingListsUpdate:
            data = await ctx(info).call("GET", "/depot/shopping/available")
            lists = [ShoppingList.from_backend(s) for s in data["shopping_lists"]]
            return AvailableShoppingListsUpdate(snapshot=True, shopping_lists=lists, cursor=cursor)

        def convert(update: Update) -> AvailableShoppingListsUpdate:
            shopping_list = ShoppingList.from_backend(dict(update.state))
            return AvailableShoppingListsUpdate(
                snapshot=False, shopping_lists=[shopping_list], cursor=update.cursor
            )

        return follow(
            info,
            SHOPPING_LISTS,
            predicate=_availability_may_change,
            after=after,
            exists=_always,
            snapshot=snapshot,
            convert=convert,
        )
