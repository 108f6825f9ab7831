"""A separate process running one platform worker of the counter test module.

``python -m tests.support.worker relay|consumer SCHEMA`` with DATABASE_URL and REDIS_URL set.
The crash tests SIGKILL it at a fault point (``MALLBOTS_FAULT_PAUSE``).
"""

from __future__ import annotations

import asyncio
import os
import sys

import redis.asyncio as aioredis

from backend.platform.config import Settings
from backend.platform.consumer import DeliverySettings, StreamConsumer
from backend.platform.db import create_pool
from backend.platform.module import ModuleContext
from tests.support.counter import counter_module


async def main(role: str, schema: str) -> None:
    database_url, redis_url = os.environ["DATABASE_URL"], os.environ["REDIS_URL"]
    module = counter_module(schema)
    ctx = ModuleContext(module, Settings.from_env())
    pool = await create_pool(database_url, size=2)
    redis = aioredis.from_url(redis_url)
    ctx.attach(pool, redis, database_url)
    print("READY", flush=True, file=sys.stderr)
    if role == "relay":
        await ctx.relay.run()
    else:
        parts = module.build(ctx)
        consumer = StreamConsumer(
            schema, parts.subscriptions, redis, ctx.unit_of_work, DeliverySettings(block_ms=100)
        )
        await consumer.run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
