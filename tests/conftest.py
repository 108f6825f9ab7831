"""Test servers: one real PostgreSQL and one real Redis per test session.

They are the embedded servers (started in a temporary folder, stopped at the end) unless
DATABASE_URL and REDIS_URL are given. Tests isolate themselves by schema and topic names.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from psycopg_pool import AsyncConnectionPool

from backend.platform.db import create_pool
from backend.platform.embedded import EmbeddedPostgres, EmbeddedRedis, remove_tree


@dataclass
class Servers:
    database_url: str
    redis_url: str
    redis_server: EmbeddedRedis | None


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    given_db, given_redis = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    root = Path(tempfile.mkdtemp(prefix="mallbots-test-"))
    postgres = None if given_db else EmbeddedPostgres(root / "postgres", durable=False)
    redis_server = None if given_redis else EmbeddedRedis(root / "redis", durable=False)
    try:
        database_url = given_db or postgres.start()  # type: ignore[union-attr]
        redis_url = given_redis or redis_server.start()  # type: ignore[union-attr]
        yield Servers(database_url, redis_url, redis_server)
    finally:
        if redis_server is not None:
            redis_server.stop()
        if postgres is not None:
            postgres.stop()
        remove_tree(root)


@pytest.fixture
def schema() -> str:
    """A fresh schema (and module) name for one test."""
    return f"t_{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def pool(servers: Servers) -> AsyncIterator[AsyncConnectionPool]:
    pool = await create_pool(servers.database_url, size=12)
    yield pool
    await pool.close()


@pytest.fixture
async def redis(servers: Servers) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(servers.redis_url)
    yield client
    await client.aclose()
