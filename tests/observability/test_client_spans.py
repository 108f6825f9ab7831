"""The gateway's client spans, through its real ``BackendClient`` (aiohttp) to a uvicorn server
that reports the trace headers it received: the stable HTTP conventions' attributes, the span's
context in the request, errors marked, the sampling decision passed on, probes and tracing off
adding nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from graphql import GraphQLError
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased
from opentelemetry.trace import SpanKind, StatusCode
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from backend.platform.embedded import free_port
from gateway.backend import BackendClient
from observability import tracing
from tests.observability.conftest import Spans
from tests.support.serving import serve


@dataclass
class Backend:
    """The gateway's client to a server that keeps the trace headers of each request it got."""

    client: BackendClient
    received: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
async def backend() -> AsyncIterator[Backend]:
    received: list[dict[str, str]] = []

    async def item(request: Request) -> Response:
        trace = ("traceparent", "baggage")
        received.append({k: v for k, v in request.headers.items() if k in trace})
        status = int(request.query_params.get("status", "200"))
        return JSONResponse({"code": "CONFLICT", "message": "taken"} if status >= 400 else {},
                            status_code=status)  # fmt: skip

    async def ready(request: Request) -> Response:
        received.append(dict(request.headers))
        return Response()

    app = Starlette(
        routes=[Route("/api/items/{id}", item, methods=["PUT"]), Route("/readyz", ready)]
    )
    async with serve(app, lifespan="off") as url:
        client = BackendClient(url)
        try:
            yield Backend(client, received)
        finally:
            await client.session.close()


async def test_a_call_is_a_client_span_whose_context_the_request_carries(
    spans: Spans, backend: Backend
) -> None:
    with tracing.span("mutation") as operation:
        await backend.client.request(
            "PUT", "/items/42?token=secret", {"quantity": 1}, params={"a": 1}
        )
    (span,) = [s for s in spans.all() if s.kind == SpanKind.CLIENT]
    assert span.name == "PUT"
    assert span.parent is not None
    assert span.parent.span_id == operation.get_span_context().span_id
    port = int(backend.client.base_url.rsplit(":", 1)[1])
    assert dict(span.attributes or {}) == {
        "http.request.method": "PUT",
        "url.full": f"http://127.0.0.1:{port}/api/items/42",  # no query string
        "server.address": "127.0.0.1",
        "server.port": port,
        "http.response.status_code": 200,
    }
    assert span.status.status_code == StatusCode.UNSET
    assert span.end_time is not None and span.start_time is not None
    assert span.end_time > span.start_time
    (headers,) = backend.received
    _, trace_id, span_id, flags = headers["traceparent"].split("-")
    assert (trace_id, span_id) == (f"{span.context.trace_id:032x}", f"{span.context.span_id:016x}")
    assert int(flags, 16) & 1  # sampled


async def test_a_refused_call_is_an_error_of_the_span(spans: Spans, backend: Backend) -> None:
    with pytest.raises(GraphQLError, match="taken"):
        await backend.client.request("PUT", "/items/42", {}, params={"status": "409"})
    (span,) = spans.all()
    assert span.status.status_code == StatusCode.ERROR
    assert (span.attributes or {})["http.response.status_code"] == 409
    assert (span.attributes or {})["error.type"] == "409"


async def test_a_backend_that_is_down_is_an_error_with_its_exception(spans: Spans) -> None:
    client = BackendClient(f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(GraphQLError, match="unavailable"):
            await client.request("GET", "/items/1")
    finally:
        await client.session.close()
    (span,) = spans.all()
    assert span.status.status_code == StatusCode.ERROR
    assert (span.attributes or {})["error.type"] == "ClientConnectorError"
    assert "http.response.status_code" not in (span.attributes or {})
    assert [event.name for event in span.events] == ["exception"]


async def test_an_unsampled_trace_passes_its_decision_on_and_exports_nothing(
    backend: Backend,
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=ParentBased(ALWAYS_OFF))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.enable(provider)
    try:
        with tracing.span("mutation") as operation:
            await backend.client.request("PUT", "/items/42", {})
    finally:
        tracing.disable()
        provider.shutdown()
    assert exporter.get_finished_spans() == ()
    (headers,) = backend.received
    _, trace_id, _, flags = headers["traceparent"].split("-")
    assert trace_id == f"{operation.get_span_context().trace_id:032x}"
    assert not int(flags, 16) & 1  # not sampled: the backend records nothing either


async def test_probes_and_tracing_off_add_no_span_and_no_header(
    spans: Spans, backend: Backend
) -> None:
    assert await backend.client.ready()
    assert spans.all() == []
    assert "traceparent" not in backend.received[0]
    tracing.disable()
    await backend.client.request("PUT", "/items/42", {})
    assert backend.received[1] == {}
