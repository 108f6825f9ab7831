"""The backend's gauges of shared state, read from PostgreSQL and Redis every few seconds.

Per hosted module: the outbox backlog, the age of its oldest row and the parked rows; per
consumer group and topic: the lag (entries not yet read) and the pending entries
(``XINFO GROUPS``), and each topic's dead-letter stream length; the sagas that stopped moving;
the process's connection pool.

Redis 6.2 has no ``lag`` field in ``XINFO GROUPS`` (Redis 7 has): there the lag is counted as the
entries after the group's ``last-delivered-id`` (``XRANGE``, capped at :data:`LAG_CAP`; none
when the group has read the newest entry).

A background task rather than a scrape-time collector: the reads are asynchronous and a scrape
must not wait for PostgreSQL. The values are at most one interval old.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
import redis.asyncio as aioredis
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from observability import metrics, tracing

log = logging.getLogger(__name__)

LAG_CAP = 200
"""Where a Redis 6.2 lag count stops: reading the entries behind a group blocks Redis and this
process (a thousand entries held back live updates by 200 ms), and the lag alert fires above
100. Redis 7 reports the exact lag itself."""
DLQ_SUFFIX = ".dlq"


@dataclass(frozen=True)
class ConsumerGroup:
    group: str
    topics: Sequence[str]


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "")
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {raw!r}")
    return value


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class Sampler:
    def __init__(
        self,
        pool: AsyncConnectionPool,
        redis: aioredis.Redis,
        schemas: Sequence[str],
        groups: Sequence[ConsumerGroup],
        *,
        interval_seconds: float = 10.0,
        saga_stuck_seconds: float = 600.0,
    ) -> None:
        self.pool = pool
        self.redis = redis
        self.schemas = list(schemas)
        self.groups = list(groups)
        self.interval_seconds = interval_seconds
        self.saga_stuck_seconds = saga_stuck_seconds
        self._tables: dict[str, bool] = {}
        self._saga_names: set[str] = set()

    @classmethod
    def from_env(
        cls,
        pool: AsyncConnectionPool,
        redis: aioredis.Redis,
        schemas: Sequence[str],
        groups: Sequence[ConsumerGroup],
        environ: Mapping[str, str] = os.environ,
    ) -> Sampler:
        """With ``MALLBOTS_METRICS_SAMPLE_SECONDS`` (default 10) and
        ``MALLBOTS_SAGA_STUCK_SECONDS`` (default 600)."""
        return cls(
            pool,
            redis,
            schemas,
            groups,
            interval_seconds=_seconds(environ, "MALLBOTS_METRICS_SAMPLE_SECONDS", 10.0),
            saga_stuck_seconds=_seconds(environ, "MALLBOTS_SAGA_STUCK_SECONDS", 600.0),
        )

    async def run(self) -> None:
        tracing.untraced_task()
        while True:
            try:
                await self.sample()
            except asyncio.CancelledError:
                raise
            except (psycopg.Error, aioredis.RedisError, OSError) as exc:
                log.warning("metrics sampler: %s", exc)
            await asyncio.sleep(self.interval_seconds)

    async def sample(self) -> None:
        """Read every gauge once."""
        self.sample_pool()
        await self.sample_postgres()
        await self.sample_streams()

    def sample_pool(self) -> None:
        stats: Mapping[str, int] = self.pool.get_stats()
        size, available = stats.get("pool_size", 0), stats.get("pool_available", 0)
        metrics.POOL_CONNECTIONS.labels("in_use").set(max(size - available, 0))
        metrics.POOL_CONNECTIONS.labels("idle").set(available)
        metrics.POOL_MAX.set(stats.get("pool_max", 0))
        metrics.POOL_WAITING.set(stats.get("requests_waiting", 0))

    async def sample_postgres(self) -> None:
        async with self.pool.connection() as conn:
            for schema in self.schemas:
                s = sql.Identifier(schema)
                cur = await conn.execute(
                    sql.SQL(
                        "SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)"
                        " FROM {}.outbox"
                    ).format(s)
                )
                row = await cur.fetchone()
                assert row is not None
                metrics.OUTBOX_MESSAGES.labels(schema).set(row[0])
                metrics.OUTBOX_OLDEST_AGE.labels(schema).set(float(row[1]))
                if await self._has(conn, schema, "outbox_parked"):
                    cur = await conn.execute(
                        sql.SQL("SELECT count(*) FROM {}.outbox_parked").format(s)
                    )
                    parked = await cur.fetchone()
                    metrics.OUTBOX_PARKED.labels(schema).set(parked[0] if parked else 0)
                if await self._has(conn, schema, "sagas"):
                    await self._sample_sagas(conn, s)

    async def _has(self, conn: psycopg.AsyncConnection[Any], schema: str, table: str) -> bool:
        """Whether the schema has ``table`` (the saga tables are the orchestrator's; parked
        outbox rows came with a later platform migration)."""
        key = f"{schema}.{table}"
        if key not in self._tables:
            cur = await conn.execute("SELECT to_regclass(%s) IS NOT NULL", (key,))
            row = await cur.fetchone()
            self._tables[key] = bool(row and row[0])
        return self._tables[key]

    async def _sample_sagas(self, conn: psycopg.AsyncConnection[Any], s: sql.Identifier) -> None:
        cur = await conn.execute(
            sql.SQL(
                "SELECT name,"
                " count(*) FILTER (WHERE updated_at < now() - make_interval(secs => %s))"
                " FROM {}.sagas WHERE NOT done GROUP BY name"
            ).format(s),
            (self.saga_stuck_seconds,),
        )
        found = {name: count for name, count in await cur.fetchall()}
        for name in self._saga_names | set(found):
            metrics.SAGAS_STUCK.labels(name).set(found.get(name, 0))
        self._saga_names |= set(found)

    async def sample_streams(self) -> None:
        for consumer in self.groups:
            for topic in consumer.topics:
                await self._sample_group(consumer.group, topic)
                metrics.DLQ_MESSAGES.labels(topic).set(await self.redis.xlen(topic + DLQ_SUFFIX))

    async def _sample_group(self, group: str, topic: str) -> None:
        try:
            groups = await self.redis.xinfo_groups(topic)
        except aioredis.ResponseError:  # no such stream (yet)
            return
        for info in groups:
            if _text(info.get("name")) != group:
                continue
            metrics.STREAM_PENDING.labels(group, topic).set(int(info.get("pending") or 0))
            lag = info.get("lag")
            if lag is None:
                delivered = _text(info.get("last-delivered-id"))
                caught_up = await read_to_the_end(self.redis, topic, info)
                lag = 0 if caught_up else await self.lag_after(topic, delivered)
            metrics.STREAM_LAG.labels(group, topic).set(int(lag))

    async def lag_after(self, topic: str, last_delivered: str) -> int:
        """Entries after ``last_delivered`` (Redis 6.2 does not report the lag), counted up to
        :data:`LAG_CAP`: a group further behind is reported at the cap."""
        entries = await self.redis.xrange(topic, f"({last_delivered}", "+", count=LAG_CAP)
        return len(entries)


async def read_to_the_end(redis: aioredis.Redis, topic: str, info: Mapping[Any, Any]) -> bool:
    """Whether the consumer group of ``info`` (its ``XINFO GROUPS`` entry) has read the newest
    entry of ``topic``. Redis 6.2 reports no ``lag``: its last delivered id is then compared with
    the stream's newest."""
    lag = info.get("lag")
    if lag is not None:
        return int(lag) == 0
    stream = await redis.xinfo_stream(topic)
    return _text(info.get("last-delivered-id")) == _text(stream.get("last-generated-id"))
