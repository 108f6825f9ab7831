"""When the instrumentations (psycopg, redis, our client spans) stay out of a block: beneath a
leaf span, which is itself the client call it covers, beneath a span that is not sampled (with
the built-in samplers nothing beneath it would be: ADR 0030), and in background loops."""

from __future__ import annotations

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY


def current(
    span: trace.Span, base: otel_context.Context | None = None, *, leaf: bool = False
) -> otel_context.Context:
    """``base`` (the current context if None) with ``span`` current, and the instrumentations
    suppressed beneath it if it is a leaf or not sampled."""
    active = trace.set_span_in_context(span, base)
    if leaf or not span.is_recording():
        active = otel_context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True, active)
    return active


def suppressed() -> otel_context.Context:
    """The current context with the instrumentations suppressed."""
    return otel_context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True)


def is_suppressed() -> bool:
    return bool(otel_context.get_value(_SUPPRESS_INSTRUMENTATION_KEY))
