"""Transient failures are retried for as long as they last; permanent ones go to the DLQ.

Real PostgreSQL and Redis; the handler itself raises the errors an outage produces (the fault
suite in ``tests/faults`` produces them with real stopped servers and processes).
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
from prometheus_client import REGISTRY
from psycopg_pool import PoolTimeout

from backend.platform.consumer import DLQ_SUFFIX, DeliverySettings, StreamConsumer, Subscription
from backend.platform.errors import BadRequest
from backend.platform.eventstore import ConcurrencyError
from backend.platform.failures import is_transient
from backend.platform.messages import ENVELOPE_FIELD, Message, decode_payload, new_message
from backend.platform.module import ModuleContext
from backend.platform.services import ServiceUnavailable
from backend.platform.streams import list_dead_letters
from backend.platform.unit_of_work import UnitOfWork
from tests.support.counter import CounterIncremented, record_effect, topic_of
from tests.support.waiting import eventually

from .test_messaging import effects


class ScriptedHandler:
    """Raises the scripted errors one delivery after the other, then records the effect."""

    def __init__(self, errors: list[Exception]) -> None:
        self.errors: Iterator[Exception] = iter(errors)
        self.calls = 0

    async def __call__(self, uow: UnitOfWork, message: Message) -> None:
        self.calls += 1
        error = next(self.errors, None)
        if error is not None:
            decode_payload(message, CounterIncremented)
            raise error
        await record_effect(uow, message)


def scripted_consumer(
    ctx: ModuleContext, handler: ScriptedHandler, max_deliveries: int = 3
) -> StreamConsumer:
    topic = topic_of(ctx.name)
    name = CounterIncremented.message_name
    return StreamConsumer(
        ctx.name,
        [Subscription(topic, frozenset({name}), {name: handler})],
        ctx.redis,
        ctx.unit_of_work,
        DeliverySettings(
            max_deliveries=max_deliveries,
            retry_base_seconds=0.01,
            retry_max_seconds=0.05,
            block_ms=20,
        ),
    )


async def publish(ctx: ModuleContext, counter: str) -> Message:
    message = new_message(topic_of(ctx.name), CounterIncremented(counter, 1))
    await ctx.redis.xadd(message.subject, {ENVELOPE_FIELD: message.to_json()})
    return message


async def drain(consumer: StreamConsumer, topic: str) -> None:
    """Poll and retry until the group has nothing pending."""

    async def step() -> int:
        await consumer.retry_pending()
        await consumer.poll(10)
        return int((await consumer.redis.xpending(topic, consumer.group))["pending"])

    await eventually(step, lambda pending: pending == 0, timeout=30, interval=0.005)


def retries(labels: dict[str, str], kind: str) -> float:
    """The exported ``mallbots_consumer_retries_total`` of one group, topic and kind."""
    sample = REGISTRY.get_sample_value("mallbots_consumer_retries_total", {**labels, "kind": kind})
    return sample or 0.0


def outage_errors() -> list[Exception]:
    return [
        ServiceUnavailable("the stores module is unavailable: connection refused"),
        PoolTimeout("couldn't get a connection after 10.00 sec"),
        psycopg.errors.SerializationFailure("could not serialize access"),
        psycopg.OperationalError("server closed the connection unexpectedly"),
        ConcurrencyError("stream moved on"),
        ConnectionRefusedError("redis"),
    ]


def test_outages_and_races_are_transient_and_domain_errors_are_not() -> None:
    assert all(is_transient(error) for error in outage_errors())
    wrapped = RuntimeError("handler failed")
    wrapped.__cause__ = PoolTimeout("no connection")
    assert is_transient(wrapped)
    assert not is_transient(BadRequest("the order cannot be readied"))
    assert not is_transient(ValueError("bug"))
    assert not is_transient(psycopg.errors.UniqueViolation("duplicate key"))


async def test_transient_failures_are_retried_past_max_deliveries_and_never_dead_lettered(
    context: ModuleContext,
) -> None:
    errors = outage_errors() * 2  # 12 failed deliveries, with max_deliveries = 3
    handler = ScriptedHandler(errors)
    consumer = scripted_consumer(context, handler)
    await consumer.ensure_groups()
    message = await publish(context, "outage")

    await drain(consumer, message.subject)

    assert await effects(context) == [(message.id, "outage", 1)]
    assert handler.calls == len(errors) + 1
    assert consumer.counts["transient"] == len(errors)
    labels = {"group": context.name, "topic": message.subject}
    assert retries(labels, "transient") == len(errors)
    assert retries(labels, "permanent") == 0
    assert await context.redis.xlen(message.subject + DLQ_SUFFIX) == 0
    assert not await context.redis.hgetall(consumer.errors_key)


async def test_permanent_failures_count_towards_the_dlq_whatever_transient_ones_came_first(
    context: ModuleContext,
) -> None:
    refusal = BadRequest("the order cannot be readied")
    handler = ScriptedHandler([*outage_errors(), refusal, refusal, refusal])
    consumer = scripted_consumer(context, handler, max_deliveries=3)
    await consumer.ensure_groups()
    message = await publish(context, "refused")

    await drain(consumer, message.subject)

    (letter,) = await list_dead_letters(context.redis, message.subject + DLQ_SUFFIX)
    assert letter.error == "BadRequest: the order cannot be readied"
    assert letter.deliveries == 3, "only the permanent failures count"
    assert handler.calls == len(outage_errors()) + 3
    assert await effects(context) == []


async def test_a_domain_error_then_success_takes_effect_once(context: ModuleContext) -> None:
    """A refusal that a later delivery overcomes (a message that overtook another) is retried."""
    handler = ScriptedHandler([BadRequest("not yet"), PoolTimeout("busy"), BadRequest("not yet")])
    consumer = scripted_consumer(context, handler, max_deliveries=3)
    await consumer.ensure_groups()
    message = await publish(context, "late")

    await drain(consumer, message.subject)

    assert await effects(context) == [(message.id, "late", 1)]
    assert await context.redis.xlen(message.subject + DLQ_SUFFIX) == 0


async def test_unknown_message_names_are_acknowledged_and_counted_not_dead_lettered(
    context: ModuleContext,
) -> None:
    """Tolerant reader: a producer deployed before its consumers does not fill their DLQs."""
    handler = ScriptedHandler([])
    consumer = scripted_consumer(context, handler)
    await consumer.ensure_groups()
    topic = topic_of(context.name)
    newer = new_message(topic, CounterIncremented("x", 1)).to_json()
    newer = newer.replace(CounterIncremented.message_name, "counter.CounterReset")
    await context.redis.xadd(topic, {ENVELOPE_FIELD: newer})
    good = await publish(context, "after-the-new-one")

    await drain(consumer, topic)

    assert await effects(context) == [(good.id, "after-the-new-one", 1)]
    assert handler.calls == 1
    assert consumer.counts["unknown"] == 1
    assert await context.redis.xlen(topic + DLQ_SUFFIX) == 0
