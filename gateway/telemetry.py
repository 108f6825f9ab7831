"""The gateway's metrics and spans: GraphQL operations, subscriptions, WebSockets, pushes.

One span per operation (``mutation checkoutBasket``, with ``graphql.operation.type`` and
``graphql.operation.name``; the document only with ``MALLBOTS_TRACE_GRAPHQL_DOCUMENT``, never the
variables), around its execution, so the backend calls it makes are its children. No span per
resolver unless ``MALLBOTS_TRACE_GRAPHQL_RESOLVERS`` is set: Strawberry's own extension makes one
per field, which costs more than the operation itself on wide selections.

Operation names are client-chosen, so the metrics keep at most :data:`MAX_OPERATION_NAMES`
distinct ones; later names, and names that are not GraphQL names, count as ``_other``.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from gateway.errors import default_code
from observability import logs, tracing
from observability.metrics import FAST, counter, gauge, histogram

MAX_OPERATION_NAMES = 200
ANONYMOUS = "_anonymous"
OTHER = "_other"
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")

OPERATIONS = counter(
    "mallbots_graphql_operations",
    "GraphQL operations by type, name and outcome (success, error).",
    ["type", "name", "outcome"],
)
OPERATION_DURATION = histogram(
    "mallbots_graphql_operation_duration_seconds",
    "Duration of GraphQL queries and mutations, parsing to response.",
    ["type", "name"],
    buckets=FAST,
)
ERRORS = counter("mallbots_graphql_errors", "GraphQL errors by extensions.code.", ["code"])
ACTIVE_SUBSCRIPTIONS = gauge(
    "mallbots_graphql_active_subscriptions",
    "Subscriptions running, by field and transport.",
    ["field", "transport"],
)
WEBSOCKET_CONNECTIONS = gauge(
    "mallbots_graphql_websocket_connections", "Open GraphQL WebSocket connections.", ["protocol"]
)
PUSHES = counter(
    "mallbots_graphql_subscription_pushes",
    "Live subscription payloads written to clients, by projection.",
    ["projection"],
)


class BoundedNames:
    """Operation names as metric labels: the first ``limit`` distinct names, then ``_other``."""

    def __init__(self, limit: int = MAX_OPERATION_NAMES) -> None:
        self.limit = limit
        self._seen: set[str] = set()

    def __call__(self, name: str | None) -> str:
        if not name:
            return ANONYMOUS
        if name in self._seen:
            return name
        if len(self._seen) >= self.limit or not _NAME.fullmatch(name):
            return OTHER
        self._seen.add(name)
        return name


operation_names = BoundedNames()


def _operation_type(execution_context: Any) -> str:
    try:
        return str(execution_context.operation_type.value)
    except Exception:  # no document, or no such operation: the error says which
        return "unknown"


def _error_codes(result: Any) -> list[str]:
    codes = []
    for error in getattr(result, "errors", None) or ():
        extensions = getattr(error, "extensions", None) or {}
        code = extensions.get("code") if isinstance(extensions, dict) else None
        codes.append(str(code) if code else default_code(error.formatted))
    return codes


class GraphQLTelemetry(SchemaExtension):
    """Metrics of every operation; a span around the execution of each, if tracing is on."""

    trace_document = False

    def on_operation(self) -> Iterator[None]:
        start = time.perf_counter()
        correlation_id = getattr(self.execution_context.context, "correlation_id", "")
        with logs.handling("gateway", str(correlation_id)):
            yield
        context = self.execution_context
        kind = _operation_type(context)
        name = operation_names(context.operation_name)
        codes = _error_codes(context.result)
        for code in codes:
            ERRORS.labels(code).inc()
        OPERATIONS.labels(kind, name, "error" if codes else "success").inc()
        if kind != "subscription":  # a subscription lasts as long as the client wants
            OPERATION_DURATION.labels(kind, name).observe(time.perf_counter() - start)

    def on_execute(self) -> Iterator[None]:
        if not tracing.enabled():
            yield
            return
        context = self.execution_context
        kind = _operation_type(context)
        attributes = {"graphql.operation.type": kind}
        if context.operation_name:
            attributes["graphql.operation.name"] = context.operation_name
        if self.trace_document and context.query:
            attributes["graphql.document"] = context.query
        name = f"{kind} {context.operation_name}" if context.operation_name else kind
        with tracing.span(name, attributes) as span:
            yield
            codes = _error_codes(context.result)
            if codes:
                span.set_attribute("graphql.error.codes", codes)


class ResolverSpans(GraphQLTelemetry):
    """Also one span per resolved field (``MALLBOTS_TRACE_GRAPHQL_RESOLVERS``)."""

    async def resolve(
        self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any
    ) -> Any:
        if not tracing.enabled():
            return await _await(_next(root, info, *args, **kwargs))
        field = f"{info.parent_type.name}.{info.field_name}"
        with tracing.span(f"resolve {field}", {"graphql.field.path": field}):
            return await _await(_next(root, info, *args, **kwargs))


async def _await(value: Any) -> Any:
    if hasattr(value, "__await__"):
        return await value
    return value


def extension(*, document: bool, resolvers: bool) -> Callable[[], SchemaExtension]:
    """The telemetry extension as configured (a fresh one per operation)."""
    cls = ResolverSpans if resolvers else GraphQLTelemetry

    def make() -> SchemaExtension:
        made = cls()
        made.trace_document = document
        return made

    return make


def transport_of(message_type: str | None) -> str:
    """A subscription's transport, from its live sink's frame type (no sink: SSE)."""
    return {"next": "graphql-transport-ws", "data": "graphql-ws"}.get(message_type or "", "sse")


@contextlib.asynccontextmanager
async def active_subscription(field: str, transport: str) -> AsyncIterator[None]:
    gauge = ACTIVE_SUBSCRIPTIONS.labels(field, transport)
    gauge.inc()
    try:
        yield
    finally:
        gauge.dec()


@contextlib.asynccontextmanager
async def websocket_connection(protocol: str) -> AsyncIterator[None]:
    gauge = WEBSOCKET_CONNECTIONS.labels(protocol)
    gauge.inc()
    try:
        yield
    finally:
        gauge.dec()


@contextlib.contextmanager
def push(projection: str, cursor: str, metadata: Any) -> Iterator[None]:
    """``push <projection>``: one live payload written to one client, a child of the context the
    projection update carries (the command that changed the read model)."""
    PUSHES.labels(projection).inc()
    if not tracing.enabled():
        yield
        return
    attributes = {"mallbots.projection": projection, "mallbots.cursor": cursor}
    with tracing.span(f"push {projection}", attributes, parent=metadata or {}):
        yield
