"""The create-order saga: its data and its table of steps (the engine is ``platform.saga``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal

from backend.cosec.messages import SAGA_NAME
from backend.customers import messages as customers
from backend.depot import messages as depot
from backend.ordering import messages as ordering
from backend.payments import messages as payments
from backend.platform.messages import Payload
from backend.platform.saga import Command, SagaDefinition, Step


@dataclass(frozen=True)
class SagaItem:
    product_id: str
    store_id: str
    price: Decimal
    quantity: int


@dataclass(frozen=True)
class CreateOrderData:
    """What the create-order saga knows; ``shopping_id`` arrives with depot's reply."""

    order_id: str
    customer_id: str
    payment_id: str
    shopping_id: str
    items: list[SagaItem]
    total: Decimal

    @classmethod
    def from_order(cls, order: ordering.OrderCreated) -> CreateOrderData:
        items = [SagaItem(i.product_id, i.store_id, i.price, i.quantity) for i in order.items]
        total = sum((i.price * i.quantity for i in items), Decimal(0))
        return cls(order.id, order.customer_id, order.payment_id, order.shopping_id, items, total)


def _shopping_list_created(data: CreateOrderData, reply: Payload) -> CreateOrderData:
    if isinstance(reply, depot.CreatedShoppingListReply):
        return dataclasses.replace(data, shopping_id=reply.id)
    return data


def _reject_order(d: CreateOrderData, failure: str) -> Command:
    return Command(ordering.COMMAND_TOPIC, ordering.RejectOrder(d.order_id, failure))


def _authorize_customer(d: CreateOrderData) -> Command:
    return Command(customers.COMMAND_TOPIC, customers.AuthorizeCustomer(d.customer_id))


def _create_shopping_list(d: CreateOrderData) -> Command:
    items = [depot.ShoppingItem(i.product_id, i.store_id, i.quantity) for i in d.items]
    return Command(depot.COMMAND_TOPIC, depot.CreateShoppingList(d.order_id, items))


def _cancel_shopping_list(d: CreateOrderData, failure: str) -> Command:
    return Command(depot.COMMAND_TOPIC, depot.CancelShoppingList(d.shopping_id))


def _confirm_payment(d: CreateOrderData) -> Command:
    return Command(
        payments.COMMAND_TOPIC,
        payments.ConfirmPayment(d.payment_id, d.total, d.order_id, d.customer_id),
    )


def _initiate_shopping(d: CreateOrderData) -> Command:
    return Command(depot.COMMAND_TOPIC, depot.InitiateShopping(d.shopping_id))


def _approve_order(d: CreateOrderData) -> Command:
    return Command(ordering.COMMAND_TOPIC, ordering.ApproveOrder(d.order_id, d.shopping_id))


CREATE_ORDER_STEPS: tuple[Step[CreateOrderData], ...] = (
    Step(compensation=_reject_order),                                   # 0
    Step(action=_authorize_customer),                                   # 1
    Step(action=_create_shopping_list, compensation=_cancel_shopping_list,
         action_replies={depot.CreatedShoppingListReply.message_name: _shopping_list_created}),
    Step(action=_confirm_payment),                                      # 3
    Step(action=_initiate_shopping),                                    # 4
    Step(action=_approve_order),                                        # 5
)  # fmt: skip

CREATE_ORDER = SagaDefinition(SAGA_NAME, depot.REPLY_TOPIC, CREATE_ORDER_STEPS)
