"""A participant's ``prepare`` step runs before its transaction: the place for network calls
(another module read into a cache), so that no transaction stays open across one."""

from __future__ import annotations

from psycopg import pq

from backend.platform.errors import NotFound
from backend.platform.messages import Message, Payload
from backend.platform.module import ModuleContext
from backend.platform.saga import participant
from backend.platform.unit_of_work import UnitOfWork

from .test_saga_participant import command


async def test_prepare_runs_with_no_transaction_open_and_the_handler_in_one(
    context: ModuleContext,
) -> None:
    seen: list[tuple[str, pq.TransactionStatus]] = []

    async def prepare(uow: UnitOfWork, message: Message) -> None:
        seen.append(("prepare", uow.conn.info.transaction_status))  # a network call goes here

    async def handler(uow: UnitOfWork, message: Message) -> Payload | None:
        seen.append(("handler", uow.conn.info.transaction_status))
        return None

    async with context.unit_of_work() as uow:
        await participant(handler, prepare=prepare)(uow, command())
        (reply,) = uow.published
    assert seen == [
        ("prepare", pq.TransactionStatus.IDLE),
        ("handler", pq.TransactionStatus.INTRANS),
    ]
    assert reply.name == "reply.Success"


async def test_a_domain_error_in_prepare_is_a_failure_reply(context: ModuleContext) -> None:
    async def prepare(uow: UnitOfWork, message: Message) -> None:
        raise NotFound("product with id: `p1` does not exist")

    async def handler(uow: UnitOfWork, message: Message) -> Payload | None:
        raise AssertionError("the handler must not run")

    async with context.unit_of_work() as uow:
        await participant(handler, prepare=prepare)(uow, command())
        (reply,) = uow.published
    assert reply.name == "reply.Failure"
    assert reply.payload == {"code": "NOT_FOUND", "error": "product with id: `p1` does not exist"}
