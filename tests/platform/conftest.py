from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from psycopg_pool import AsyncConnectionPool

from backend.platform.config import Settings
from backend.platform.db import migrate
from backend.platform.eventstore import EventStore
from backend.platform.module import ModuleContext
from tests.conftest import Servers
from tests.support.counter import counter_module


@pytest.fixture
async def store(pool: AsyncConnectionPool, schema: str) -> EventStore:
    async with pool.connection() as conn:
        await migrate(conn, schema, None)
    return EventStore(schema)


@pytest.fixture
def settings() -> Settings:
    return Settings(snapshot_every=50, retry_base_seconds=0.05, claim_idle_seconds=0.5)


@pytest.fixture
async def context(
    pool: AsyncConnectionPool,
    redis: aioredis.Redis,
    servers: Servers,
    schema: str,
    settings: Settings,
) -> AsyncIterator[ModuleContext]:
    """The counter module's context, connected to the servers, with no background workers."""
    module = counter_module(schema)
    async with pool.connection() as conn:
        await migrate(conn, schema, module.migrations)
    ctx = ModuleContext(module, settings)
    ctx.attach(pool, redis, servers.database_url)
    yield ctx
