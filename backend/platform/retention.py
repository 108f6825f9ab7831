"""Bounded growth: inbox rows, idempotency keys and dead letters are pruned by age.

Exactly-once holds within the retention: a message is redelivered (a relay that crashed after
``XADD``, a consumer that died, a dead letter replayed) at most as long after its first delivery
as it may stay in a DLQ, so the inbox keeps its ids at least that long (``Retention`` refuses a
shorter inbox retention). A client that repeats a command after the idempotency retention runs
it again. Deletes go in small batches, each its own short transaction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis.asyncio as aioredis
from psycopg_pool import AsyncConnectionPool

from backend.platform.eventstore import EventStore

BATCH = 1000


@dataclass(frozen=True)
class Retention:
    inbox_seconds: float = 8 * 24 * 3600.0
    idempotency_seconds: float = 24 * 3600.0
    dlq_seconds: float = 7 * 24 * 3600.0

    def __post_init__(self) -> None:
        if self.inbox_seconds < self.dlq_seconds:
            raise ValueError(
                "MALLBOTS_INBOX_RETENTION_SECONDS must be at least"
                " MALLBOTS_DLQ_RETENTION_SECONDS: a replayed dead letter must find its inbox row"
            )


async def prune_tables(pool: AsyncConnectionPool, store: EventStore, retention: Retention) -> int:
    """Delete inbox rows and idempotency keys past their retention; how many were deleted."""
    deleted = 0
    for table, column, seconds in (
        ("inbox", "received_at", retention.inbox_seconds),
        ("idempotency", "created_at", retention.idempotency_seconds),
    ):
        name = store.table(table)
        while True:
            async with pool.connection() as conn:
                cur = await conn.execute(
                    f"DELETE FROM {name} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {name}"
                    f" WHERE {column} < now() - make_interval(secs => %s) LIMIT %s))",
                    (seconds, BATCH),
                )
            deleted += cur.rowcount
            if cur.rowcount < BATCH:
                break
    return deleted


async def trim_dead_letters(redis: aioredis.Redis, dlq: str, keep_seconds: float) -> int:
    """Remove dead letters older than ``keep_seconds`` (their entry id is when they failed)."""
    oldest_ms = int((time.time() - keep_seconds) * 1000)
    return int(await redis.xtrim(dlq, minid=f"{oldest_ms}-0", approximate=False))
