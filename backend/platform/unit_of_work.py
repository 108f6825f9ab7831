"""A unit of work: everything one command or one message delivery writes, committed together.

Reads run on the connection as it is. The first write begins a transaction. Appends to the event
store and outbox messages are held back until commit, so that a command that only appends events
(the common case) commits in one round trip: one prepared statement in autocommit mode inserts
the events, moves the stream version and writes the outbox rows atomically. Callbacks registered
with ``after_commit`` run once the data is durable, e.g. to wake the outbox relay.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from backend.platform.eventstore import EventStore, NewEvent
from backend.platform.messages import Message

AfterCommit = Callable[[], Awaitable[None] | None]


@dataclass
class _PendingAppend:
    stream_type: str
    stream_id: str
    expected_version: int
    events: Sequence[NewEvent]
    metadata: Mapping[str, Any] | None


class UnitOfWork:
    def __init__(self, conn: psycopg.AsyncConnection[Any], store: EventStore) -> None:
        self.conn = conn
        self.store = store
        self._in_transaction = False
        self._appends: list[_PendingAppend] = []
        self._outbox: list[Message] = []
        self._handled: list[tuple[Message, str]] = []
        self._after_commit: list[AfterCommit] = []

    async def begin(self) -> None:
        if not self._in_transaction:
            await self.conn.execute("BEGIN")
            self._in_transaction = True

    async def execute(self, query: str, params: Any = None) -> psycopg.AsyncCursor[Any]:
        """Run a write (or a locking read) inside this unit's transaction."""
        await self.begin()
        return await self.conn.execute(query, params, prepare=True)

    def append(
        self,
        stream_type: str,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self._appends.append(
            _PendingAppend(stream_type, stream_id, expected_version, events, metadata)
        )

    def mark_handled(self, message: Message, topic: str) -> None:
        """Record ``message`` in the inbox when this unit commits (a concurrent duplicate then
        fails the commit with a unique violation).

        Held back, like appends, so that the transaction's first write (which fixes its
        transaction id, and so its place in the global feed) comes after the handler loaded
        its aggregates: a transaction id taken before the load could order a stream's next
        version before the version it was built on.
        """
        self._handled.append((message, topic))

    def publish(self, *messages: Message) -> None:
        self._outbox.extend(messages)

    def after_commit(self, callback: AfterCommit) -> None:
        self._after_commit.append(callback)

    @contextlib.asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """Undo, on an exception, the writes made inside the block (SQL, held-back appends,
        outbox messages) while the rest of the unit of work stays."""
        await self.execute("SAVEPOINT unit_of_work")
        marks = (len(self._appends), len(self._outbox), len(self._after_commit))
        try:
            yield
        except BaseException:
            await self.conn.execute("ROLLBACK TO SAVEPOINT unit_of_work")
            del self._appends[marks[0] :]
            del self._outbox[marks[1] :]
            del self._after_commit[marks[2] :]
            raise
        await self.conn.execute("RELEASE SAVEPOINT unit_of_work")

    @property
    def published(self) -> Sequence[Message]:
        return tuple(self._outbox)

    async def commit(self) -> None:
        """Write what was held back and commit; raises ``ConcurrencyError`` on a version clash."""
        if len(self._appends) > 1 or self._handled:
            await self.begin()
        try:
            for message, topic in self._handled:
                await self.conn.execute(
                    f"INSERT INTO {self.store.table('inbox')} (message_id, topic, name)"
                    " VALUES (%s, %s, %s)",
                    (message.id, topic, message.name),
                    prepare=True,
                )
            outbox = self._outbox
            for pending in self._appends:
                await self.store.append(
                    self.conn,
                    pending.stream_type,
                    pending.stream_id,
                    pending.expected_version,
                    pending.events,
                    outbox=outbox,
                    metadata=pending.metadata,
                )
                outbox = []
            if outbox:
                await self.store.publish(self.conn, outbox)
            if self._in_transaction:
                await self.conn.execute("COMMIT")
                self._in_transaction = False
        except BaseException:
            await self.rollback()
            raise
        for callback in self._after_commit:
            result = callback()
            if result is not None:
                await result

    async def rollback(self) -> None:
        if self._in_transaction:
            self._in_transaction = False
            if not self.conn.closed:
                await self.conn.execute("ROLLBACK")
