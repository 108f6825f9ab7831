"""The module host: runs any set of modules in one process behind one Starlette app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any

import redis.asyncio as aioredis
from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.platform.auth import ServiceAuth
from backend.platform.config import Settings
from backend.platform.consumer import DLQ_SUFFIX, DeliverySettings, StreamConsumer
from backend.platform.databases import ModuleDatabases
from backend.platform.db import create_pool, migrate
from backend.platform.errors import DomainError
from backend.platform.failures import is_transient
from backend.platform.http import JSONResponse, domain_error_handler, http_error_handler
from backend.platform.module import Module, ModuleContext, ModuleParts
from backend.platform.retention import Retention, prune_tables, trim_dead_letters
from backend.platform.streams import trim_acknowledged
from observability import metrics, tracing
from observability.sampler import ConsumerGroup, Sampler

log = logging.getLogger(__name__)

TRIM_INTERVAL_SECONDS = 60.0
LEAVE_SECONDS = 2.0
"""How long a stopping process gives its consumers to leave their groups."""


async def run_migrations(
    database_url: str, modules: Sequence[Module], own: Mapping[str, str] | None = None
) -> None:
    """Migrate each module on its server: the shared one, or its own (``own``)."""
    databases = ModuleDatabases(database_url, own or {})
    for url in databases.urls(m.name for m in modules):
        pool = await create_pool(url, size=1, name="migrate")
        try:
            async with pool.connection() as conn:
                for module in modules:
                    if databases.of(module.name) != url:
                        continue
                    applied = await migrate(conn, module.name, module.migrations)
                    if applied:
                        log.info("migrated %s: %s", module.name, ", ".join(applied))
        finally:
            await pool.close()


class BackendHost:
    def __init__(
        self,
        settings: Settings,
        modules: Sequence[Module],
        database_url: str,
        redis_url: str,
        *,
        run_workers: bool = True,
    ) -> None:
        self.settings = settings
        self.modules = list(modules)
        self.database_url = database_url
        self.databases = ModuleDatabases(database_url, settings.database_urls)
        self.redis_url = redis_url
        self.run_workers = run_workers
        self.contexts = {m.name: ModuleContext(m, settings) for m in self.modules}
        self.parts: dict[str, ModuleParts] = {
            m.name: m.build(self.contexts[m.name]) for m in self.modules
        }
        self.consumers: dict[str, StreamConsumer] = {}
        self.retention = Retention(  # checked now: a misconfiguration stops the start
            settings.inbox_retention_seconds,
            settings.idempotency_retention_seconds,
            settings.dlq_retention_seconds,
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._pool: AsyncConnectionPool | None = None
        self._pools: dict[str, AsyncConnectionPool] = {}
        """One pool per server in use, by URL; ``_pool`` is the shared server's."""
        self._redis: aioredis.Redis | None = None

    async def start(self) -> None:
        await run_migrations(self.database_url, self.modules, self.settings.database_urls)
        for url in self.databases.urls(self.contexts):
            self._pools[url] = await create_pool(url, size=self.settings.db_pool_size)
        self._pool = self._pools[self.database_url]
        self._redis = aioredis.from_url(self.redis_url)
        delivery = DeliverySettings(
            max_deliveries=self.settings.max_deliveries,
            retry_base_seconds=self.settings.retry_base_seconds,
            retry_max_seconds=self.settings.retry_max_seconds,
            transient_warn_seconds=self.settings.transient_warn_seconds,
            claim_idle_seconds=self.settings.claim_idle_seconds,
        )
        for name, context in self.contexts.items():
            url = self.databases.of(name)
            context.attach(self._pools[url], self._redis, url, self.contexts.keys())
            parts = self.parts[name]
            for projection in parts.projections:
                context.add_projection(projection)
            if parts.subscriptions:
                consumer = StreamConsumer(
                    name, parts.subscriptions, self._redis, context.unit_of_work, delivery
                )
                await consumer.ensure_groups()
                self.consumers[name] = consumer
            if not self.run_workers:
                continue
            self._spawn(f"{name} relay", context.relay.run)
            for runner in context.projection_runners:
                self._spawn(f"{name} projection {runner.projection.name}", runner.run)
            if name in self.consumers:
                self._spawn(f"{name} consumer", self.consumers[name].run)
            for job in parts.background:
                self._spawn(f"{name} background", job)
        if self.run_workers:
            self._spawn("stream trimmer", self._trim_forever)
            self._spawn("metrics sampler", self.sampler().run)

    def _spawn(self, what: str, job: Callable[[], Awaitable[None]]) -> None:
        async def guarded() -> None:
            try:
                await job()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s stopped", what)

        self._tasks.append(asyncio.create_task(guarded(), name=what))

    async def _trim_forever(self) -> None:
        topics = {t for m in self.modules if m.contract for t in m.contract.topics()}
        while True:
            await asyncio.sleep(TRIM_INTERVAL_SECONDS)
            for topic in sorted(topics):
                try:
                    await trim_acknowledged(self.redis, topic)
                except (aioredis.RedisError, OSError) as exc:
                    log.warning("trimming %s failed: %s", topic, exc)
            await self.prune()

    async def prune(self) -> None:
        """Inbox rows, idempotency keys and the dead letters of consumed topics past their
        retention (``backend.platform.retention``); failures are logged and tried next time."""
        retention = self.retention
        for name, context in self.contexts.items():
            try:
                await prune_tables(context.pool, context.store, retention)
                for topic in self.consumers[name].subscriptions if name in self.consumers else ():
                    await trim_dead_letters(self.redis, topic + DLQ_SUFFIX, retention.dlq_seconds)
            except Exception as exc:
                if not is_transient(exc):
                    raise
                log.warning("pruning %s failed: %s", name, exc)

    def sampler(self) -> Sampler:
        """The gauges of this process's modules: outboxes, their consumer groups, sagas."""
        groups = [ConsumerGroup(c.group, tuple(c.subscriptions)) for c in self.consumers.values()]
        # Its queries run on the shared server: modules with a server of their own are left out.
        shared = [n for n in self.contexts if self.databases.of(n) == self.database_url]
        return Sampler.from_env(self.pool, self.redis, shared, groups)

    @property
    def pool(self) -> AsyncConnectionPool:
        assert self._pool is not None, "host not started"
        return self._pool

    @property
    def redis(self) -> aioredis.Redis:
        assert self._redis is not None, "host not started"
        return self._redis

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self.run_workers:
            leaving = [consumer.leave() for consumer in self.consumers.values()]
            with contextlib.suppress(TimeoutError):  # Redis unreachable: leave it
                await asyncio.wait_for(asyncio.gather(*leaving), LEAVE_SECONDS)
        for context in self.contexts.values():
            await context.detach()
        if self._redis is not None:
            await self._redis.aclose()
        for pool in self._pools.values():
            await pool.close()
        self._pools.clear()

    async def ready(self) -> dict[str, Any]:
        checks: dict[str, Any] = {}
        checks["postgres"] = "ok"
        for pool in self._pools.values():
            try:
                async with pool.connection(timeout=2) as conn:
                    await conn.execute("SELECT 1")
            except Exception as exc:
                checks["postgres"] = f"unavailable: {type(exc).__name__}"
        try:
            await asyncio.wait_for(self.redis.ping(), 2)
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"unavailable: {type(exc).__name__}"
        return checks

    def app(self) -> Starlette:
        async def healthz(request: Request) -> Response:
            return JSONResponse({"status": "ok", "modules": [m.name for m in self.modules]})

        async def readyz(request: Request) -> Response:
            checks = await self.ready()
            ok = all(v == "ok" for v in checks.values())
            return JSONResponse(
                {"status": "ok" if ok else "unavailable", **checks},
                status_code=200 if ok else 503,
            )

        @contextlib.asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            await self.start()
            try:
                yield
            finally:
                await self.stop()

        routes: list[Any] = [Route("/healthz", healthz), Route("/readyz", readyz), metrics.route()]
        for parts in self.parts.values():
            routes += parts.routes
        app = Starlette(
            routes=routes,
            lifespan=lifespan,
            exception_handlers={
                DomainError: domain_error_handler,
                HTTPException: http_error_handler,
            },
            middleware=[Middleware(ServiceAuth, internal_token=self.settings.internal_token)],
        )
        tracing.instrument_app(app)
        return app
