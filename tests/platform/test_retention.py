"""Inbox rows, idempotency keys and dead letters are pruned by age, and only by age: a message
redelivered within the retention still takes effect once."""

from __future__ import annotations

import time

import pytest

from backend.platform.consumer import DLQ_SUFFIX
from backend.platform.messages import ENVELOPE_FIELD, new_message
from backend.platform.module import ModuleContext
from backend.platform.retention import Retention, prune_tables, trim_dead_letters
from tests.support.counter import CounterIncremented, topic_of

from .test_messaging import consumer_for, effects

DAY = 86400.0


async def count(ctx: ModuleContext, table: str) -> int:
    async with ctx.pool.connection() as conn:
        cur = await conn.execute(f"SELECT count(*) FROM {ctx.store.table(table)}")
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def test_old_inbox_rows_and_keys_go_and_recent_ones_keep_working(
    context: ModuleContext,
) -> None:
    consumer = consumer_for(context)
    await consumer.ensure_groups()
    topic = topic_of(context.name)
    old, recent = (new_message(topic, CounterIncremented(c, 1)) for c in ("old", "recent"))
    for message in (old, recent):
        await context.redis.xadd(topic, {ENVELOPE_FIELD: message.to_json()})
    while await consumer.poll(None):
        pass
    async with context.pool.connection() as conn:
        await conn.execute(
            f"UPDATE {context.store.table('inbox')} SET received_at = now() - interval '9 days'"
            " WHERE message_id = %s",
            (old.id,),
        )
        await conn.execute(
            f"INSERT INTO {context.store.table('idempotency')} (key, result, created_at)"
            " VALUES ('old', '{}', now() - interval '2 days'), ('new', '{}', now())"
        )

    deleted = await prune_tables(context.pool, context.store, Retention())

    assert deleted == 2
    assert await count(context, "inbox") == 1
    assert await count(context, "idempotency") == 1
    await context.redis.xadd(topic, {ENVELOPE_FIELD: recent.to_json()})  # redelivered
    while await consumer.poll(None):
        pass
    assert sorted(c for _, c, _ in await effects(context)) == ["old", "recent"], "once each"


async def test_dead_letters_past_their_retention_are_trimmed(context: ModuleContext) -> None:
    dlq = topic_of(context.name) + DLQ_SUFFIX
    now_ms = int(time.time() * 1000)
    await context.redis.xadd(dlq, {"n": "old"}, id=f"{now_ms - int(8 * DAY * 1000)}-0")
    await context.redis.xadd(dlq, {"n": "recent"}, id=f"{now_ms - 1000}-0")
    assert await trim_dead_letters(context.redis, dlq, 7 * DAY) == 1
    assert [f[b"n"] for _, f in await context.redis.xrange(dlq)] == [b"recent"]
    await context.redis.delete(dlq)


def test_the_inbox_outlives_the_dead_letters_it_must_recognise() -> None:
    with pytest.raises(ValueError, match="at least MALLBOTS_DLQ_RETENTION_SECONDS"):
        Retention(inbox_seconds=DAY, dlq_seconds=2 * DAY)
