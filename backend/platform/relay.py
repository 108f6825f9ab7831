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
        lease_seconds: float = 10.0,
    ) -> None:
        self.database_url = database_url
        self.redis = redis
        self.schema = schema
        self.batch = batch
        self.poll_seconds = poll_seconds
        self.projection_maxlen = projection_maxlen
        self.lease_seconds = lease_seconds
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

    async def _connect(self, *, holds_lease: bool) -> psycopg.AsyncConnection[Any]:
        """A connection whose session dies soon after the other side stops answering.

        The lease is the session's advisory lock, so it lasts as long as PostgreSQL keeps the
        session. Keepalives (both ends) end it within seconds when the network or the host goes
        away, instead of TCP's default of hours; ``idle_session_timeout`` ends it when the
        process is alive but frozen (SIGSTOP, a stuck event loop), since the leader queries at
        least every third of the lease. A standby then takes over within about one lease.
        (The listening connection is idle by design: it gets keepalives only.)
        """
        lease = self.lease_seconds
        conn = await psycopg.AsyncConnection.connect(
            self.database_url,
            autocommit=True,
            keepalives=1,
            keepalives_idle=max(1, int(lease / 3)),
            keepalives_interval=max(1, int(lease / 6)),
            keepalives_count=3,
            tcp_user_timeout=int(lease * 1000),
        )
        settings = [
            ("tcp_keepalives_idle", str(max(1, int(lease / 3)))),
            ("tcp_keepalives_interval", str(max(1, int(lease / 6)))),
            ("tcp_keepalives_count", "3"),
        ]
        if holds_lease:
            settings.append(("idle_session_timeout", f"{int(lease * 1000)}ms"))
        for name, value in settings:
            await conn.execute("SELECT set_config(%s, %s, false)", (name, value))
        return conn

    async def _run_once(self) -> None:
        async with (
            await self._connect(holds_lease=True) as conn,
            await self._connect(holds_lease=False) as listen_conn,
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
        """Until woken, or the next poll: at the latest a third of the lease, so that the
        leader's session never looks idle (``idle_session_timeout``) while it is alive."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                self._wakeup.wait(), min(self.poll_seconds, self.lease_seconds / 3)
            )
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
        await self._publish(conn, rows)
        return len(rows)

    async def _publish(self, conn: psycopg.AsyncConnection[Any], rows: list[Any]) -> None:
        """XADD the rows, pipelined, then delete them; a row that Redis refuses (a command
        error such as WRONGTYPE: retrying cannot help) is parked in ``outbox_parked`` with the
        error, so that it does not block the rows behind it. An outage raises: nothing is
        deleted, the batch is published again later. The publish is the messages' ``send``
        spans; the bookkeeping after it is the relay's own (untraced, as its polls are)."""
        with hops.relay_batch(self.schema, rows):
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
                results = await pipe.execute(raise_on_error=False)
        for result in results:
            if isinstance(result, Exception) and not isinstance(result, aioredis.ResponseError):
                raise result
        refused = {
            row[0]: f"{type(result).__name__}: {result}"
            for row, result in zip(rows, results, strict=True)
            if isinstance(result, aioredis.ResponseError)
        }
        await faults.point("relay.after_publish")
        if refused:
            await self._park(conn, refused)
        await conn.execute(
            f"DELETE FROM {self._s}.outbox WHERE position = ANY(%s)",
            ([row[0] for row in rows if row[0] not in refused],),
            prepare=True,
        )

    async def _park(self, conn: psycopg.AsyncConnection[Any], refused: dict[int, str]) -> None:
        for position, error in refused.items():
            log.error("outbox relay %s: row %s parked: %s", self.schema, position, error)
        await conn.execute(
            f"WITH parked AS (DELETE FROM {self._s}.outbox WHERE position = ANY(%s) RETURNING *)"
            f" INSERT INTO {self._s}.outbox_parked"
            " (position, message_id, topic, message, created_at, error)"
            " SELECT p.position, p.message_id, p.topic, p.message, p.created_at, e.error"
            " FROM parked p JOIN unnest(%s::bigint[], %s::text[]) AS e(position, error)"
            " ON e.position = p.position",
            (list(refused), list(refused), list(refused.values())),
        )


async def parked_rows(conn: psycopg.AsyncConnection[Any], schema: str) -> list[tuple[Any, ...]]:
    """The rows the relay parked in ``schema``: position, topic, error, parked_at."""
    s = sql.Identifier(schema).as_string()
    cur = await conn.execute(
        f"SELECT position, topic, error, parked_at FROM {s}.outbox_parked ORDER BY position"
    )
    return await cur.fetchall()


async def requeue_parked(
    conn: psycopg.AsyncConnection[Any], schema: str, positions: list[int] | None = None
) -> int:
    """Move parked rows (all, or those at ``positions``) back to the outbox, behind the rows
    already there, once the cause is fixed; how many were moved."""
    s = sql.Identifier(schema).as_string()
    cur = await conn.execute(
        f"WITH moved AS (DELETE FROM {s}.outbox_parked"
        " WHERE %s::bigint[] IS NULL OR position = ANY(%s::bigint[]) RETURNING *)"
        f" INSERT INTO {s}.outbox (message_id, topic, message, created_at)"
        " SELECT message_id, topic, message, created_at FROM moved ORDER BY position",
        (positions, positions),
    )
    return cur.rowcount
