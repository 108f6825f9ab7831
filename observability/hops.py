"""One call per hop of the backend platform: its span (if tracing is on) and its metrics.

The platform calls these at each hop (``backend/platform/eventstore.py``, ``relay.py``,
``consumer.py``, ``projections.py``, ``module.py``, ``saga_runner.py``), so that the instrumentation
is here and each hook there is one line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Iterator, Sequence
from typing import Any

import orjson
from opentelemetry.trace import SpanKind

from observability import logs, metrics, tracing


@contextlib.contextmanager
def append(module: str, stream_type: str, events: int, outbox: int) -> Iterator[None]:
    """The event-store append statement (events and outbox rows of one stream): a CLIENT span
    of PostgreSQL, the statement's own (psycopg's would repeat it beneath)."""
    start = time.perf_counter()
    attributes: tracing.Attributes = {
        "db.system": "postgresql",
        "mallbots.module": module,
        "mallbots.stream_type": stream_type,
        "mallbots.events": events,
        "mallbots.outbox_messages": outbox,
    }
    with tracing.span("eventstore append", attributes, kind=SpanKind.CLIENT, leaf=True):
        yield
    metrics.APPEND_DURATION.labels(module).observe(time.perf_counter() - start)
    metrics.EVENTS_APPENDED.labels(module, stream_type).inc(events)


@contextlib.contextmanager
def relay_batch(module: str, rows: Sequence[tuple[Any, str, str]]) -> Iterator[None]:
    """One relay batch of outbox rows (position, topic, envelope JSON): a ``send <topic>`` span
    per message, the publish duration and count."""
    start = time.perf_counter()
    envelopes: list[tuple[str, Any]] = []
    if tracing.enabled():
        envelopes = [(topic, orjson.loads(message)) for _, topic, message in rows]
    with tracing.send(envelopes):
        yield
    metrics.RELAY_DURATION.labels(module).observe(time.perf_counter() - start)
    metrics.RELAY_PUBLISHED.labels(module).inc(len(rows))


@contextlib.contextmanager
def delivery(group: str, topic: str, message: Any, handled: bool) -> Iterator[None]:
    """One delivery of ``message`` to the group's handler (``handled``: it has one), inside a
    ``process <topic>`` span. An exception counts as ``failed`` (the delivery is retried)."""
    start = time.perf_counter()
    outcome = "failed"
    try:
        with logs.handling(group, message.correlation_id), tracing.process(group, topic, message):
            yield
        outcome = "handled" if handled else "ignored"
    finally:
        metrics.DELIVERIES.labels(group, topic, outcome).inc()
        metrics.PROCESSING_DURATION.labels(group, topic).observe(time.perf_counter() - start)


def dead_lettered(group: str, topic: str) -> None:
    metrics.DELIVERIES.labels(group, topic, "dead_lettered").inc()


def retried(group: str, topic: str, *, transient: bool) -> None:
    """A failed delivery that will be retried (``backend.platform.failures`` classifies it)."""
    metrics.RETRIES.labels(group, topic, "transient" if transient else "permanent").inc()


def unknown_message(group: str, topic: str) -> None:
    """A name the topic's producer does not define, acknowledged (tolerant reader)."""
    metrics.DELIVERIES.labels(group, topic, "unknown").inc()


def concurrency_retry(module: str) -> None:
    metrics.CONCURRENCY_RETRIES.labels(module).inc()


@contextlib.contextmanager
def projection_batch(module: str, projection: str, events: Sequence[Any]) -> Iterator[None]:
    """A projection runner applying ``events`` (each with ``recorded_at``)."""
    if not events:
        metrics.PROJECTION_LAG.labels(module, projection).set(0)
        yield
        return
    attributes: tracing.Attributes = {
        "mallbots.module": module,
        "mallbots.projection": projection,
        "mallbots.events": len(events),
    }
    with tracing.span(f"projection {projection}", attributes):
        yield
    metrics.PROJECTION_APPLIED.labels(module, projection).inc(len(events))
    age = (dt.datetime.now(dt.UTC) - events[-1].recorded_at).total_seconds()
    metrics.PROJECTION_LAG.labels(module, projection).set(max(age, 0.0))


@contextlib.contextmanager
def saga_step(transition: Any) -> Iterator[None]:
    """A saga transition (``backend.platform.saga.Transition``): the step that answered a reply,
    started the saga or timed out, and the command it sends next, whose message is created inside
    this span. Counts sagas started and finished, the commands sent, and the saga's duration
    (from the first command it sent)."""
    state = transition.state
    history = state.history
    answered = [entry for entry in history if entry.outcome != "PENDING"]
    pending = history[-1] if history and history[-1].outcome == "PENDING" else None
    outcome = answered[-1].outcome if answered else "STARTED"
    direction = "compensating" if state.compensating else "forward"
    attributes: tracing.Attributes = {
        "mallbots.saga.name": state.name,
        "mallbots.saga.step": state.step,
        "mallbots.saga.outcome": outcome,
        "mallbots.saga.compensating": bool(state.compensating),
        "mallbots.saga.done": bool(state.done),
    }
    with tracing.span(f"saga {state.name} step {state.step}", attributes):
        yield
    if len(history) == 1 and pending is not None and getattr(pending, "sends", 1) <= 1:
        metrics.SAGAS_STARTED.labels(state.name).inc()
    if transition.command is not None:
        metrics.SAGA_STEPS.labels(state.name, str(state.step), direction).inc()
    if state.done:
        label = "compensated" if state.compensating else "completed"
        finished = metrics.SAGAS_COMPENSATED if state.compensating else metrics.SAGAS_COMPLETED
        finished.labels(state.name).inc()
        if history:
            began = min(entry.sent_at or entry.at for entry in history)
            seconds = (dt.datetime.now(dt.UTC) - began).total_seconds()
            metrics.SAGA_DURATION.labels(state.name, label).observe(max(seconds, 0.0))
