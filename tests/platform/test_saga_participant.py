"""Saga participants: a domain error becomes a failure reply with the handler's writes undone;
an unavailable module fails the delivery instead (it is retried, the saga is not failed)."""

from __future__ import annotations

import pytest

from backend.platform.consumer import Handler
from backend.platform.errors import BadRequest
from backend.platform.messages import (
    COMMAND_REPLY_CHANNEL,
    COMMAND_SAGA_ID,
    COMMAND_SAGA_NAME,
    OUTCOME_FAILURE,
    REPLY_OUTCOME,
    Message,
    new_message,
)
from backend.platform.module import ModuleContext
from backend.platform.saga import participant
from backend.platform.services import ServiceUnavailable
from backend.platform.unit_of_work import UnitOfWork
from tests.support.counter import CounterIncremented

HEADERS = {COMMAND_REPLY_CHANNEL: "test.replies", COMMAND_SAGA_ID: "s1", COMMAND_SAGA_NAME: "t"}


def command() -> Message:
    return new_message("test.commands", CounterIncremented("c", 1), metadata=HEADERS)


async def effects(ctx: ModuleContext) -> int:
    async with ctx.pool.connection() as conn:
        cur = await conn.execute(f"SELECT count(*) FROM {ctx.store.table('effects')}")
        row = await cur.fetchone()
        assert row is not None
        return int(row[0])


def write_then(error: Exception) -> Handler:
    """A participant whose handler writes an effect, then fails with ``error``."""

    async def handler(uow: UnitOfWork, message: Message) -> None:
        await uow.execute(
            f"INSERT INTO {uow.store.table('effects')} VALUES (%s, 'c', 1)", (message.id,)
        )
        raise error

    return participant(handler)


async def test_a_domain_error_replies_failure_and_undoes_the_handlers_writes(
    context: ModuleContext,
) -> None:
    handle = write_then(BadRequest("the counter cannot be counted"))
    async with context.unit_of_work() as uow:
        await handle(uow, command())
        (reply,) = uow.published
    assert reply.subject == "test.replies"
    assert reply.name == "reply.Failure"
    assert reply.metadata[REPLY_OUTCOME] == OUTCOME_FAILURE
    assert reply.metadata["REPLY_SAGA_ID"] == "s1"
    assert reply.payload == {"code": "BAD_REQUEST", "error": "the counter cannot be counted"}
    assert await effects(context) == 0


async def test_an_unavailable_module_fails_the_delivery_instead_of_the_saga(
    context: ModuleContext,
) -> None:
    handle = write_then(ServiceUnavailable("the stores module is unavailable"))
    with pytest.raises(ServiceUnavailable):
        async with context.unit_of_work() as uow:
            await handle(uow, command())
    assert uow.published == ()
    assert await effects(context) == 0
