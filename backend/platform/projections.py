"""Read models fed from a module's global event feed, with exactly-once effect.

A projection handles one event at a time (``handle``) or, if it defines
``handle_batch(uow, events)``, a whole batch with set-based SQL, which is what makes rebuilds
of large read models fast.

Each batch runs in one transaction that takes the projection's advisory lock, reads the checkpoint,
reads the feed after it (the no-skip horizon read of ``eventstore``), applies the events and moves
the checkpoint. Runners in several processes and a rebuild from the CLI therefore never apply an
event twice nor skip one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, Protocol

from backend.platform.eventstore import FeedPosition, RecordedEvent
from backend.platform.relay import lease_key
from backend.platform.unit_of_work import UnitOfWork
from observability import hops, tracing

log = logging.getLogger(__name__)


class Projection(Protocol):
    name: str

    async def handle(self, uow: UnitOfWork, event: RecordedEvent) -> None: ...

    async def reset(self, uow: UnitOfWork) -> None:
        """Empty the read model before a rebuild."""
        ...


UnitOfWorkFactory = Callable[[], contextlib.AbstractAsyncContextManager[UnitOfWork]]


class ProjectionRunner:
    def __init__(
        self,
        projection: Projection,
        unit_of_work: UnitOfWorkFactory,
        *,
        batch: int = 1000,
        poll_seconds: float = 0.25,
    ) -> None:
        self.projection = projection
        self.unit_of_work = unit_of_work
        self.batch = batch
        self.poll_seconds = poll_seconds
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        self._wakeup.set()

    async def _lock(self, uow: UnitOfWork) -> None:
        key = lease_key(f"projection:{self.projection.name}", uow.store.schema)
        await uow.execute("SELECT pg_advisory_xact_lock(%s)", (key,))

    async def catch_up_batch(self) -> int:
        """Apply the next batch of events; return how many were applied."""
        async with self.unit_of_work() as uow:
            await self._lock(uow)
            checkpoints = uow.store.table("checkpoints")
            cur = await uow.execute(
                f"SELECT transaction_id::text::bigint, position FROM {checkpoints} WHERE name = %s",
                (self.projection.name,),
            )
            row = await cur.fetchone()
            after = FeedPosition(row[0], row[1]) if row else FeedPosition()
            events = await uow.store.read_feed(uow.conn, after, self.batch)
            handle_batch = getattr(self.projection, "handle_batch", None)
            with hops.projection_batch(uow.store.schema, self.projection.name, events):
                if handle_batch is not None and events:
                    await handle_batch(uow, events)  # set-based projections: one write per batch
                else:
                    for event in events:
                        await self.projection.handle(uow, event)
            if events:
                last = events[-1]
                await uow.execute(
                    f"INSERT INTO {checkpoints} (name, transaction_id, position)"
                    " VALUES (%s, %s::text::xid8, %s) ON CONFLICT (name) DO UPDATE"
                    " SET transaction_id = EXCLUDED.transaction_id, position = EXCLUDED.position",
                    (self.projection.name, last.transaction_id, last.position),
                )
            return len(events)

    async def catch_up(self, progress: Callable[[int], Any] | None = None) -> int:
        total = 0
        while applied := await self.catch_up_batch():
            total += applied
            if progress is not None:
                progress(applied)
        return total

    async def reset(self) -> None:
        async with self.unit_of_work() as uow:
            await self._lock(uow)
            await self.projection.reset(uow)
            await uow.execute(
                f"DELETE FROM {uow.store.table('checkpoints')} WHERE name = %s",
                (self.projection.name,),
            )

    async def run(self) -> None:
        tracing.untraced_task()
        while True:
            try:
                await self.catch_up()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("projection %s failed; retrying in 1 s", self.projection.name)
                await asyncio.sleep(1)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self.poll_seconds)
            self._wakeup.clear()
