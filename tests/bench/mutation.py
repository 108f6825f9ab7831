"""Mutation latency and throughput: ``addBasketItem`` through gateway → backend → PostgreSQL at
1, 16 and 64 concurrent clients. Anchor: a no-op Strawberry mutation on the same server stack
(:mod:`tests.bench.noop_server`), driven by the same client at the same concurrency."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson

from backend.platform.embedded import free_port
from tests.bench.clients import BenchError, HTTPConnection
from tests.bench.noop_server import NOOP
from tests.bench.report import Row, median, percentile
from tests.bench.stack import MallStack, gateway_process, server_process
from tests.support.auth import JWT_SECRET, auth_headers

ADD_ITEM = """mutation($input: AddBasketItemInput!) {
  addBasketItem(input: $input) { basket { id total items { productId quantity } } } }"""

PRODUCTS = 10
"""Each client cycles through this many products, so a basket takes 10 × 1,000 additions
before an item reaches the basket's largest quantity."""


@dataclass
class Load:
    rate: float
    latencies: list[float] = field(default_factory=list)


async def drive(
    url: str,
    bodies_of: Callable[[int], list[bytes]],
    clients: int,
    warmup: float,
    seconds: float,
    headers: dict[str, str],
    window: tuple[Callable[[], None], Callable[[], None]] | None = None,
) -> Load:
    """``clients`` connections, each sending its next request (with ``headers``) as soon as the
    last one is answered, for ``warmup`` + ``seconds``; the rate and latencies (ms) of the
    measured part. ``window``: called when the measured part opens (the first request sent
    after the warm-up) and when it closes (the first answer after its end), to take readings of
    the servers over the same span."""
    connections = [await HTTPConnection.open(url, headers) for _ in range(clients)]
    latencies: list[float] = []
    completed = 0
    start = time.perf_counter() + warmup
    end = start + seconds
    pending = list(window or ())
    """The window's calls still to make: when it opens, when it closes."""

    def edge() -> None:
        pending.pop(0)()

    async def client(index: int) -> None:
        nonlocal completed
        connection, bodies = connections[index], bodies_of(index)
        n = 0
        while (sent := time.perf_counter()) < end:
            if sent >= start and len(pending) == 2:
                edge()
            status, body = await connection.request("POST", "/graphql", bodies[n % len(bodies)])
            answered = time.perf_counter()
            if answered > end and len(pending) == 1:
                edge()
            n += 1
            if status != 200 or b'"errors"' in body:
                raise BenchError(f"mutation failed: {status} {body[:300]!r}")
            if sent >= start:
                latencies.append((answered - sent) * 1000)
            if start <= answered <= end:
                completed += 1

    try:
        await asyncio.gather(*(client(i) for i in range(clients)))
    finally:
        for connection in connections:
            await connection.close()
    if len(pending) == 1:  # no answer came after the end: the window closes with the load
        edge()
    return Load(completed / seconds, latencies)


def _body(query: str, variables: dict[str, object] | None = None) -> bytes:
    return orjson.dumps({"query": query, "variables": variables})


async def mutation_rows(stack: MallStack, smoke: bool) -> list[Row]:
    levels = (1, 2, 4) if smoke else (1, 16, 64)
    add_item, bearer = await add_item_bodies(stack, max(levels))

    def noop(index: int) -> list[bytes]:
        return [_body(NOOP)]

    warmup, seconds = (0.1, 0.3) if smoke else (1.0, 5.0)
    port = free_port()
    rows = []
    anchor_args = ["-m", "tests.bench.noop_server", "--port", str(port)]
    async with server_process(anchor_args, {"MALLBOTS_JWT_SECRET": JWT_SECRET}, port) as (anchor):
        for clients in levels:
            ours = await drive(stack.gateway.url, add_item, clients, warmup, seconds, bearer)
            ceiling = await drive(anchor.url, noop, clients, warmup, seconds, bearer)
            case = f"addBasketItem via gateway, {clients} client(s)"
            name = "no-op Strawberry mutation"
            target = "≥ 0.5× no-op" if clients == max(levels) else ""
            rows += [
                Row(case, ours.rate, "mutations/s", name, ceiling.rate, target=target),
                Row(f"{case} p50", median(ours.latencies), "ms", name,
                    median(ceiling.latencies), higher_is_better=False),
                Row(f"{case} p99", percentile(ours.latencies, 99), "ms", name,
                    percentile(ceiling.latencies, 99), higher_is_better=False),
            ]  # fmt: skip
    return rows


async def add_item_bodies(
    stack: MallStack, clients: int
) -> tuple[Callable[[int], list[bytes]], dict[str, str]]:
    """A store with ``PRODUCTS`` products, a customer with a basket per client: each client's
    ``addBasketItem`` requests, and the customer's bearer header (the anchor checks it too)."""
    mall = stack.mall
    store_id, first = await mall.store_with_product("1.00")
    products = [first] + [
        (await mall.call("POST", "stores", f"/{store_id}/products",
                         {"name": f"Bench product {n}", "price": "1.00"}, 201))["id"]
        for n in range(1, PRODUCTS)
    ]  # fmt: skip
    customer_id = await mall.customer("Mutation bench")
    baskets = [
        str((await mall.call("POST", "baskets", "", {"customer_id": customer_id}, 201))["id"])
        for _ in range(clients)
    ]

    def add_item(index: int) -> list[bytes]:
        return [
            _body(ADD_ITEM, {"input": {"basketId": baskets[index], "productId": p, "quantity": 1}})
            for p in products
        ]

    return add_item, auth_headers("customer", customer_id=customer_id)


async def rate_limit_rows(stack: MallStack, smoke: bool) -> list[Row]:
    """What rate limiting costs: the stack's gateway (limits on, never reached) against a second
    gateway on the same backend with ``MALLBOTS_RATE_LIMIT=off``, in alternating rounds. On a
    stack of its own: the projection updates of its load would delay the cases after it."""
    clients = 4 if smoke else 64
    warmup, seconds = (0.1, 0.3) if smoke else (1.0, 5.0)
    bodies_of, bearer = await add_item_bodies(stack, clients)
    on: list[Load] = []
    off: list[Load] = []
    async with gateway_process(
        stack.backend.url, stack.redis_url, {"MALLBOTS_RATE_LIMIT": "off"}
    ) as unlimited:
        for _ in range(2):
            on.append(await drive(stack.gateway.url, bodies_of, clients, warmup, seconds, bearer))
            off.append(await drive(unlimited.url, bodies_of, clients, warmup, seconds, bearer))
    case = f"addBasketItem via gateway, {clients} client(s), rate limiting on"
    anchor = "the same, rate limiting off"
    return [
        Row(case, sum(x.rate for x in on) / 2, "mutations/s", anchor, sum(x.rate for x in off) / 2),
        Row(f"{case} p50", median([m for x in on for m in x.latencies]), "ms", anchor,
            median([m for x in off for m in x.latencies]), higher_is_better=False),
    ]  # fmt: skip
