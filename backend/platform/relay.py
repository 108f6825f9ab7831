"""The outbox relay: moves committed outbox rows of one module schema to Redis Streams.

One relay per schema is active at a time (the leader holds a session-level advisory lock on a
connection of its own; if its process dies the lock goes with the connection and a standby takes
over), so rows are published in commit order of each aggregate and two replicas never interleave.
Rows are published with pipelined ``XADD`` and deleted only after Redis answered: a crash between
the two publishes them again, and consumers drop the duplicate through their inbox.

The relay wakes at once when a command of this process commits (``wake``), when another process
sends ``NOTIFY mallbots_outbox, '<schema>'`` after its commit, and otherwise every
``poll_seconds`` as a fallback, since a post-commit wake-up is lost if the writer crashes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from typing import Any

import psycopg
import redis.asyncio as aioredis
from psycopg import sql

from backend.platform import faults
from backend.platform.consumer import cancelling
from backend.platform.messages import ENVELOPE_FIELD, PROJECTION_TOPIC_PREFIX
from observability import hops, tracing

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "mallbots_outbox"


def lease_key(purpose: str, schema: str) -> int:
    digest = hashlib.sha256(f"{purpose}:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class OutboxRelay:
    def __init__(
        self,
        database_url: str,
        redis: aioredis.Redis,
        schema: str,
        *,
        batch: int = 500,
        poll_seconds: float = 0.25,
        projection_maxlen: int = 10_000,
    ) -> None:
        self.database_url = database_url
        self.redis = redis
        self.schema = schema
        self.batch = batch
        self.poll_seconds = poll_seconds
        self.projection_maxlen = projection_maxlen
        self.is_leader = False
        self._wakeup = asyncio.Event()
        self._s = sql.Identifier(schema).as_string()

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self) -> None:
        """Run until cancelled: wait for the lease, then relay; reconnect after failures."""
        tracing.untraced_task()
        while True:
            try:
                await self._run_once()
            except asyncio.CancelledError:
                raise
            except (psycopg.Error, OSError, aioredis.RedisError) as exc:
                if cancelling():
                    raise asyncio.CancelledError from exc
                self.is_leader = False
                log.warning("outbox relay %s: %s; retrying in 1 s", self.schema, exc)
                await asyncio.sleep(1)

    async def _run_once(self) -> None:
        connect = psycopg.AsyncConnection.connect
        async with (
            await connect(self.database_url, autocommit=True) as conn,
            await connect(self.database_url, autocommit=True) as listen_conn,
        ):
            # A connection waiting for notifications cannot run queries, hence two.
            await conn.execute("SELECT pg_advisory_lock(%s)", (lease_key("relay", self.schema),))
            self.is_leader = True
            await listen_conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
            listener = asyncio.create_task(self._listen(listen_conn))
            try:
                while not cancelling():
                    moved = await self.relay_batch(conn)
                    if moved < self.batch:
                        await self._wait()
                raise asyncio.CancelledError
            finally:
                self.is_leader = False
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await listener

    async def _listen(self, conn: psycopg.AsyncConnection[Any]) -> None:
        async for notify in conn.notifies():
            if notify.payload == self.schema:
                self._wakeup.set()

    async def _wait(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), self.poll_seconds)
        self._wakeup.clear()

    async def relay_batch(self, conn: psycopg.AsyncConnection[Any]) -> int:
        """Publish up to ``batch`` rows in outbox order; return how many were moved."""
        cur = await conn.execute(
            f"SELECT position, topic, message FROM {self._s}.outbox ORDER BY position LIMIT %s",
            (self.batch,),
            prepare=True,
        )
        rows = await cur.fetchall()
        if not rows:
            return 0
        with hops.relay_batch(self.schema, rows):
            await self._publish(conn, rows)
        return len(rows)

    async def _publish(self, conn: psycopg.AsyncConnection[Any], rows: list[Any]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for _, topic, message in rows:
                if topic.startswith(PROJECTION_TOPIC_PREFIX):
                    pipe.xadd(
                        topic,
                        {ENVELOPE_FIELD: message},
                        maxlen=self.projection_maxlen,
                        approximate=True,
                    )
                else:
                    pipe.xadd(topic, {ENVELOPE_FIELD: message})
            await pipe.execute()
        await faults.point("relay.after_publish")
        await conn.execute(
            f"DELETE FROM {self._s}.outbox WHERE position = ANY(%s)",
            ([row[0] for row in rows],),
            prepare=True,
        )
