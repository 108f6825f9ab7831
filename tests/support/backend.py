"""A real backend (uvicorn + BackendHost) on a fresh database, for module and end-to-end tests."""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
import redis.asyncio as aioredis
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from backend.platform.config import Settings
from backend.platform.embedded import free_port
from backend.platform.host import BackendHost
from backend.platform.messages import ENVELOPE_FIELD, Message
from backend.platform.module import Module
from tests.support.auth import INTERNAL_TOKEN, backend_headers
from tests.support.serving import serve

TEST_SETTINGS = Settings(
    retry_base_seconds=0.05,
    claim_idle_seconds=2.0,
    relay_poll_seconds=0.1,
    projection_poll_seconds=0.1,
    max_deliveries=3,
    internal_token=INTERNAL_TOKEN,
)


@dataclass
class RunningBackend:
    host: BackendHost
    http: httpx.AsyncClient
    database_url: str
    redis_url: str
    url: str

    def context(self, module: str) -> Any:
        return self.host.contexts[module]

    async def published(self, topic: str) -> list[Message]:
        """Every message on ``topic`` so far, oldest first."""
        entries = await self.host.redis.xrange(topic)
        return [Message.from_json(fields[ENVELOPE_FIELD.encode()]) for _, fields in entries]

    async def publish(self, message: Message) -> str:
        """Put ``message`` on its topic as the outbox relay would; the stream entry id."""
        entry = await self.host.redis.xadd(message.subject, {ENVELOPE_FIELD: message.to_json()})
        return entry.decode() if isinstance(entry, bytes) else str(entry)

    async def sql(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        async with self.host.pool.connection() as conn:
            cur = await conn.execute(query, params)
            return await cur.fetchall() if cur.description else []


async def fresh_database(server_url: str) -> str:
    """A new, empty database on the server of ``server_url``; its URL."""
    name = f"mb_{uuid.uuid4().hex[:12]}"
    params = conninfo_to_dict(server_url)
    admin = make_conninfo(**{**params, "dbname": "postgres"})
    async with await psycopg.AsyncConnection.connect(admin, autocommit=True) as conn:
        await conn.execute(f'CREATE DATABASE "{name}"')
    return make_conninfo(**{**params, "dbname": name})


async def drop_database(url: str) -> None:
    params = conninfo_to_dict(url)
    admin = make_conninfo(**{**params, "dbname": "postgres"})
    async with await psycopg.AsyncConnection.connect(admin, autocommit=True) as conn:
        await conn.execute(f'DROP DATABASE IF EXISTS "{params["dbname"]}" WITH (FORCE)')


@contextlib.asynccontextmanager
async def running_backend(
    database_server_url: str,
    redis_url: str,
    modules: Sequence[Module],
    **overrides: Any,
) -> AsyncIterator[RunningBackend]:
    """Serve ``modules`` on a free port, on a new database and a flushed Redis database."""
    database_url = await fresh_database(database_server_url)
    flush = aioredis.from_url(redis_url)
    await flush.flushdb()
    await flush.aclose()
    try:
        async with serving_backend(database_url, redis_url, modules, **overrides) as running:
            yield running
    finally:
        await drop_database(database_url)


@contextlib.asynccontextmanager
async def serving_backend(
    database_url: str,
    redis_url: str,
    modules: Sequence[Module],
    **overrides: Any,
) -> AsyncIterator[RunningBackend]:
    """Serve ``modules`` on a free port on the given database (e.g. a second process's share)."""
    port = free_port()
    settings = dataclasses.replace(TEST_SETTINGS, port=port, **overrides)
    host = BackendHost(settings, modules, database_url, redis_url)
    async with (
        serve(host.app(), port) as url,
        httpx.AsyncClient(base_url=url, timeout=10, headers=backend_headers()) as http,
    ):
        yield RunningBackend(host, http, database_url, redis_url, url)
