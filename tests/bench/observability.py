"""What tracing and metrics cost: ``addBasketItem`` at 16 and 64 clients with tracing on (every
trace sampled, exported over OTLP/HTTP to a receiver on 127.0.0.1 that discards it) and metrics
on, against the same stack with both off (``OTEL_*`` unset, ``MALLBOTS_METRICS=off``), in the
same run. Each configuration is its own backend and gateway processes on a fresh database."""

from __future__ import annotations

import orjson

from tests.bench.mutation import ADD_ITEM, PRODUCTS, drive
from tests.bench.report import Row, median
from tests.bench.stack import MallStack, mall_stack
from tests.support.auth import auth_headers
from tests.support.otlp import otlp_receiver


async def _bodies(stack: MallStack, clients: int) -> tuple[list[list[bytes]], dict[str, str]]:
    """For each client its own basket's ``addBasketItem`` requests, and the customer's token."""
    mall = stack.mall
    store_id, first = await mall.store_with_product("1.00")
    products = [first] + [
        (await mall.call("POST", "stores", f"/{store_id}/products",
                         {"name": f"Bench product {n}", "price": "1.00"}, 201))["id"]
        for n in range(1, PRODUCTS)
    ]  # fmt: skip
    customer_id = await mall.customer("Observability bench")
    baskets = [
        str((await mall.call("POST", "baskets", "", {"customer_id": customer_id}, 201))["id"])
        for _ in range(clients)
    ]
    bodies = [
        [
            orjson.dumps(
                {"query": ADD_ITEM,
                 "variables": {"input": {"basketId": b, "productId": p, "quantity": 1}}}
            )
            for p in products
        ]
        for b in baskets
    ]  # fmt: skip
    return bodies, auth_headers("customer", customer_id=customer_id)


async def _measure(
    database_url: str, redis_url: str, env: dict[str, str], levels: tuple[int, ...], smoke: bool
) -> dict[int, tuple[float, float]]:
    """Per client count: (mutations/s, p50 ms) on a stack started with ``env``."""
    warmup, seconds = (0.1, 0.3) if smoke else (1.0, 5.0)
    results: dict[int, tuple[float, float]] = {}
    async with mall_stack(database_url, redis_url, env) as stack:
        bodies, bearer = await _bodies(stack, max(levels))
        for clients in levels:
            load = await drive(
                stack.gateway.url, lambda i: bodies[i], clients, warmup, seconds, bearer
            )
            results[clients] = (load.rate, median(load.latencies))
    return results


async def observability_rows(database_url: str, redis_url: str, smoke: bool) -> list[Row]:
    levels = (1, 2) if smoke else (16, 64)
    off = await _measure(database_url, redis_url, {"MALLBOTS_METRICS": "off"}, levels, smoke)
    async with otlp_receiver(keep=False) as receiver:
        on_env = {
            "MALLBOTS_METRICS": "on",
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_TRACES_SAMPLER": "always_on",
            "OTEL_BSP_SCHEDULE_DELAY": "200",
        }
        on = await _measure(database_url, redis_url, on_env, levels, smoke)
    if receiver.received == 0:
        raise RuntimeError("tracing was on but the OTLP receiver got no span")
    seconds = 0.3 if smoke else 5.0
    mutations = sum(rate for rate, _ in on.values()) * seconds  # measured; warm-up and set-up
    rows = [  # add spans too, so this overstates a little
        Row("spans exported per addBasketItem (tracing on)", receiver.received / mutations,
            "spans", "", None),
    ]  # fmt: skip
    anchor = "the same, tracing and metrics off"
    for clients in levels:
        case = f"addBasketItem, {clients} clients, tracing (100%, OTLP) + metrics on"
        target = "≥ 0.85× off"
        rows += [
            Row(case, on[clients][0], "mutations/s", anchor, off[clients][0], target=target),
            Row(f"{case} p50", on[clients][1], "ms", anchor, off[clients][1],
                higher_is_better=False),
        ]  # fmt: skip
    return rows
