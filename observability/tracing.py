"""Tracing with OpenTelemetry: set up from the standard ``OTEL_*`` settings, off unless configured.

Tracing is on when an exporter is configured (``OTEL_TRACES_EXPORTER`` other than ``none``, or an
``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) and
``OTEL_SDK_DISABLED`` is not ``true``. Otherwise every helper here is a no-op that costs one
attribute read, and nothing is exported (``make test`` sets nothing).

The well-kept instrumentations cover the client libraries psycopg and redis. Server spans come
from :mod:`observability.server_spans`, the gateway's client spans to the backend from
:mod:`observability.client_spans` and OTLP/HTTP encoding from :mod:`observability.otlp`: they
cost a fraction of the stock ASGI and aiohttp-client instrumentations and encoder (ADRs 0029,
0030). Our own spans cover the hops that no library knows: ``send <topic>`` (the
relay, PRODUCER), ``process <topic>`` (the consumer, CONSUMER), the event-store append, saga
steps, projection batches and subscription pushes.

Context travels in the message envelope: :func:`inject` writes the current span's W3C
``traceparent``/``tracestate`` into a new message's metadata, and both the relay's send span and
the consumer's process span are *children* of that context (see ADR 0020), so one checkout is one
trace. Background loops (relay polls, consumer reads, the hub's reader) run with instrumentation
suppressed (:func:`untraced_task`): their idle queries would otherwise each start a trace.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any
from urllib.parse import unquote

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, Sampler, TraceIdRatioBased
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from observability import suppression
from observability.client_spans import ClientSpan

MESSAGING_SYSTEM = "redis"
EXCLUDED_PATHS = frozenset(("/healthz", "/readyz", "/metrics"))
"""Probes and scrapes get no server span."""

Attributes = Mapping[str, str | int | float | bool]


@dataclass
class _State:
    enabled: bool = False
    tracer: trace.Tracer = field(default_factory=lambda: trace.NoOpTracer())
    provider: TracerProvider | None = None
    instrumentors: list[Any] = field(default_factory=list)


_state = _State()


def enabled() -> bool:
    return _state.enabled


def configured(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the ``OTEL_*`` settings ask for traces to be exported."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter:
        return exporter != "none"
    return bool(
        environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    )


def version() -> str:
    try:
        return metadata.version("mallbots")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def resource(service_name: str, environ: Mapping[str, str] = os.environ) -> Resource:
    """``service.name`` (``OTEL_SERVICE_NAME`` wins), ``service.version``,
    ``deployment.environment`` (``MALLBOTS_ENV``); ``OTEL_RESOURCE_ATTRIBUTES`` adds to them and
    overrides them (except the service name)."""
    given = dict(
        item.split("=", 1)
        for item in environ.get("OTEL_RESOURCE_ATTRIBUTES", "").split(",")
        if "=" in item
    )
    attributes = {
        "service.namespace": "mallbots",
        "service.version": version(),
        "deployment.environment": environ.get("MALLBOTS_ENV", "production"),
        **{unquote(k.strip()): unquote(v.strip()) for k, v in given.items()},
        "service.name": environ.get("OTEL_SERVICE_NAME") or service_name,
    }
    return Resource.create(attributes)


def sampler(environ: Mapping[str, str] = os.environ) -> Sampler | None:
    """``OTEL_TRACES_SAMPLER`` if given (the SDK reads it), else parent-based ratio sampling at
    ``OTEL_TRACES_SAMPLER_ARG`` (default 1.0)."""
    if environ.get("OTEL_TRACES_SAMPLER"):
        return None
    raw = environ.get("OTEL_TRACES_SAMPLER_ARG", "")
    try:
        ratio = float(raw) if raw else 1.0
    except ValueError as exc:
        raise ValueError(f"OTEL_TRACES_SAMPLER_ARG must be a number, got {raw!r}") from exc
    return ParentBased(TraceIdRatioBased(min(max(ratio, 0.0), 1.0)))


def exporter(environ: Mapping[str, str] = os.environ) -> SpanExporter:
    """The OTLP exporter of ``OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL``: ``http/protobuf`` (default)
    or ``grpc``; endpoint, headers, timeout and compression come from the standard settings."""
    kind = environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() or "otlp"
    if kind == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    if kind != "otlp":
        raise ValueError(f"OTEL_TRACES_EXPORTER must be otlp, console or none, got {kind!r}")
    protocol = (
        environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "http/protobuf"
    )
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
            OTLPSpanExporter as GrpcExporter,
        )

        return GrpcExporter()
    if protocol != "http/protobuf":
        raise ValueError(
            f"OTEL_EXPORTER_OTLP_PROTOCOL must be grpc or http/protobuf, got {protocol!r}"
        )
    from observability.otlp import OTLPSpanExporter

    return OTLPSpanExporter()


def provider_from_env(service_name: str, environ: Mapping[str, str] = os.environ) -> TracerProvider:
    provider = TracerProvider(resource=resource(service_name, environ), sampler=sampler(environ))
    provider.add_span_processor(BatchSpanProcessor(exporter(environ)))
    return provider


def configure(service_name: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Set up tracing for this process if the environment asks for it; whether it did."""
    if not configured(environ):
        return False
    provider = provider_from_env(service_name, environ)
    trace.set_tracer_provider(provider)
    enable(provider)
    return True


def enable(provider: TracerProvider) -> None:
    """Trace with ``provider``: our spans, and the psycopg and redis instrumentations (tests pass
    a provider with an in-memory exporter)."""
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    disable()
    for instrumentor in (PsycopgInstrumentor(), RedisInstrumentor()):
        instrumentor.instrument(tracer_provider=provider, skip_dep_check=True)
        _state.instrumentors.append(instrumentor)
    _state.provider = provider
    _state.tracer = provider.get_tracer("mallbots", version())
    _state.enabled = True


def disable() -> None:
    for instrumentor in _state.instrumentors:
        instrumentor.uninstrument()
    _state.instrumentors.clear()
    _state.provider = None
    _state.tracer = trace.NoOpTracer()
    _state.enabled = False


def instrument_app(app: Any) -> None:
    """Server spans for a Starlette app (named ``METHOD /route/{template}``), if tracing is on.
    WebSocket frames get no span each: the subscription push has its own."""
    if not _state.enabled:
        return
    from observability.server_spans import ServerSpans

    app.add_middleware(ServerSpans, tracer=_state.tracer, excluded=EXCLUDED_PATHS)


def client_span(method: str, url: str, headers: MutableMapping[str, str]) -> ClientSpan:
    """A CLIENT span around an outgoing HTTP request; its trace context goes into ``headers``."""
    return ClientSpan(_state.tracer if _state.enabled else None, method, url, headers)


def untraced_task() -> None:
    """Suppress instrumentation for the rest of the current task (a background loop): its polls
    start no traces. The spans it starts from a message's context trace again."""
    if _state.enabled:
        otel_context.attach(suppression.suppressed())


def inject(metadata: MutableMapping[str, str]) -> None:
    """Write the current span's ``traceparent``/``tracestate`` into a new message's metadata."""
    if _state.enabled and trace.get_current_span().get_span_context().is_valid:
        propagate.inject(metadata)


def context_of(metadata: Mapping[str, str]) -> otel_context.Context:
    """The trace context a message carries (a fresh context: instrumentation not suppressed)."""
    return propagate.extract(metadata, context=otel_context.Context())


@contextlib.contextmanager
def span(
    name: str,
    attributes: Attributes | None = None,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    parent: Mapping[str, str] | None = None,
    leaf: bool = False,
) -> Iterator[Span]:
    """A span around the block (current inside it), parented by the current span, or by the
    trace context of ``parent`` (a message's metadata). An exception marks it as an error.
    A ``leaf`` span is itself the client call inside it (the event-store append is its one
    statement): the instrumentations make no span beneath it."""
    if not _state.enabled:
        yield trace.INVALID_SPAN
        return
    # A message's context replaces the current one for the block (in a background loop, that
    # lifts the loop's suppression of instrumentation, so the handler's queries are traced).
    # Started and made current by hand: the SDK's ``start_as_current_span`` nests two more
    # generator-based context managers, a noticeable part of a span's cost (ADR 0029).
    base = context_of(parent) if parent is not None else None
    current = _state.tracer.start_span(name, base, kind, attributes)
    token = otel_context.attach(suppression.current(current, base, leaf=leaf))
    try:
        yield current
    except BaseException as exc:
        if current.is_recording():
            current.record_exception(exc)
            current.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
        raise
    finally:
        otel_context.detach(token)
        current.end()


def message_attributes(
    topic: str, operation: str, message_id: str, correlation_id: str, group: str | None = None
) -> dict[str, str]:
    attributes = {
        "messaging.system": MESSAGING_SYSTEM,
        "messaging.destination.name": topic,
        "messaging.operation.type": operation,
        "messaging.operation.name": operation,
        "messaging.message.id": message_id,
        "messaging.message.conversation_id": correlation_id,
    }
    if group is not None:
        attributes["messaging.consumer.group.name"] = group
    return attributes


@contextlib.contextmanager
def process(group: str, topic: str, message: Any) -> Iterator[Span]:
    """``process <topic>``: a CONSUMER span, child of the context the message carries."""
    if not _state.enabled:
        yield trace.INVALID_SPAN
        return
    attributes = message_attributes(topic, "process", message.id, message.correlation_id, group)
    attributes["messaging.message.name"] = message.name
    with span(
        f"process {topic}", attributes, kind=SpanKind.CONSUMER, parent=message.metadata
    ) as current:
        yield current


@contextlib.contextmanager
def send(rows: Sequence[tuple[str, Mapping[str, Any]]]) -> Iterator[None]:
    """``send <topic>``: one PRODUCER span per relayed message (topic, envelope), around the
    pipelined ``XADD``; each a child of the span that wrote the outbox row (one trace) and linked
    to it, as the conventions link a send to the message's creation."""
    if not _state.enabled or not rows:
        yield
        return
    spans = []
    for topic, envelope in rows:
        meta = envelope.get("metadata") or {}
        message_id = str(envelope.get("id", ""))
        attributes = message_attributes(
            topic, "send", message_id, str(meta.get("correlation_id", message_id))
        )
        created = context_of(meta)
        creator = trace.get_current_span(created).get_span_context()
        links = [trace.Link(creator)] if creator.is_valid else None
        spans.append(
            _state.tracer.start_span(
                f"send {topic}", context=created, kind=SpanKind.PRODUCER,
                attributes=attributes, links=links,
            )
        )  # fmt: skip
    # The pipelined XADD runs as a child of the batch's first send span (instrumented again:
    # the relay's loop is untraced), so the trace shows the Redis round trip itself.
    token = otel_context.attach(suppression.current(spans[0], otel_context.Context()))
    try:
        yield
    except BaseException as exc:
        for started in spans:
            started.record_exception(exc)
            started.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        raise
    finally:
        otel_context.detach(token)
        for started in spans:
            started.end()


def trace_ids() -> tuple[str, str] | None:
    """The current (trace id, span id) in hex, for log lines."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")
