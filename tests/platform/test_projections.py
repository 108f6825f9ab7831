"""Projections fed from the global feed: exactly-once effect, concurrent runners, rebuild CLI."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from backend.platform.module import ModuleContext
from backend.platform.projections import ProjectionRunner
from tests.conftest import Servers
from tests.support.counter import Totals, increment


async def totals(ctx: ModuleContext) -> dict[str, tuple[int, int]]:
    async with ctx.pool.connection() as conn:
        cur = await conn.execute(
            f"SELECT counter_id, total, events FROM {ctx.store.table('totals')}"
        )
        return {row[0]: (row[1], row[2]) for row in await cur.fetchall()}


async def test_runner_applies_each_event_once_and_resumes_from_its_checkpoint(
    context: ModuleContext,
) -> None:
    runner = ProjectionRunner(Totals(), context.unit_of_work, batch=3)
    for _ in range(5):
        await increment(context, "x", by=2)
    assert await runner.catch_up() == 5
    assert await runner.catch_up() == 0
    await increment(context, "y", by=7)
    assert await runner.catch_up() == 1
    assert await totals(context) == {"x": (10, 5), "y": (7, 1)}


async def test_concurrent_runners_never_apply_an_event_twice(context: ModuleContext) -> None:
    runners = [ProjectionRunner(Totals(), context.unit_of_work, batch=5) for _ in range(4)]

    async def write() -> None:
        for i in range(60):
            await increment(context, f"c{i % 3}")

    applied = await asyncio.gather(write(), *(r.catch_up() for r in runners))
    rest = sum(await asyncio.gather(*(r.catch_up() for r in runners)))
    assert sum(applied[1:]) + rest == 60
    assert await totals(context) == {"c0": (20, 20), "c1": (20, 20), "c2": (20, 20)}


async def test_rebuild_from_the_cli_restores_a_damaged_read_model(
    context: ModuleContext, servers: Servers
) -> None:
    for i in range(30):
        await increment(context, f"r{i % 2}")
    runner = ProjectionRunner(Totals(), context.unit_of_work)
    await runner.catch_up()
    async with context.pool.connection() as conn:
        await conn.execute(f"UPDATE {context.store.table('totals')} SET total = 0")

    env = {
        **os.environ,
        "DATABASE_URL": servers.database_url,
        "REDIS_URL": servers.redis_url,
        "MALLBOTS_EXTRA_MODULES": "tests.support.counter:modules_from_env",
        "MALLBOTS_TEST_COUNTER_SCHEMA": context.name,
    }
    result = subprocess.run(
        [sys.executable, "-m", "backend.cli", "projections", "rebuild", "totals",
         "--modules", context.name],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "rebuilt totals from 30 event(s)" in result.stdout
    assert "30/30" in result.stderr, "a progress bar counts the events"
    assert await totals(context) == {"r0": (15, 15), "r1": (15, 15)}


async def test_unknown_projection_is_a_clear_cli_error(servers: Servers) -> None:
    env = {**os.environ, "DATABASE_URL": servers.database_url, "REDIS_URL": servers.redis_url}
    result = subprocess.run(
        [sys.executable, "-m", "backend.cli", "projections", "rebuild", "nope",
         "--modules", "stores"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 2
    assert "mallbots: no projection named 'nope'" in result.stderr
