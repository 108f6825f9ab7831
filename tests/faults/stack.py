"""A whole backend in real processes on PostgreSQL and Redis servers of its own, which the fault
tests stop, kill and start again (never the session's shared servers, which other tests use).

A test that stops no server may run on given ones instead: with ``DATABASE_URL`` and
``REDIS_URL`` set (``make test-services``: the machine's PostgreSQL 15 and Redis 7, what users
deploy), it gets a fresh database on that server and a flushed Redis database."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis.asyncio as aioredis

from backend.modules import MODULE_NAMES
from backend.ordering.domain import order_id_for_basket
from backend.platform.embedded import EmbeddedPostgres, EmbeddedRedis, free_port, remove_tree
from backend.platform.streams import dead_letter_topics
from tests.support.auth import INTERNAL_TOKEN, backend_headers
from tests.support.backend import drop_database, fresh_database
from tests.support.mall import Mall
from tests.support.waiting import eventually

FAST = {
    "MALLBOTS_RETRY_BASE_SECONDS": "0.05",
    "MALLBOTS_RETRY_MAX_SECONDS": "1",
    "MALLBOTS_RELAY_POLL_SECONDS": "0.1",
    "MALLBOTS_RELAY_LEASE_SECONDS": "3",
    "MALLBOTS_CLAIM_IDLE_SECONDS": "3",
    "MALLBOTS_PROJECTION_POLL_SECONDS": "0.1",
    "MALLBOTS_DB_POOL_SIZE": "4",
    "MALLBOTS_SAGA_TIMER_SECONDS": "1",
    "MALLBOTS_SAGA_RESEND_SECONDS": "10",
}
"""Short delays, so that the suite stays within minutes; the mechanisms are the production ones."""


@dataclass
class Stack:
    root: Path
    database_url: str
    redis_url: str
    per_module: bool
    postgres: EmbeddedPostgres | None = None
    redis: EmbeddedRedis | None = None
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def names(self) -> Sequence[str]:
        return MODULE_NAMES if self.per_module else ("all",)

    def url(self, module: str) -> str:
        return f"http://127.0.0.1:{self.ports[module if self.per_module else 'all']}"

    def env(self) -> dict[str, str]:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("MALLBOTS_")},
            **FAST,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "MALLBOTS_INTERNAL_TOKEN": INTERNAL_TOKEN,
            "MALLBOTS_LOG_LEVEL": "WARNING",
        }
        if self.per_module:
            env["MALLBOTS_SERVICE_URLS"] = ",".join(f"{n}={self.url(n)}" for n in MODULE_NAMES)
        return env

    def start(self, name: str) -> None:
        """Start the process of ``name`` (a module, or "all") and wait until it serves."""
        port = self.ports.setdefault(name, free_port())
        argv = [sys.executable, "-m", "backend.cli", "backend", "--modules", name]
        self.processes[name] = subprocess.Popen([*argv, "--port", str(port)], env=self.env())
        deadline = time.monotonic() + 90
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    return
            assert self.processes[name].poll() is None, f"the {name} process died"
            assert time.monotonic() < deadline, f"the {name} process did not start"
            time.sleep(0.1)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes.pop(name)
        process.send_signal(sig)
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def mall(self, http: httpx.AsyncClient) -> Mall:
        return Mall(http, self.url)

    async def sql(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        async with await psycopg.AsyncConnection.connect(self.database_url) as conn:
            cur = await conn.execute(query, params)
            return await cur.fetchall() if cur.description else []


@contextlib.asynccontextmanager
async def fault_stack(
    *, per_module: bool = False, own_servers: bool = True
) -> AsyncIterator[Stack]:
    """The stack; ``own_servers`` when the test stops or restarts a server."""
    root = Path(tempfile.mkdtemp(prefix="mallbots-faults-"))
    given = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    postgres = redis_server = None
    fresh = None
    try:
        if own_servers or not all(given):
            postgres = EmbeddedPostgres(root / "postgres", durable=False)
            redis_server = EmbeddedRedis(root / "redis")
            database_url, redis_url = postgres.start(), redis_server.start()
        else:
            database_url = fresh = await fresh_database(str(given[0]))
            redis_url = str(given[1])
            flush = aioredis.from_url(redis_url)
            await flush.flushdb()
            await flush.aclose()
        stack = Stack(root, database_url, redis_url, per_module, postgres, redis_server)
        stack.ports = {name: free_port() for name in stack.names}
        try:
            for name in stack.names:
                stack.start(name)
            yield stack
        finally:
            stack.stop_all()
    finally:
        if redis_server is not None:
            redis_server.stop()
        if postgres is not None:
            postgres.stop()
        if fresh is not None:
            await drop_database(fresh)
        remove_tree(root)


@contextlib.asynccontextmanager
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30, headers=backend_headers()) as http:
        yield http


async def checkouts(mall: Mall, count: int) -> list[str]:
    """``count`` customers check out one basket each, at the same time; their order ids."""
    _, product_id = await mall.store_with_product()

    async def one(n: int) -> str:
        customer_id = await mall.customer(f"Buyer #{n}")
        basket_id = await mall.basket(customer_id, product_id, 1)
        payment_id = await mall.payment(customer_id, "49.99")
        await mall.checkout(basket_id, payment_id)
        return order_id_for_basket(basket_id)

    return list(await asyncio.gather(*(one(n) for n in range(count))))


async def statuses(mall: Mall, order_ids: Sequence[str]) -> dict[str, str]:
    found = {}
    for order_id in order_ids:
        response = await mall.http.get(f"{mall.base_of('ordering')}/api/ordering/{order_id}")
        found[order_id] = response.json()["order"]["status"] if response.status_code == 200 else ""
    return found


async def all_settled(mall: Mall, order_ids: Sequence[str], timeout: float = 120) -> dict[str, str]:
    """Wait until every order is approved or rejected (the saga finished); their statuses."""
    return await eventually(
        lambda: statuses(mall, order_ids),
        lambda found: all(s in ("approved", "rejected") for s in found.values()),
        timeout=timeout,
        interval=0.5,
    )


async def assert_consistent(stack: Stack, found: Mapping[str, str]) -> None:
    """One live shopping list per approved order and none for a rejected one, at most one
    invoice per order, no payment used by two orders, and nothing in any DLQ."""
    lists = dict(
        await stack.sql(
            "SELECT order_id, count(*) FROM depot.shopping_lists WHERE status <> 'canceled'"
            " GROUP BY order_id"
        )
    )
    assert {o: lists.get(o, 0) for o in found} == {
        o: 1 if s == "approved" else 0 for o, s in found.items()
    }
    invoices = await stack.sql(
        "SELECT order_id FROM payments.invoices GROUP BY order_id HAVING count(*) > 1"
    )
    assert invoices == []
    used = dict(await stack.sql("SELECT order_id, count(*) FROM payments.payments"
                                " WHERE order_id IS NOT NULL GROUP BY order_id"))  # fmt: skip
    assert all(n == 1 for n in used.values())
    assert {o for o, s in found.items() if s == "approved"} <= set(used)
    redis = aioredis.from_url(stack.redis_url)
    try:
        letters = {dlq: await redis.xlen(dlq) for dlq in await dead_letter_topics(redis)}
    finally:
        await redis.aclose()
    assert {dlq: n for dlq, n in letters.items() if n} == {}
