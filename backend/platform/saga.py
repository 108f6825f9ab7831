"""Saga plumbing shared by the orchestrator and its participants: replies and their headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from backend.platform.consumer import Handler
from backend.platform.errors import DomainError
from backend.platform.messages import (
    COMMAND_REPLY_CHANNEL,
    OUTCOME_FAILURE,
    OUTCOME_SUCCESS,
    REPLY_OUTCOME,
    MalformedMessage,
    Message,
    Payload,
    new_message,
)
from backend.platform.services import ServiceUnavailable
from backend.platform.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Success(Payload):
    """The generic reply of a participant whose command succeeded."""

    message_name = "reply.Success"


@dataclass(frozen=True)
class Failure(Payload):
    """The generic reply of a participant whose command failed, with the domain error."""

    message_name = "reply.Failure"
    code: str = ""
    error: str = ""


def reply_to(command: Message, payload: Payload, outcome: str) -> Message:
    """A reply on the command's reply channel; every ``COMMAND_X`` header becomes ``REPLY_X``."""
    channel = command.metadata.get(COMMAND_REPLY_CHANNEL)
    if not channel:
        raise MalformedMessage(f"{command.name} has no {COMMAND_REPLY_CHANNEL} header")
    headers = {
        "REPLY_" + key.removeprefix("COMMAND_"): value
        for key, value in command.metadata.items()
        if key.startswith("COMMAND_") and key != "COMMAND_NAME"
    }
    headers[REPLY_OUTCOME] = outcome
    return new_message(channel, payload, cause=command, metadata=headers)


CommandHandler = Callable[[UnitOfWork, Message], Awaitable[Payload | None]]


def participant(handler: CommandHandler) -> Handler:
    """A saga participant's command handler that always replies.

    The handler runs inside a savepoint: if it raises a domain error, its own writes are undone
    and only the inbox row and the failure reply commit. Otherwise its reply (or ``Success``)
    is published with outcome SUCCESS. Other exceptions fail the delivery, which is retried; so
    does another module being unavailable, which must not fail the saga (and reject an order)
    because of an outage.
    """

    async def handle(uow: UnitOfWork, command: Message) -> None:
        try:
            async with uow.savepoint():
                reply = await handler(uow, command)
        except ServiceUnavailable:
            raise
        except DomainError as exc:
            uow.publish(reply_to(command, Failure(exc.code, str(exc)), OUTCOME_FAILURE))
            return
        uow.publish(reply_to(command, reply or Success(), OUTCOME_SUCCESS))

    return handle
