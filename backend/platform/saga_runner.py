"""Running a saga definition on a table: start it, advance it on replies, and wake it when a
participant stays silent (re-send, then compensate past the step's deadline).

The saga's row, the inbox row of the message that moved it (written by the consumer) and the
command it sends (outbox) change in one unit of work. A reply locks its saga's row
(``FOR UPDATE``), so two deliveries handled at the same time by different processes advance it
one after the other; the timer skips rows locked by a reply (``SKIP LOCKED``).

The table is the module's (a migration creates it):
``(id, name, data jsonb, step, done, compensating, history jsonb, created_at, updated_at)`` with
primary key ``(id, name)``. ``updated_at`` is when the saga last sent a command.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Generic, TypeVar

import psycopg

from backend.platform import codec
from backend.platform.failures import is_transient
from backend.platform.messages import (
    Contract,
    MalformedMessage,
    Message,
    decode_payload,
    new_message,
)
from backend.platform.saga import (
    HistoryEntry,
    Reply,
    SagaDefinition,
    SagaState,
    Transition,
    command_headers,
    mismatch,
    on_reply,
    on_timer,
    reply_saga_id,
    start,
)
from backend.platform.streams import NOTHING_HANDLED
from backend.platform.unit_of_work import UnitOfWork
from observability import hops

log = logging.getLogger(__name__)

D = TypeVar("D")

COLUMNS = ("id", "name", "step", "done", "compensating", "data", "history", "updated_at")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SagaRunner(Generic[D]):
    def __init__(
        self,
        definition: SagaDefinition[D],
        data_type: type[D],
        table: str,
        replies: Contract,
        clock: Callable[[], dt.datetime] = now,
    ) -> None:
        self.definition = definition
        self.data_type = data_type
        self.table = table
        self.replies = replies
        self.clock = clock
        self._select = f"SELECT {', '.join(COLUMNS)} FROM {table}"

    async def start(self, uow: UnitOfWork, saga_id: str, data: D, cause: Message) -> bool:
        """Start an instance and send its first command; False if it exists already."""
        transition = start(self.definition, saga_id, data, self.clock())
        state = transition.state
        cur = await uow.execute(
            f"INSERT INTO {self.table} (id, name, data, step, done, compensating, history,"
            " updated_at) VALUES (%s, %s, %s::jsonb, %s, %s, %s, %s::jsonb, %s)"
            " ON CONFLICT (id, name) DO NOTHING RETURNING 1",
            (state.id, state.name, *self._columns(state), self.clock()),
        )
        if await cur.fetchone() is None:
            return False
        self._send(uow, transition, cause)
        return True

    async def handle_reply(self, uow: UnitOfWork, message: Message) -> None:
        """Advance the saga a reply belongs to; replies for no saga of ours, or for another
        step or command than the one in flight, are ignored (and logged)."""
        saga_id = reply_saga_id(self.definition, message.metadata)
        if saga_id is None:
            log.info(
                "reply %s %s is for no %s saga; ignored",
                message.name,
                message.id,
                self.definition.name,
            )
            return
        reply_type = self.replies.get(message.name)
        if reply_type is None:
            raise MalformedMessage(
                f"{message.name} is not a reply of the {self.definition.name} saga"
            )
        reply = Reply.of(message, decode_payload(message, reply_type.payload))
        state = await self._load(uow, saga_id, lock="FOR UPDATE")
        if state is None:
            log.warning(
                "reply %s %s is for unknown saga %s; ignored", message.name, message.id, saga_id
            )
            return
        if reason := mismatch(state, reply):
            log.info(
                "reply %s %s to saga %s ignored: %s", message.name, message.id, saga_id, reason
            )
            return
        transition = on_reply(self.definition, state, reply, self.clock())
        assert transition is not None  # it matched
        await self._save(uow, transition.state)
        self._send(uow, transition, message)

    async def wake(
        self, uow: UnitOfWork, saga_id: str, replies_handled_until: dt.datetime | None = None
    ) -> bool:
        """Re-send or time out the saga's command in flight if it is due; True if it was.
        ``replies_handled_until``: see :func:`~backend.platform.saga.on_timer`."""
        state = await self._load(uow, saga_id, lock="FOR UPDATE SKIP LOCKED")
        if state is None:
            return False
        before = state.pending
        transition = on_timer(self.definition, state, self.clock(), replies_handled_until)
        if transition.state == state:
            return False
        if before is not None and transition.state.pending is not None:
            if transition.state.pending.command_id == before.command_id:
                log.warning(
                    "saga %s %s: no reply to %s for %s; sent again",
                    state.name,
                    state.id,
                    before.command,
                    self.definition.resend_after,
                )
        else:
            log.warning(
                "saga %s %s: step %s (%s) unanswered past its deadline; compensating",
                state.name,
                state.id,
                state.step,
                before.command if before else "",
            )
        await self._save(uow, transition.state)
        self._send(uow, transition, None)
        return True

    async def stuck(self, conn: psycopg.AsyncConnection[Any], limit: int = 100) -> list[str]:
        """Ids of unfinished sagas whose command in flight has waited past ``resend_after``."""
        return [state.id for state, _ in await self.waiting(conn, stuck=True, limit=limit)]

    async def waiting(
        self, conn: psycopg.AsyncConnection[Any], *, stuck: bool, limit: int = 100
    ) -> list[tuple[SagaState[D], dt.datetime]]:
        """Unfinished sagas, longest waiting first, with when they last sent a command; only
        those waiting past ``resend_after`` when ``stuck``."""
        before = self.clock() - self.definition.resend_after if stuck else self.clock()
        cur = await conn.execute(
            f"{self._select} WHERE name = %s AND NOT done AND updated_at <= %s"
            " ORDER BY updated_at LIMIT %s",
            (self.definition.name, before, limit),
        )
        return [(self._state(row), row[-1]) for row in await cur.fetchall()]

    async def watch(
        self,
        unit_of_work: Callable[[], AbstractAsyncContextManager[UnitOfWork]],
        pool_connection: Callable[[], AbstractAsyncContextManager[psycopg.AsyncConnection[Any]]],
        interval: float,
        replies_handled_until: Callable[[], Awaitable[dt.datetime]] | None = None,
    ) -> None:
        """Until cancelled: every ``interval`` seconds, wake the sagas that wait too long. An
        outage is retried at the next round; a saga that cannot be woken is logged and left for
        the next round too, without stopping the timer for the others.

        ``replies_handled_until`` tells, each round, up to when the reply channel has been
        read: a deadline is not decided on replies still unread (after an outage of this
        module, its timer would otherwise compensate steps whose replies wait in the stream)."""
        while True:
            await asyncio.sleep(interval)
            try:
                async with pool_connection() as conn:
                    due = await self.stuck(conn)
                handled = await self._replies_handled(replies_handled_until) if due else None
                for saga_id in due:
                    try:
                        async with unit_of_work() as uow:
                            await self.wake(uow, saga_id, handled)
                    except Exception as exc:
                        if is_transient(exc):
                            raise
                        log.exception("saga timer %s: saga %s", self.definition.name, saga_id)
            except Exception as exc:
                if not is_transient(exc):
                    raise
                log.warning("saga timer %s: %s; retrying", self.definition.name, exc)

    async def _replies_handled(
        self, replies_handled_until: Callable[[], Awaitable[dt.datetime]] | None
    ) -> dt.datetime | None:
        """Up to when the replies are read; when that cannot be told (Redis down, the stream
        gone), no reply counts as read: this round decides no deadline, only re-sends."""
        if replies_handled_until is None:
            return None
        try:
            return await replies_handled_until()
        except Exception as exc:
            log.warning("saga timer %s: replies not checked (%s); no deadline decided",
                        self.definition.name, exc)  # fmt: skip
            return NOTHING_HANDLED

    async def get(self, conn: psycopg.AsyncConnection[Any], saga_id: str) -> dict[str, Any] | None:
        cur = await conn.execute(
            f"{self._select} WHERE id = %s AND name = %s", (saga_id, self.definition.name)
        )
        row = await cur.fetchone()
        return None if row is None else dict(zip(COLUMNS, row, strict=True))

    async def _load(self, uow: UnitOfWork, saga_id: str, lock: str) -> SagaState[D] | None:
        cur = await uow.execute(
            f"{self._select} WHERE id = %s AND name = %s {lock}", (saga_id, self.definition.name)
        )
        row = await cur.fetchone()
        return None if row is None else self._state(row)

    async def _save(self, uow: UnitOfWork, state: SagaState[D]) -> None:
        await uow.execute(
            f"UPDATE {self.table} SET data = %s::jsonb, step = %s, done = %s, compensating = %s,"
            " history = %s::jsonb, updated_at = %s WHERE id = %s AND name = %s",
            (*self._columns(state), self.clock(), state.id, state.name),
        )

    def _send(self, uow: UnitOfWork, transition: Transition[D], cause: Message | None) -> None:
        """Publish the transition's command; its message id is the command id in the history,
        so that a re-sent command is the same message (participants drop the repeat)."""
        with hops.saga_step(transition):
            command, state = transition.command, transition.state
            if command is None or state.pending is None:
                return
            headers = command_headers(self.definition, state)
            if cause is None:
                headers["correlation_id"] = state.id
            message = new_message(command.topic, command.payload, cause=cause, metadata=headers)
            uow.publish(dataclasses.replace(message, id=state.pending.command_id))

    def _columns(self, state: SagaState[D]) -> tuple[Any, ...]:
        """data, step, done, compensating, history: as the table stores them."""
        return (
            codec.dumps(codec.to_plain(state.data)),
            state.step,
            state.done,
            state.compensating,
            codec.dumps(codec.to_plain(state.history)),
        )

    def _state(self, row: tuple[Any, ...]) -> SagaState[D]:
        saga_id, name, step, done, compensating, data, history, _ = row
        return SagaState(
            id=saga_id,
            name=name,
            data=codec.from_plain(self.data_type, data),
            step=step,
            done=done,
            compensating=compensating,
            history=tuple(codec.from_plain(HistoryEntry, entry) for entry in history),
        )
