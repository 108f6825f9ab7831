"""Running the create-order saga: start it on OrderCreated, advance it on each reply.

The saga row, the inbox row (written by the consumer) and the outgoing command (outbox) change in
one unit of work. A reply locks its saga's row (``FOR UPDATE``), so two deliveries handled at the
same time by different processes advance it one after the other.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from backend.cosec import messages
from backend.cosec.domain import (
    CREATE_ORDER,
    CreateOrderData,
    HistoryEntry,
    Reply,
    SagaState,
    Transition,
    command_headers,
    on_reply,
    reply_outcome,
    reply_saga_id,
    start,
)
from backend.ordering.messages import OrderCreated
from backend.platform import codec
from backend.platform.errors import NotFound
from backend.platform.messages import MalformedMessage, Message, decode_payload, new_message
from backend.platform.module import ModuleContext
from backend.platform.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

_COLUMNS = "id, name, step, done, compensating, data, history"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class CosecService:
    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.sagas = ctx.store.table("sagas")

    async def start_create_order(self, uow: UnitOfWork, message: Message) -> None:
        """Start the saga of a new order; a repeated OrderCreated for the same order is ignored."""
        order: OrderCreated = decode_payload(message, OrderCreated)
        transition = start(CREATE_ORDER, order.id, CreateOrderData.from_order(order), _now())
        state = transition.state
        cur = await uow.execute(
            f"INSERT INTO {self.sagas} (id, name, data, step, done, compensating, history)"
            " VALUES (%s, %s, %s::jsonb, %s, %s, %s, %s::jsonb)"
            " ON CONFLICT (id, name) DO NOTHING RETURNING 1",
            (state.id, state.name, *_columns(state)),
        )
        if await cur.fetchone() is None:
            log.info(
                "saga %s %s already started; OrderCreated %s ignored",
                state.name,
                state.id,
                message.id,
            )
            return
        self._send(uow, transition, message)

    async def handle_reply(self, uow: UnitOfWork, message: Message) -> None:
        """Advance the saga a reply belongs to; replies for no saga of ours are ignored."""
        saga_id = reply_saga_id(CREATE_ORDER, message.metadata)
        if saga_id is None:
            log.info(
                "reply %s %s is for no %s saga; ignored",
                message.name,
                message.id,
                CREATE_ORDER.name,
            )
            return
        outcome = reply_outcome(message.metadata)
        reply_type = messages.contract.get(message.name)
        if reply_type is None:
            raise MalformedMessage(f"{message.name} is not a reply of the {CREATE_ORDER.name} saga")
        reply = Reply(message.name, outcome, decode_payload(message, reply_type.payload))
        cur = await uow.execute(
            f"SELECT {_COLUMNS} FROM {self.sagas} WHERE id = %s AND name = %s FOR UPDATE",
            (saga_id, CREATE_ORDER.name),
        )
        row = await cur.fetchone()
        if row is None:
            log.warning(
                "reply %s %s is for unknown saga %s; ignored", message.name, message.id, saga_id
            )
            return
        transition = on_reply(CREATE_ORDER, _state(row), reply, _now())
        if transition is None:
            log.info(
                "reply %s %s arrived after saga %s was done; ignored",
                message.name,
                message.id,
                saga_id,
            )
            return
        state = transition.state
        await uow.execute(
            f"UPDATE {self.sagas} SET data = %s::jsonb, step = %s, done = %s, compensating = %s,"
            " history = %s::jsonb, updated_at = now() WHERE id = %s AND name = %s",
            (*_columns(state), state.id, state.name),
        )
        self._send(uow, transition, message)

    def _send(
        self, uow: UnitOfWork, transition: Transition[CreateOrderData], cause: Message
    ) -> None:
        command = transition.command
        if command is None:
            return
        headers = command_headers(CREATE_ORDER, transition.state.id)
        uow.publish(new_message(command.topic, command.payload, cause=cause, metadata=headers))

    async def get_saga(self, saga_id: str) -> dict[str, Any]:
        async with self.ctx.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT {_COLUMNS} FROM {self.sagas} WHERE id = %s AND name = %s",
                (saga_id, CREATE_ORDER.name),
            )
            row = await cur.fetchone()
        if row is None:
            raise NotFound(f"saga with id: `{saga_id}` does not exist")
        names = _COLUMNS.split(", ")
        return dict(zip(names, row, strict=True))


def _columns(state: SagaState[CreateOrderData]) -> tuple[Any, ...]:
    """data, step, done, compensating, history: as the table stores them."""
    return (
        codec.dumps(codec.to_plain(state.data)),
        state.step,
        state.done,
        state.compensating,
        codec.dumps(codec.to_plain(state.history)),
    )


def _state(row: tuple[Any, ...]) -> SagaState[CreateOrderData]:
    saga_id, name, step, done, compensating, data, history = row
    return SagaState(
        id=saga_id,
        name=name,
        data=codec.from_plain(CreateOrderData, data),
        step=step,
        done=done,
        compensating=compensating,
        history=tuple(codec.from_plain(HistoryEntry, entry) for entry in history),
    )
