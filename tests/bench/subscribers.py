"""Change → subscriber: from a command's commit to its projection update arriving at 1, 100 and
1,000 concurrent WebSocket subscribers (each on a connection of its own) of one gateway process,
and the gateway's memory per idle subscriber. Anchor: a bare Redis XADD → XREAD BLOCK on the same
server (the transport's floor; the gateway's hub reads with one XREAD for all its subscribers).

The commit time is when the backend's HTTP response to the command (``PUT …/addItem``) returns:
the unit of work has committed by then. (A GraphQL mutation would return later, after the
gateway has read the basket back.) Every subscriber follows the same basket, so one change goes
to all of them; the next change is made once every subscriber has received the last one.

Memory: the gateway process's RSS (psutil) before and one second after opening the subscribers
that take it from the second-largest count to the largest (each on its own connection, its first
payload received, then idle), divided by how many were opened.
"""

from __future__ import annotations

import asyncio
import resource
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import psutil
import redis.asyncio as aioredis

from tests.bench.clients import BenchError, GraphQLSocket, HTTPConnection
from tests.bench.report import Row, median, percentile
from tests.bench.stack import MallStack
from tests.support.auth import auth_headers, backend_headers

BASKET_UPDATED = """subscription($id: ID!) {
  basketUpdated(basketId: $id) { cursor basket { id items { productId quantity } } } }"""

OPENING_AT_ONCE = 50


@dataclass
class Arrivals:
    """When each subscriber received the basket at each quantity (one change = one quantity)."""

    expected: int = 0
    times: defaultdict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    all_in: defaultdict[int, asyncio.Event] = field(
        default_factory=lambda: defaultdict(asyncio.Event)
    )
    problems: list[str] = field(default_factory=list)

    def record(self, quantity: int, at: float) -> None:
        times = self.times[quantity]
        times.append(at)
        if len(times) >= self.expected:
            self.all_in[quantity].set()

    async def wait(self, quantity: int, timeout: float = 60.0) -> list[float]:
        try:
            await asyncio.wait_for(self.all_in[quantity].wait(), timeout)
        except TimeoutError:
            got = len(self.times[quantity])
            raise BenchError(
                f"{got} of {self.expected} subscribers got the change within {timeout} s;"
                f" {self.problems[:3]}"
            ) from None
        self.all_in.pop(quantity, None)
        return self.times.pop(quantity)


class Follower:
    """One subscriber: its first payload is the current basket, later ones are timed."""

    def __init__(self, socket: GraphQLSocket, arrivals: Arrivals) -> None:
        self.socket = socket
        self.arrivals = arrivals
        self.first: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def __call__(self, at: float, message: dict[str, Any]) -> None:
        try:
            basket = message["payload"]["data"]["basketUpdated"]["basket"]
            quantity = int(basket["items"][0]["quantity"])
        except (KeyError, TypeError, IndexError):
            problem = f"{message}"[:300]
            self.arrivals.problems.append(problem)
            if not self.first.done():
                self.first.set_exception(BenchError(problem))
            return
        if not self.first.done():
            self.first.set_result(quantity)
        else:
            self.arrivals.record(quantity, at)


async def follow(url: str, basket_id: str, arrivals: Arrivals, bearer: dict[str, str]) -> Follower:
    socket = await GraphQLSocket.connect(url, init_payload=bearer)
    follower = Follower(socket, arrivals)
    socket.subscribe(BASKET_UPDATED, {"id": basket_id}, follower)
    await asyncio.wait_for(follower.first, 60)
    return follower


async def follow_many(
    url: str, basket_id: str, arrivals: Arrivals, n: int, bearer: dict[str, str]
) -> list[Follower]:
    gate = asyncio.Semaphore(OPENING_AT_ONCE)

    async def one() -> Follower:
        async with gate:
            return await follow(url, basket_id, arrivals, bearer)

    return list(await asyncio.gather(*(one() for _ in range(n))))


async def close_all(followers: list[Follower]) -> None:
    gate = asyncio.Semaphore(OPENING_AT_ONCE * 4)

    async def one(follower: Follower) -> None:
        async with gate:
            await follower.socket.close()

    await asyncio.gather(*(one(f) for f in followers))


@dataclass
class Changer:
    """Makes one change of the basket at a time through the backend's HTTP API."""

    backend: HTTPConnection
    basket_id: str
    product_id: str
    quantity: int

    async def change(self, arrivals: Arrivals) -> list[float]:
        """The latencies (ms) of one change at every subscriber."""
        self.quantity += 1
        body = {"product_id": self.product_id, "quantity": 1}
        await self.backend.json("PUT", f"/api/baskets/{self.basket_id}/addItem", body)
        committed = time.perf_counter()
        return [(at - committed) * 1000 for at in await arrivals.wait(self.quantity)]


def gateway_rss(pid: int) -> int:
    return int(psutil.Process(pid).memory_info().rss)


def _allow_open_files(count: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < count:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(count, hard), hard))


async def redis_floor(redis_url: str, samples: int) -> list[float]:
    """XADD → a blocked XREAD of the same stream on another connection (ms)."""
    producer, consumer = aioredis.from_url(redis_url), aioredis.from_url(redis_url)
    stream = f"bench.xread.{uuid.uuid4().hex[:8]}"
    last = await producer.xadd(stream, {"n": "start"})
    latencies = []
    try:
        for n in range(samples + 20):
            reading = asyncio.create_task(consumer.xread({stream: last}, count=1, block=5000))
            await asyncio.sleep(0.001)  # the XREAD is blocked in Redis, as the hub's always is
            sent = time.perf_counter()
            last = await producer.xadd(stream, {"n": str(n)})
            if not await reading:
                raise BenchError("XREAD returned nothing")
            if n >= 20:
                latencies.append((time.perf_counter() - sent) * 1000)
    finally:
        await producer.delete(stream)
        await producer.aclose()
        await consumer.aclose()
    return latencies


async def subscriber_rows(stack: MallStack, smoke: bool) -> list[Row]:
    levels = (1, 2, 4) if smoke else (1, 100, 1_000)
    rounds = (3, 3, 3) if smoke else (200, 100, 30)
    _allow_open_files(2 * levels[-1] + 1_000)
    mall = stack.mall
    _, product_id = await mall.store_with_product("1.00")
    customer_id = await mall.customer("Subscriber bench")
    bearer = auth_headers("customer", customer_id=customer_id)
    basket_id = await mall.basket(customer_id, product_id, quantity=1)
    backend = await HTTPConnection.open(stack.backend.url, headers=backend_headers())
    changer = Changer(backend, basket_id, product_id, quantity=1)
    url = stack.gateway.ws_url
    arrivals = Arrivals()
    followers: list[Follower] = []
    rows = []
    try:
        # Warm-up: the gateway's first subscriptions and payloads load code and fill caches.
        arrivals.expected = 10
        warm = await follow_many(url, basket_id, arrivals, 10, bearer)
        changer.quantity = await warm[0].first
        for _ in range(3):
            await changer.change(arrivals)
        await close_all(warm)
        floor = await redis_floor(stack.redis_url, 20 if smoke else 300)
        for level, count in zip(levels, rounds, strict=True):
            added = level - len(followers)
            before = gateway_rss(stack.gateway.pid)
            followers += await follow_many(url, basket_id, arrivals, added, bearer)
            await asyncio.sleep(0.1 if smoke else 1.0)
            per_subscriber = (gateway_rss(stack.gateway.pid) - before) / added / 1024
            arrivals.expected = level
            await changer.change(arrivals)  # the first change after opening is not counted
            samples: list[float] = []
            for _ in range(count):
                samples += await changer.change(arrivals)
                await asyncio.sleep(0.005)
            case = f"change → {level:,} subscriber(s)"
            anchor = "Redis XADD→XREAD"
            rows += [
                Row(f"{case} p50", median(samples), "ms", anchor, median(floor),
                    higher_is_better=False),
                Row(f"{case} p99", percentile(samples, 99), "ms", anchor, percentile(floor, 99),
                    higher_is_better=False,
                    target="p99 < 50 ms" if level == levels[-1] else ""),
            ]  # fmt: skip
    finally:
        await close_all(followers)
        await backend.close()
    rows.append(
        Row(f"gateway memory per idle subscriber ({levels[-2]:,} → {levels[-1]:,} open)",
            per_subscriber, "KiB",
            "–", None, higher_is_better=False, target="< 100 KiB")
    )  # fmt: skip
    return rows
