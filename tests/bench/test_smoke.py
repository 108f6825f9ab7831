"""Every benchmark case at a tiny size, so the suite never rots (no timing assertions)."""

from __future__ import annotations

import math

from tests.bench.aggregate import load_rows
from tests.bench.eventstore import append_rows
from tests.bench.latency import latency_rows
from tests.bench.projection import rebuild_rows
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
