"""What a module declares, and the context the platform gives it."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import redis.asyncio as aioredis
from psycopg_pool import AsyncConnectionPool
from starlette.routing import BaseRoute

from backend.platform import codec
from backend.platform.auth import current_principal
from backend.platform.config import Settings
from backend.platform.consumer import Subscription
from backend.platform.errors import Conflict
from backend.platform.eventstore import ConcurrencyError, EventStore, Upcasters
from backend.platform.messages import Contract
from backend.platform.projections import Projection, ProjectionRunner
from backend.platform.relay import NOTIFY_CHANNEL, OutboxRelay
from backend.platform.services import ServiceClient
from backend.platform.unit_of_work import UnitOfWork
from observability import hops

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class ModuleParts:
    """What a module runs: HTTP routes (under /api/<module>), consumers, projections."""

    routes: Sequence[BaseRoute] = ()
    subscriptions: Sequence[Subscription] = ()
    projections: Sequence[Projection] = ()
    background: Sequence[Callable[[], Awaitable[None]]] = ()


@dataclass(frozen=True)
class Module:
    name: str
    build: Callable[[ModuleContext], ModuleParts]
    migrations: Path | None = None
    contract: Contract | None = None
    upcasters: Upcasters = field(default_factory=Upcasters)


class ModuleContext:
    """The platform services of one module: its schema's event store, units of work, relay."""

    def __init__(self, module: Module, settings: Settings) -> None:
        self.name = module.name
        self.module = module
        self.settings = settings
        self.store = EventStore(module.name, module.upcasters)
        self.projection_runners: list[ProjectionRunner] = []
        self._notify: asyncio.Task[None] | None = None
        self._pool: AsyncConnectionPool | None = None
        self._redis: aioredis.Redis | None = None
        self._relay: OutboxRelay | None = None
        self._services: ServiceClient | None = None

    def attach(
        self,
        pool: AsyncConnectionPool,
        redis: aioredis.Redis,
        database_url: str,
        local_modules: Collection[str] = (),
    ) -> None:
        """Connect the context to the servers (the host does this at start-up).
        ``local_modules`` are served by this same process; others need an address."""
        self._pool, self._redis = pool, redis
        self._services = ServiceClient(
            self.settings.own_url,
            self.settings.service_urls,
            {self.name, *local_modules},
            self.settings.internal_token,
        )
        self._relay = OutboxRelay(
            database_url,
            redis,
            self.name,
            batch=self.settings.relay_batch,
            poll_seconds=self.settings.relay_poll_seconds,
            projection_maxlen=self.settings.projection_stream_maxlen,
            lease_seconds=self.settings.relay_lease_seconds,
        )

    @property
    def pool(self) -> AsyncConnectionPool:
        if self._pool is None:
            raise RuntimeError(f"module {self.name} is not started")
        return self._pool

    @property
    def redis(self) -> aioredis.Redis:
        if self._redis is None:
            raise RuntimeError(f"module {self.name} is not started")
        return self._redis

    @property
    def services(self) -> ServiceClient:
        """Reads of other modules' HTTP APIs (the fall-back when a cache misses)."""
        if self._services is None:
            raise RuntimeError(f"module {self.name} is not started")
        return self._services

    async def detach(self) -> None:
        if self._services is not None:
            await self._services.aclose()

    @property
    def relay(self) -> OutboxRelay:
        if self._relay is None:
            raise RuntimeError(f"module {self.name} is not started")
        return self._relay

    def add_projection(self, projection: Projection) -> ProjectionRunner:
        runner = ProjectionRunner(
            projection, self.unit_of_work, poll_seconds=self.settings.projection_poll_seconds
        )
        self.projection_runners.append(runner)
        return runner

    @contextlib.asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        async with self.pool.connection() as conn:
            uow = UnitOfWork(conn, self.store)
            uow.after_commit(lambda: self._committed(uow))
            try:
                yield uow
            except BaseException:
                await uow.rollback()
                raise
            await uow.commit()

    def _committed(self, uow: UnitOfWork) -> None:
        for runner in self.projection_runners:
            runner.wake()
        if not uow.published:
            return
        self.relay.wake()
        if not self.relay.is_leader and (self._notify is None or self._notify.done()):
            self._notify = asyncio.create_task(self._notify_other_relay())

    async def _notify_other_relay(self) -> None:
        """Wake the relay leader in another process: a NOTIFY outside any write transaction."""
        try:
            async with self.pool.connection() as conn:
                await conn.execute("SELECT pg_notify(%s, %s)", (NOTIFY_CHANNEL, self.name))
        except psycopg.Error as exc:  # the leader's poll still finds the rows
            log.debug("outbox notify failed: %s", exc)

    async def run_command(
        self,
        command: Callable[[UnitOfWork], Awaitable[T]],
        *,
        idempotency_key: str | None = None,
        scope: str = "",
    ) -> T:
        """Run ``command`` in a unit of work; on a version clash reload and retry (bounded).

        With an ``idempotency_key``, a repeat returns the first run's (JSON) result and writes
        nothing new. Keys are scoped (by command name and target, say), so that one client key
        cannot replay a different command, and by the caller: a repeat skips the command and so
        its authorization check, so another principal's key must not replay (or block) it.
        """
        if idempotency_key is not None:
            caller = hashlib.sha256(current_principal().key.encode()).hexdigest()[:32]
            return await self._run_idempotent(command, f"{caller}:{scope}:{idempotency_key}")
        attempts = max(self.settings.command_retries, 1)
        for attempt in range(attempts):
            try:
                async with self.unit_of_work() as uow:
                    return await command(uow)
            except ConcurrencyError:
                if attempt == attempts - 1:
                    raise Conflict(
                        "the command conflicted with concurrent changes; retry it"
                    ) from None
                hops.concurrency_retry(self.name)
                await asyncio.sleep(random.uniform(0, 0.005 * (attempt + 1)))
        raise AssertionError("unreachable")

    async def _run_idempotent(self, command: Callable[[UnitOfWork], Awaitable[T]], key: str) -> T:
        table = self.store.table("idempotency")

        async def lookup() -> Any:
            async with self.pool.connection() as conn:
                cur = await conn.execute(f"SELECT result FROM {table} WHERE key = %s", (key,))
                return await cur.fetchone()

        if (found := await lookup()) is not None:
            return found[0]  # type: ignore[no-any-return]

        async def remembered(uow: UnitOfWork) -> T:
            result = codec.to_plain(await command(uow))
            await uow.execute(
                f"INSERT INTO {table} (key, result) VALUES (%s, %s::jsonb)",
                (key, codec.dumps(result)),
            )
            return result  # type: ignore[no-any-return]

        try:
            return await self.run_command(remembered)
        except psycopg.errors.UniqueViolation:
            found = await lookup()
            assert found is not None
            return found[0]  # type: ignore[no-any-return]
