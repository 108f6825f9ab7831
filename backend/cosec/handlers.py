"""The saga's handler table: OrderCreated starts it, the replies on its channel advance it."""

from __future__ import annotations

from backend.cosec import messages
from backend.cosec.application import CosecService
from backend.depot.messages import REPLY_TOPIC
from backend.ordering import messages as ordering
from backend.platform import handlers as table
from backend.platform.consumer import Subscription


def handlers(service: CosecService) -> table.HandlerTable:
    replies = table.names_on(messages.contract, REPLY_TOPIC)
    return {
        (ordering.ORDER_TOPIC, ordering.OrderCreated.message_name): service.start_create_order,
        **{(REPLY_TOPIC, name): service.handle_reply for name in sorted(replies)},
    }


def subscriptions(service: CosecService) -> list[Subscription]:
    return table.subscriptions(handlers(service), ordering.contract, messages.contract)
