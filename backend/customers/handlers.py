"""The customers module's consumers: the saga's AuthorizeCustomer command."""

from __future__ import annotations

from backend.customers import messages
from backend.customers.application import CustomersService
from backend.platform.consumer import Subscription
from backend.platform.messages import Message, decode_payload
from backend.platform.saga import participant
from backend.platform.unit_of_work import UnitOfWork


def subscriptions(service: CustomersService) -> list[Subscription]:
    @participant
    async def authorize_customer(uow: UnitOfWork, command: Message) -> None:
        payload = decode_payload(command, messages.AuthorizeCustomer)
        await service.authorize(uow, payload.id)

    known = frozenset(
        t.name for t in messages.contract.types() if t.topic == messages.COMMAND_TOPIC
    )
    return [
        Subscription(
            messages.COMMAND_TOPIC,
            known,
            {messages.AuthorizeCustomer.message_name: authorize_customer},
        )
    ]
