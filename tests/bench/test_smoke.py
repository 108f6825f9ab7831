"""Every benchmark case at a tiny size, so the suite never rots (no timing assertions)."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator

import pytest

from tests.bench.aggregate import load_rows
from tests.bench.checkout import OUTBOX_HOPS, checkout_rows
from tests.bench.eventstore import append_rows
from tests.bench.latency import latency_rows
from tests.bench.mutation import mutation_rows, rate_limit_rows
from tests.bench.observability import observability_rows
from tests.bench.projection import rebuild_rows
from tests.bench.stack import MallStack, mall_stack
from tests.bench.subscribers import subscriber_rows
from tests.conftest import Servers


async def test_event_store_benchmark_runs_with_its_anchors(servers: Servers) -> None:
    rows = await append_rows(servers.database_url, smoke=True)
    assert len(rows) == 8
    assert all(row.value > 0 and row.anchor and row.anchor > 0 for row in rows)


async def test_latency_benchmark_runs_with_its_anchor(servers: Servers) -> None:
    rows = await latency_rows(servers.database_url, servers.redis_url, smoke=True)
    assert [row.case for row in rows] == ["commit → handler p50", "commit → handler p99"]
    assert all(math.isfinite(row.value) and row.value > 0 for row in rows)


async def test_projection_rebuild_benchmark_runs_with_its_anchor(servers: Servers) -> None:
    (row,) = await rebuild_rows(servers.database_url, servers.redis_url, smoke=True)
    assert row.value > 0 and row.anchor and row.anchor > 0


async def test_aggregate_load_benchmark_runs_with_its_anchor(servers: Servers) -> None:
    rows = await load_rows(servers.database_url, servers.redis_url, smoke=True)
    assert [row.case for row in rows] == [
        "aggregate load, 10 events", "aggregate load, 100 events", "aggregate load, 1,000 events",
    ]  # fmt: skip
    assert all(row.value > 0 and row.anchor and row.anchor > 0 for row in rows)


@pytest.fixture(scope="module")
async def stack(servers: Servers) -> AsyncIterator[MallStack]:
    """One backend process and one gateway process for the gateway cases."""
    async with mall_stack(servers.database_url, servers.redis_url) as running:
        yield running


async def test_mutation_benchmark_runs_with_its_anchor(stack: MallStack) -> None:
    rows = await mutation_rows(stack, smoke=True)
    assert len(rows) == 9
    assert rows[0].case == "addBasketItem via gateway, 1 client(s)"
    limited = await rate_limit_rows(stack, smoke=True)
    assert [row.case for row in limited] == [
        "addBasketItem via gateway, 4 client(s), rate limiting on",
        "addBasketItem via gateway, 4 client(s), rate limiting on p50",
    ]
    assert all(row.anchor_name == "the same, rate limiting off" for row in limited)
    assert all(row.value > 0 and row.anchor and row.anchor > 0 for row in limited)
    assert all(row.value > 0 and row.anchor and row.anchor > 0 for row in rows)


async def test_checkout_benchmark_runs_with_its_anchor(stack: MallStack) -> None:
    rows = await checkout_rows(stack, smoke=True)
    assert [row.case for row in rows] == [
        "checkout → APPROVED at subscriber p50", "checkout → APPROVED at subscriber p99",
    ]  # fmt: skip
    assert all(row.value > 0 for row in rows)
    assert OUTBOX_HOPS == 12
    assert rows[0].anchor == pytest.approx(3000, rel=1e-6)  # 12 hops x 250 ms (Irwin-Hall p50)
    assert rows[1].anchor == pytest.approx(4150, abs=10)


async def test_subscriber_benchmark_runs_with_its_anchor(stack: MallStack) -> None:
    rows = await subscriber_rows(stack, smoke=True)
    assert len(rows) == 7
    assert all(row.value > 0 and row.anchor and row.anchor > 0 for row in rows[:-1])
    memory = rows[-1]
    assert memory.case.startswith("gateway memory per idle subscriber")
    assert math.isfinite(memory.value) and memory.anchor is None


async def test_observability_overhead_benchmark_runs_with_its_anchor(servers: Servers) -> None:
    rows = await observability_rows(servers.database_url, servers.redis_url, smoke=True)
    spans, *compared = rows
    assert spans.case == "spans exported per addBasketItem (tracing on)" and spans.value > 1
    assert [row.case for row in compared[::3]] == [
        "addBasketItem, 1 clients, tracing (100%, OTLP) + metrics on",
        "addBasketItem, 1 clients, tracing (10%, OTLP) + metrics on",
        "addBasketItem, 2 clients, tracing (100%, OTLP) + metrics on",
        "addBasketItem, 2 clients, tracing (10%, OTLP) + metrics on",
    ]
    assert compared[2].case.endswith(": gateway + backend CPU per mutation")
    assert all(row.value > 0 and row.anchor and row.anchor > 0 for row in compared)
