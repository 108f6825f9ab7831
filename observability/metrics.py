"""The backend's Prometheus metrics, and the ``/metrics`` endpoint of every process.

Names follow the Prometheus conventions: the ``mallbots_`` prefix, base units (``_seconds``),
``_total`` for counters. Labels are bounded: module, route template, command name, topic, consumer
group, saga name, outcome; never an id.

One registry per process (the client's default), not the client's multiprocess mode: every
backend or gateway process is one uvicorn worker and its own scrape target (a pod, or a port of
its own), and the gauges that describe shared state (outbox, streams, DLQs, sagas) are read from
PostgreSQL and Redis by :mod:`observability.sampler`, so any process reports them correctly. See
ADR 0020.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import prometheus_client
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from observability import logs

prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]

ENABLED = os.environ.get("MALLBOTS_METRICS", "on").strip().lower() != "off"
"""``MALLBOTS_METRICS=off`` records nothing (the benchmark's baseline); ``/metrics`` then serves
only the client's process metrics."""


class _Off:
    """What every metric is when metrics are off: accepts every call, records nothing."""

    def labels(self, *values: str) -> _Off:
        return self

    def inc(self, amount: float = 1) -> None: ...
    def dec(self, amount: float = 1) -> None: ...
    def set(self, value: float) -> None: ...
    def observe(self, value: float) -> None: ...


OFF: Any = _Off()


def counter(name: str, doc: str, labels: Sequence[str] = ()) -> Any:
    return Counter(name, doc, labels) if ENABLED else OFF


def gauge(name: str, doc: str, labels: Sequence[str] = ()) -> Any:
    return Gauge(name, doc, labels) if ENABLED else OFF


def histogram(name: str, doc: str, labels: Sequence[str], buckets: Sequence[float]) -> Any:
    return Histogram(name, doc, labels, buckets=buckets) if ENABLED else OFF


FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
"""Buckets (seconds) of requests, commands, appends and deliveries."""
SLOW = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
"""Buckets (seconds) of whole sagas."""

# --- HTTP API and commands ---

HTTP_REQUESTS = counter(
    "mallbots_http_requests",
    "Backend HTTP API requests, by route template and status.",
    ["module", "method", "route", "status"],
)
HTTP_DURATION = histogram(
    "mallbots_http_request_duration_seconds",
    "Backend HTTP API request duration.",
    ["module", "method", "route"],
    buckets=FAST,
)
COMMANDS = counter(
    "mallbots_commands",
    "Commands (every non-GET endpoint), by outcome: success, rejected (4xx), conflict, error.",
    ["module", "command", "outcome"],
)
COMMAND_DURATION = histogram(
    "mallbots_command_duration_seconds",
    "Command duration, from request to answer.",
    ["module", "command"],
    buckets=FAST,
)
CONCURRENCY_RETRIES = counter(
    "mallbots_concurrency_retries",
    "Commands reloaded and retried after a version conflict.",
    ["module"],
)

# --- event store and outbox ---

EVENTS_APPENDED = counter(
    "mallbots_events_appended", "Events appended to the event store.", ["module", "stream_type"]
)
APPEND_DURATION = histogram(
    "mallbots_eventstore_append_duration_seconds",
    "Duration of one append statement (events and outbox rows).",
    ["module"],
    buckets=FAST,
)
OUTBOX_MESSAGES = gauge(
    "mallbots_outbox_messages", "Outbox rows waiting for the relay.", ["module"]
)
OUTBOX_OLDEST_AGE = gauge(
    "mallbots_outbox_oldest_age_seconds",
    "Age of the oldest outbox row (0 when the outbox is empty).",
    ["module"],
)
OUTBOX_PARKED = gauge(
    "mallbots_outbox_parked_messages",
    "Outbox rows Redis refused for good, parked in outbox_parked for an operator.",
    ["module"],
)
RELAY_PUBLISHED = counter(
    "mallbots_relay_messages_published", "Messages the relay moved to Redis.", ["module"]
)
RELAY_DURATION = histogram(
    "mallbots_relay_publish_duration_seconds",
    "Duration of one relay batch: pipelined XADD and the outbox delete.",
    ["module"],
    buckets=FAST,
)

# --- consumers and streams ---

DELIVERIES = counter(
    "mallbots_consumer_deliveries",
    "Stream deliveries by outcome: handled, ignored (no handler), unknown (a name the producer"
    " does not define; acknowledged), duplicate, failed (retried),"
    " dead_lettered.",
    ["group", "topic", "outcome"],
)
RETRIES = counter(
    "mallbots_consumer_retries",
    "Failed deliveries that will be retried, by kind: transient (an outage or a lost race; never"
    " dead-lettered) or permanent (counts towards the DLQ).",
    ["group", "topic", "kind"],
)
PROCESSING_DURATION = histogram(
    "mallbots_consumer_processing_duration_seconds",
    "Duration of one delivery: inbox, handler and commit.",
    ["group", "topic"],
    buckets=FAST,
)
STREAM_LAG = gauge(
    "mallbots_stream_lag_messages",
    "Entries of the topic that the group has not read yet.",
    ["group", "topic"],
)
STREAM_PENDING = gauge(
    "mallbots_stream_pending_messages",
    "Entries the group has read but not acknowledged (being handled or retried).",
    ["group", "topic"],
)
DLQ_MESSAGES = gauge(
    "mallbots_dlq_messages", "Entries in the topic's dead-letter stream.", ["topic"]
)

# --- sagas ---

SAGAS_STARTED = counter("mallbots_sagas_started", "Sagas started.", ["saga"])
SAGAS_COMPLETED = counter("mallbots_sagas_completed", "Sagas that finished every step.", ["saga"])
SAGAS_COMPENSATED = counter(
    "mallbots_sagas_compensated", "Sagas that finished by compensating.", ["saga"]
)
SAGA_STEPS = counter(
    "mallbots_saga_steps",
    "Saga commands sent, by step and direction (forward, compensating).",
    ["saga", "step", "direction"],
)
SAGA_DURATION = histogram(
    "mallbots_saga_duration_seconds",
    "Duration of finished sagas, by outcome (completed, compensated).",
    ["saga", "outcome"],
    buckets=SLOW,
)
SAGAS_STUCK = gauge(
    "mallbots_sagas_stuck",
    "Unfinished sagas that have not moved for longer than MALLBOTS_SAGA_STUCK_SECONDS.",
    ["saga"],
)

# --- projections and the pool ---

PROJECTION_APPLIED = counter(
    "mallbots_projection_events_applied",
    "Events applied by a projection runner.",
    ["module", "projection"],
)
PROJECTION_LAG = gauge(
    "mallbots_projection_lag_seconds",
    "Age of the last event a projection applied when it applied it (0 when caught up).",
    ["module", "projection"],
)
POOL_CONNECTIONS = gauge(
    "mallbots_db_pool_connections", "Connections of the process's pool, by state.", ["state"]
)
POOL_MAX = gauge("mallbots_db_pool_max_connections", "Maximum size of the process's pool.")
POOL_WAITING = gauge(
    "mallbots_db_pool_waiting_requests", "Requests waiting for a connection of the pool."
)


def endpoint(module: str, method: str, route: str, name: str) -> EndpointMetrics:
    """The metrics of an endpoint; every method but GET is a command named ``name``."""
    return EndpointMetrics(module, method, route, None if method == "GET" else name)


def command_outcome(status: int) -> str:
    if status < 400:
        return "success"
    if status == 409:
        return "conflict"
    if status < 500:
        return "rejected"
    return "error"


class EndpointMetrics:
    """The metrics of one HTTP endpoint, labelled once when its route is built."""

    def __init__(self, module: str, method: str, route: str, command: str | None) -> None:
        self.module, self.method, self.route, self.command = module, method, route, command
        self._duration = HTTP_DURATION.labels(module, method, route)
        self._command_duration = (
            COMMAND_DURATION.labels(module, command) if command is not None else None
        )
        self._requests: dict[int, Any] = {}

    def wrap(self, serve: Callable[[Request], Awaitable[Response]]) -> Callable[..., Any]:
        """``serve`` (a route's endpoint), counted and timed by the status it answers; its log
        records carry the module and the request's ``X-Correlation-Id``."""

        async def observed(request: Request) -> Response:
            start = time.perf_counter()
            correlation_id = request.headers.get("x-correlation-id", "")[:100]
            with logs.handling(self.module, correlation_id):
                response = await serve(request)
            self.record(response.status_code, time.perf_counter() - start)
            return response

        return observed

    def record(self, status: int, seconds: float) -> None:
        counter = self._requests.get(status)
        if counter is None:
            counter = self._requests[status] = HTTP_REQUESTS.labels(
                self.module, self.method, self.route, str(status)
            )
        counter.inc()
        self._duration.observe(seconds)
        if self._command_duration is not None and self.command is not None:
            COMMANDS.labels(self.module, self.command, command_outcome(status)).inc()
            self._command_duration.observe(seconds)


async def serve_metrics(request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def serve_metrics_to_scrapers(request: Request) -> Response:
    """Not to a request that came through a proxy (the gateway's load balancer marks each with
    ``X-Forwarded-For``): Prometheus scrapes the pods themselves, and a load balancer's rule on
    the path alone can be passed by percent-encoding it (``/%6Detrics``)."""
    if "x-forwarded-for" in request.headers or "forwarded" in request.headers:
        return Response("Not Found", status_code=404, media_type="text/plain")
    return await serve_metrics(request)


def route(*, public_edge: bool = False) -> Route:
    """``GET /metrics``: unauthenticated, like the probes; on the ``public_edge`` (the gateway),
    only to those who reach the process directly."""
    return Route(
        "/metrics", serve_metrics_to_scrapers if public_edge else serve_metrics, methods=["GET"]
    )
