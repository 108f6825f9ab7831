"""The direct OTLP encoder writes the bytes the library's encoder writes, for every kind of span.

The library's ``encode_spans`` is the reference: the same SDK spans must give byte-identical
``ExportTraceServiceRequest`` messages (protobuf writes fields in field-number order, and so does
``observability.otlp``), and what an OTLP receiver decodes from them is the same message.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import (
    Link,
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    TraceState,
    set_span_in_context,
)

from observability import otlp, tracing


def _reference(spans: Sequence[ReadableSpan]) -> bytes:
    return encode_spans(spans).SerializeToString()


@pytest.fixture
def recorded() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(
        resource=Resource.create({"service.name": "mallbots-test", "service.version": "1.2"}),
        span_limits=SpanLimits(max_attributes=8, max_events=2, max_links=2),
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


def test_every_field_of_a_span_is_encoded_as_the_library_does(
    recorded: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = recorded
    tracer = provider.get_tracer("mallbots", "0.1", schema_url="https://opentelemetry.io/schemas/1")
    other = provider.get_tracer("psycopg", attributes={"scope.kind": "library"})
    remote = SpanContext(
        0x0AF7651916CD43DD8448EB211C80319C,
        0xB7AD6B7169203331,
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
        trace_state=TraceState([("vendor", "value"), ("other", "1")]),
    )
    parent = set_span_in_context(NonRecordingSpan(remote))
    with tracer.start_as_current_span("PUT /api/baskets/{id}/addItem", parent, SpanKind.SERVER):
        attributes = {
            "text": "ünïcode", "empty": "", "yes": True, "no": False, "zero": 0, "big": 2**62,
            "negative": -5, "ratio": 0.25, "names": ["a", ""], "flags": [True, False],
            "statement": "SELECT " + "x, " * 200 + "1",
        }  # fmt: skip
        with tracer.start_as_current_span("eventstore append", kind=SpanKind.CLIENT) as append:
            append.set_attributes(attributes)  # three over the limit: dropped and counted
            append.add_event("retry", {"attempt": 2})
            append.add_event("")
            append.add_event("third")  # over the limit of two events
            append.set_status(Status(StatusCode.ERROR, "ConcurrencyError"))
        with other.start_as_current_span(
            "send mallbots.baskets", kind=SpanKind.PRODUCER,
            links=[Link(remote, {"link.kind": "creator"}), Link(append.get_span_context())],
        ) as send:  # fmt: skip
            send.set_status(Status(StatusCode.OK))
        for kind in (SpanKind.INTERNAL, SpanKind.CONSUMER):
            tracer.start_span("", kind=kind).end()  # no name, no attributes
    spans = exporter.get_finished_spans()
    assert len(spans) == 5 and spans[0].dropped_attributes == 3 and spans[0].dropped_events == 1
    assert "statement" in (spans[0].attributes or {})  # a long string, encoded uncached
    assert otlp.encode(spans) == _reference(spans)


def test_spans_of_several_resources_are_grouped_as_the_library_groups_them(
    recorded: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = recorded
    second = TracerProvider(resource=Resource.create({"service.name": "mallbots-gateway"}))
    second.add_span_processor(SimpleSpanProcessor(exporter))
    for name in ("first", "second", "third"):
        for source in (provider, second):
            source.get_tracer(f"scope-{name[0]}").start_span(name).end()
    spans = exporter.get_finished_spans()
    assert otlp.encode(spans) == _reference(spans)
    decoded = ExportTraceServiceRequest.FromString(otlp.encode(spans))
    assert [len(r.scope_spans) for r in decoded.resource_spans] == [3, 3]
    second.shutdown()


_scalars = st.one_of(
    st.text(max_size=20),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
)
_values: st.SearchStrategy[Any] = st.one_of(
    _scalars,
    st.lists(st.text(max_size=5), max_size=3),
    st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), max_size=3),
    st.lists(st.floats(allow_nan=False), max_size=3),
)


@settings(max_examples=150, deadline=None)
@given(
    name=st.text(max_size=30),
    attributes=st.dictionaries(st.text(min_size=1, max_size=12), _values, max_size=6),
    status=st.sampled_from(list(StatusCode)),
    description=st.text(max_size=10),
)
def test_any_attributes_encode_as_the_library_encodes_them(
    name: str, attributes: dict[str, Any], status: StatusCode, description: str
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("hypothesis").start_as_current_span(name, attributes=attributes) as s:
        s.set_status(Status(status, description if status == StatusCode.ERROR else None))
        s.add_event("event", attributes)
    spans = exporter.get_finished_spans()
    assert otlp.encode(spans) == _reference(spans)
    provider.shutdown()


def test_the_http_protobuf_exporter_is_the_one_with_the_direct_encoder() -> None:
    exporter = tracing.exporter({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    assert isinstance(exporter, otlp.OTLPSpanExporter)
    exporter.shutdown()
