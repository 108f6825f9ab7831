"""Operations on the Redis streams: dead-letter listing and replay, safe trimming, how far a
group has handled a stream."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import redis.asyncio as aioredis

from backend.platform.consumer import DLQ_SUFFIX
from backend.platform.messages import ENVELOPE_FIELD
from observability.sampler import read_to_the_end


@dataclass(frozen=True)
class DeadLetter:
    dlq_id: str
    topic: str
    group: str
    error: str
    deliveries: int
    failed_at: str
    message: str


def _s(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def dead_letter_topics(redis: aioredis.Redis) -> list[str]:
    return sorted({_s(k) async for k in redis.scan_iter(match=f"*{DLQ_SUFFIX}", _type="stream")})


async def list_dead_letters(redis: aioredis.Redis, dlq: str, count: int = 100) -> list[DeadLetter]:
    entries = await redis.xrange(dlq, count=count)
    letters = []
    for entry_id, raw in entries:
        fields = {_s(k): _s(v) for k, v in raw.items()}
        letters.append(
            DeadLetter(
                dlq_id=_s(entry_id),
                topic=fields.get("topic", dlq.removesuffix(DLQ_SUFFIX)),
                group=fields.get("group", ""),
                error=fields.get("error", ""),
                deliveries=int(fields.get("deliveries", "0")),
                failed_at=fields.get("failed_at", ""),
                message=fields.get(ENVELOPE_FIELD, ""),
            )
        )
    return letters


async def replay_dead_letters(redis: aioredis.Redis, dlq: str, ids: list[str] | None = None) -> int:
    """Put dead letters back on their topic (all, or those ``ids``); return how many.

    The message keeps its envelope id, so groups that handled it already skip it (inbox).
    """
    replayed = 0
    for letter in await list_dead_letters(redis, dlq, count=10_000):
        if ids and letter.dlq_id not in ids:
            continue
        await redis.xadd(letter.topic, {ENVELOPE_FIELD: letter.message})
        await redis.xdel(dlq, letter.dlq_id)
        replayed += 1
    return replayed


async def trim_acknowledged(redis: aioredis.Redis, topic: str, keep_seconds: float = 3600) -> int:
    """Trim entries that every consumer group has acknowledged and that are older than
    ``keep_seconds``; never an entry some group has not read or not acknowledged.
    Streams that no group reads are left alone. Returns the number of entries removed."""
    try:
        groups = await redis.xinfo_groups(topic)
    except aioredis.ResponseError:
        return 0
    if not groups:
        return 0
    oldest_ms = int((time.time() - keep_seconds) * 1000)
    bound = (oldest_ms, 0)
    for group in groups:
        name = _s(group["name"])
        last = _s(group["last-delivered-id"])
        candidate = tuple(int(p) for p in last.split("-"))
        if int(group["pending"]) > 0:
            summary = await redis.xpending(topic, name)
            if summary["min"] is not None:  # else acknowledged since XINFO: nothing pending
                candidate = tuple(int(p) for p in _s(summary["min"]).split("-"))
        bound = min(bound, candidate)  # type: ignore[assignment]
    return int(await redis.xtrim(topic, minid=f"{bound[0]}-{bound[1]}", approximate=False))


NOTHING_HANDLED = dt.datetime.min.replace(tzinfo=dt.UTC)


def _entry_time(entry_id: str) -> dt.datetime:
    """The time a stream entry was added (its id's milliseconds), less a millisecond: the entries
    of that millisecond after it may still wait."""
    milliseconds = int(entry_id.split("-")[0]) - 1
    return dt.datetime.fromtimestamp(milliseconds / 1000, dt.UTC)


async def handled_until(redis: aioredis.Redis, topic: str, group: str) -> dt.datetime:
    """Up to when ``group`` has read and acknowledged ``topic``: every entry added before the
    time returned is handled. When nothing waits (no stream, or the group has read the newest
    entry and acknowledged everything), the time of the check; ``NOTHING_HANDLED`` before the
    group exists."""
    checked = dt.datetime.now(dt.UTC)
    try:
        groups = await redis.xinfo_groups(topic)
    except aioredis.ResponseError:  # no such stream: nothing was ever added to it
        return checked
    info = next((g for g in groups if _s(g["name"]) == group), None)
    if info is None:
        return NOTHING_HANDLED
    caught_up = await read_to_the_end(redis, topic, info)
    read = checked if caught_up else _entry_time(_s(info["last-delivered-id"]))
    if int(info["pending"]) == 0:
        return read
    oldest_pending = (await redis.xpending(topic, group))["min"]
    if oldest_pending is None:  # acknowledged since XINFO
        return read
    return min(read, _entry_time(_s(oldest_pending)))
