"""The customers module's handler table: the saga's AuthorizeCustomer command."""

from __future__ import annotations

from backend.customers import messages
from backend.customers.application import CustomersService
from backend.platform import handlers as table
from backend.platform.consumer import Subscription
from backend.platform.messages import Message, decode_payload
from backend.platform.saga import participant
from backend.platform.unit_of_work import UnitOfWork


def handlers(service: CustomersService) -> table.HandlerTable:
    async def authorize_customer(uow: UnitOfWork, command: Message) -> None:
        payload = decode_payload(command, messages.AuthorizeCustomer)
        await service.authorize(uow, payload.id)

    return {
        (messages.COMMAND_TOPIC, messages.AuthorizeCustomer.message_name): participant(
            authorize_customer
        )
    }


def subscriptions(service: CustomersService) -> list[Subscription]:
    return table.subscriptions(handlers(service), messages.contract)
