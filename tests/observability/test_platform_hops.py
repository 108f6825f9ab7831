"""The platform hops' metrics and spans on the counter test module: projection batches, event
store appends and concurrency retries."""

from __future__ import annotations

from prometheus_client import REGISTRY

from backend.platform.module import ModuleContext
from backend.platform.projections import ProjectionRunner
from backend.platform.unit_of_work import UnitOfWork
from tests.observability.conftest import Spans
from tests.platform.conftest import context, settings, store  # noqa: F401 (fixtures)
from tests.support.counter import Counter, Totals, increment, repository


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_projection_batch_is_counted_timed_and_traced(
    context: ModuleContext,  # noqa: F811
    spans: Spans,
) -> None:
    labels = {"module": context.name, "projection": "totals"}
    for _ in range(3):
        await increment(context, "x", by=2)
    assert (
        value(
            "mallbots_events_appended_total", module=context.name, stream_type=Counter.stream_type
        )
        == 3
    )
    assert len(spans.named("eventstore append")) == 3
    runner = ProjectionRunner(Totals(), context.unit_of_work)
    assert await runner.catch_up() == 3
    assert value("mallbots_projection_events_applied_total", **labels) == 3
    lag = REGISTRY.get_sample_value("mallbots_projection_lag_seconds", labels)
    assert lag is not None and lag >= 0
    (batch,) = spans.named("projection totals")
    assert (batch.attributes or {})["mallbots.events"] == 3
    assert await runner.catch_up() == 0  # caught up: no span, lag 0
    assert len(spans.named("projection totals")) == 1
    assert REGISTRY.get_sample_value("mallbots_projection_lag_seconds", labels) == 0


async def test_a_version_conflict_is_counted_as_a_retry(
    context: ModuleContext,  # noqa: F811
) -> None:
    repo = repository(context)
    attempts = 0

    async def command(uow: UnitOfWork) -> int:
        nonlocal attempts
        attempts += 1
        counter = await repo.load(uow, "c") or Counter("c")
        if attempts == 1:
            await increment(context, "c")  # another writer moves the stream in between
        counter.increment(1)
        repo.save(uow, counter)
        return counter.total

    assert await context.run_command(command) == 2
    assert attempts == 2
    assert value("mallbots_concurrency_retries_total", module=context.name) == 1
