"""The sampler's gauges against real servers: stream lag and pending without Redis 7's ``lag``
field, dead letters, the outbox's age, stuck sagas, the pool."""

from __future__ import annotations

import uuid

import redis.asyncio as aioredis
from prometheus_client import REGISTRY
from psycopg_pool import AsyncConnectionPool

from observability.sampler import ConsumerGroup, Sampler


def gauge(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def test_lag_pending_and_dead_letters_of_a_group(
    pool: AsyncConnectionPool, redis: aioredis.Redis
) -> None:
    topic = f"mallbots.t{uuid.uuid4().hex[:8]}.events.Thing"
    await redis.xgroup_create(topic, "readers", id="0", mkstream=True)
    for n in range(5):
        await redis.xadd(topic, {"message": str(n)})
    read = await redis.xreadgroup("readers", "c1", {topic: ">"}, count=2)
    first_id = read[0][1][0][0]
    await redis.xack(topic, "readers", first_id)  # one handled, one still pending
    await redis.xadd(topic + ".dlq", {"message": "poison"})

    sampler = Sampler(pool, redis, [], [ConsumerGroup("readers", [topic])])
    await sampler.sample_streams()

    labels = {"group": "readers", "topic": topic}
    assert gauge("mallbots_stream_lag_messages", **labels) == 3
    assert gauge("mallbots_stream_pending_messages", **labels) == 1
    assert gauge("mallbots_dlq_messages", topic=topic) == 1
    assert await sampler.lag_after(topic, "0-0") == 5


async def test_a_topic_nobody_wrote_to_yet_is_no_error(
    pool: AsyncConnectionPool, redis: aioredis.Redis
) -> None:
    topic = f"mallbots.t{uuid.uuid4().hex[:8]}.commands"
    await Sampler(pool, redis, [], [ConsumerGroup("g", [topic])]).sample_streams()
    assert gauge("mallbots_stream_lag_messages", group="g", topic=topic) is None
    assert gauge("mallbots_dlq_messages", topic=topic) == 0


async def test_outbox_age_and_stuck_sagas(
    pool: AsyncConnectionPool, redis: aioredis.Redis, schema: str
) -> None:
    async with pool.connection() as conn:
        await conn.execute(
            f"CREATE SCHEMA {schema};"
            f" CREATE TABLE {schema}.outbox (position bigint, created_at timestamptz);"
            f" CREATE TABLE {schema}.outbox_parked (position bigint);"
            f" INSERT INTO {schema}.outbox_parked VALUES (7);"
            f" CREATE TABLE {schema}.sagas (id text, name text, done boolean,"
            "  updated_at timestamptz);"
            f" INSERT INTO {schema}.outbox VALUES (1, now() - interval '90 seconds'), (2, now());"
            f" INSERT INTO {schema}.sagas VALUES"
            "  ('a', 'test.Saga', false, now() - interval '2 hours'),"
            "  ('b', 'test.Saga', false, now()),"
            "  ('c', 'test.Saga', true, now() - interval '2 hours')"
        )
    try:
        sampler = Sampler(pool, redis, [schema], [], saga_stuck_seconds=3600)
        await sampler.sample()
        assert gauge("mallbots_outbox_messages", module=schema) == 2
        age = gauge("mallbots_outbox_oldest_age_seconds", module=schema)
        assert age is not None and 90 <= age < 3600
        assert gauge("mallbots_outbox_parked_messages", module=schema) == 1
        assert gauge("mallbots_sagas_stuck", saga="test.Saga") == 1
        async with pool.connection() as conn:  # the stuck one moves on: the gauge goes to 0
            await conn.execute(f"UPDATE {schema}.sagas SET done = true WHERE id = 'a'")
        await sampler.sample()
        assert gauge("mallbots_sagas_stuck", saga="test.Saga") == 0
        in_use = gauge("mallbots_db_pool_connections", state="in_use")
        idle = gauge("mallbots_db_pool_connections", state="idle")
        assert in_use is not None and idle is not None
        assert gauge("mallbots_db_pool_max_connections") == 12  # the fixture's pool
    finally:
        async with pool.connection() as conn:
            await conn.execute(f"DROP SCHEMA {schema} CASCADE")


def test_the_sampler_settings_are_read_from_the_environment() -> None:
    sampler = Sampler.from_env(
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        [],
        [],
        {"MALLBOTS_METRICS_SAMPLE_SECONDS": "2.5", "MALLBOTS_SAGA_STUCK_SECONDS": "60"},
    )
    assert (sampler.interval_seconds, sampler.saga_stuck_seconds) == (2.5, 60)
    for bad in ("soon", "0"):
        try:
            Sampler.from_env(None, None, [], [], {"MALLBOTS_SAGA_STUCK_SECONDS": bad})  # type: ignore[arg-type]
        except ValueError as exc:
            assert "MALLBOTS_SAGA_STUCK_SECONDS" in str(exc)
        else:
            raise AssertionError(f"{bad!r} was accepted")
