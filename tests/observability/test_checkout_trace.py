"""One checkout is one trace: from the ``checkoutBasket`` operation through baskets, ordering,
every saga command and reply, depot, payments and the projection update, to the push of the
order's change to a subscriber. A real gateway and backend, spans in memory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from backend.modules import select_modules
from tests.conftest import Servers
from tests.observability.conftest import Spans, checkout
from tests.support.backend import running_backend
from tests.support.gateway import running_gateway
from tests.support.waiting import eventually

HOPS = [
    # topic, consumer group: every message of the checkout, to the module that handles it
    ("mallbots.baskets.events.Basket", "ordering"),
    ("mallbots.ordering.events.Order", "cosec"),
    ("mallbots.customers.commands", "customers"),
    ("mallbots.depot.commands", "depot"),
    ("mallbots.payments.commands", "payments"),
    ("mallbots.ordering.commands", "ordering"),
    ("mallbots.cosec.replies.CreateOrder", "cosec"),
]


def _attr(span: ReadableSpan, key: str) -> Any:
    return (span.attributes or {}).get(key)


def _missing(trace: Sequence[ReadableSpan]) -> list[str]:
    """What the checkout's trace still lacks."""
    names = {s.name for s in trace}
    wanted = ["mutation Checkout", "eventstore append", "push orders"]
    wanted += [f"send {topic}" for topic, _ in HOPS] + ["send mallbots.projections.orders"]
    missing = [name for name in wanted if name not in names]
    processed = {
        (_attr(s, "messaging.destination.name"), _attr(s, "messaging.consumer.group.name"))
        for s in trace
        if s.kind == SpanKind.CONSUMER
    }
    missing += [f"process {t} by {g}" for t, g in HOPS if (t, g) not in processed]
    if not any(s.name.startswith("saga cosec.CreateOrder step") for s in trace):
        missing.append("saga step")
    if not any(s.kind == SpanKind.SERVER and _attr(s, "http.route") for s in trace):
        missing.append("backend server span")
    if not any(s.kind == SpanKind.CLIENT and _attr(s, "http.request.method") for s in trace):
        missing.append("gateway client span")
    if not any(_attr(s, "db.system") == "postgresql" for s in trace):
        missing.append("psycopg span")
    if not any(_attr(s, "db.system") == "redis" for s in trace):
        missing.append("redis span")
    return missing


async def test_one_checkout_is_one_trace_through_every_hop(servers: Servers, spans: Spans) -> None:
    async with (
        running_backend(servers.database_url, servers.redis_url, select_modules(["all"])) as b,
        running_gateway(b.url, servers.redis_url) as gateway,
    ):
        async with checkout(b, gateway):
            pass

        (operation,) = await eventually(
            lambda: _async(spans.named("mutation Checkout")), lambda found: len(found) == 1
        )
        trace_id = operation.context.trace_id
        await eventually(lambda: _async(_missing(spans.of_trace(trace_id))), lambda m: not m)
        trace = spans.of_trace(trace_id)

    assert _attr(operation, "graphql.operation.type") == "mutation"
    assert _attr(operation, "graphql.operation.name") == "Checkout"
    assert _attr(operation, "graphql.document") is None  # off unless enabled
    # a tree: every span's parent is in the same trace, up to the gateway's server span
    ids = {s.context.span_id for s in trace}
    roots = [s for s in trace if s.parent is None or s.parent.span_id not in ids]
    assert len(roots) == 1, [s.name for s in roots]
    assert roots[0].kind == SpanKind.SERVER
    # the messaging spans follow the semantic conventions
    process = next(s for s in trace if s.name == "process mallbots.baskets.events.Basket")
    assert process.kind == SpanKind.CONSUMER
    assert _attr(process, "messaging.system") == "redis"
    assert _attr(process, "messaging.operation.type") == "process"
    assert _attr(process, "messaging.consumer.group.name") == "ordering"
    assert _attr(process, "messaging.message.id")
    send = next(s for s in trace if s.name == "send mallbots.baskets.events.Basket")
    assert send.kind == SpanKind.PRODUCER
    assert _attr(send, "messaging.operation.type") == "send"
    assert _attr(send, "messaging.message.id") == _attr(process, "messaging.message.id")
    assert send.parent is not None
    assert [link.context.span_id for link in send.links] == [send.parent.span_id]
    conversations = {
        _attr(s, "messaging.message.conversation_id") for s in trace if s.name.startswith("process")
    }
    assert len(conversations) == 1 and None not in conversations  # one correlation id
    saga_steps = [s for s in trace if s.name.startswith("saga cosec.CreateOrder step")]
    assert {_attr(s, "mallbots.saga.step") for s in saga_steps} >= {1, 2, 3, 4, 5}
    assert all(_attr(s, "mallbots.saga.compensating") is False for s in saga_steps)
    # no span lasts zero time: the async psycopg and redis instrumentations time the awaited call
    assert all(s.end_time is not None and s.start_time is not None for s in trace)
    timed = [s for s in trace if _attr(s, "db.system") in ("postgresql", "redis")]
    assert all(s.end_time > s.start_time for s in timed)  # type: ignore[operator]


async def _async(value: Any) -> Any:
    return value
