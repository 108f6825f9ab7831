"""The saga's consumers: OrderCreated starts it, the replies on its channel advance it."""

from __future__ import annotations

from backend.cosec import messages
from backend.cosec.application import CosecService
from backend.depot.messages import REPLY_TOPIC
from backend.ordering import messages as ordering
from backend.platform.consumer import Subscription
from backend.platform.messages import Contract


def _names(contract: Contract, topic: str) -> frozenset[str]:
    return frozenset(t.name for t in contract.types() if t.topic == topic)


def subscriptions(service: CosecService) -> list[Subscription]:
    replies = _names(messages.contract, REPLY_TOPIC)
    return [
        Subscription(
            ordering.ORDER_TOPIC,
            known=_names(ordering.contract, ordering.ORDER_TOPIC),
            handlers={ordering.OrderCreated.message_name: service.start_create_order},
        ),
        Subscription(
            REPLY_TOPIC,
            known=replies,
            handlers=dict.fromkeys(replies, service.handle_reply),
        ),
    ]
