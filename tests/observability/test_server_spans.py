"""Server spans of a Starlette app served by uvicorn: named by route template, the stable HTTP
conventions' attributes, errors marked, the caller's trace continued, probes and secrets left
out."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, Sampler, SamplingResult
from opentelemetry.trace import SpanKind, StatusCode
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from observability import tracing
from tests.conftest import Servers
from tests.observability.conftest import Spans
from tests.support.serving import serve
from tests.support.waiting import eventually

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"


async def item(request: Request) -> Response:
    return JSONResponse({"id": request.path_params["id"]}, status_code=201)


async def broken(request: Request) -> Response:
    raise RuntimeError("the handler failed")


async def unavailable(request: Request) -> Response:
    return Response(status_code=503)


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text(await websocket.receive_text())
    await websocket.close()


def _app() -> Starlette:
    app = Starlette(
        routes=[
            Route("/healthz", unavailable),
            Route("/api/items/{id}", item, methods=["PUT"]),
            Route("/broken", broken),
            Route("/unavailable", unavailable),
            WebSocketRoute("/live", echo),
        ]
    )
    tracing.instrument_app(app)
    return app


async def _spans_of(spans: Spans, count: int) -> list[ReadableSpan]:
    async def finished() -> list[ReadableSpan]:
        return [s for s in spans.all() if s.kind == SpanKind.SERVER]

    return await eventually(finished, lambda found: len(found) >= count)


async def test_a_request_is_a_server_span_named_by_its_route(spans: Spans) -> None:
    async with serve(_app(), lifespan="off") as url, httpx.AsyncClient(base_url=url) as client:
        traceparent = f"00-{TRACE_ID}-{PARENT_ID}-01"
        answer = await client.put(
            "/api/items/42?token=secret",
            headers={"traceparent": traceparent, "authorization": "Bearer secret",
                     "user-agent": "mallbots-test"},
        )  # fmt: skip
        assert answer.status_code == 201
        (span,) = await _spans_of(spans, 1)
    assert span.name == "PUT /api/items/{id}"
    assert format(span.context.trace_id, "032x") == TRACE_ID  # the caller's trace goes on
    assert span.parent is not None and format(span.parent.span_id, "016x") == PARENT_ID
    assert dict(span.attributes or {}) == {
        "http.request.method": "PUT",
        "url.scheme": "http",
        "url.path": "/api/items/42",
        "network.protocol.version": "1.1",
        "server.address": "127.0.0.1",
        "server.port": int(url.rsplit(":", 1)[1]),
        "user_agent.original": "mallbots-test",
        "http.route": "/api/items/{id}",
        "http.response.status_code": 201,
    }  # no query string, no client address, no header but the user agent
    assert span.status.status_code == StatusCode.UNSET
    assert span.end_time is not None and span.start_time is not None
    assert span.end_time > span.start_time


@pytest.mark.parametrize(
    ("path", "error_type"), [("/broken", "RuntimeError"), ("/unavailable", "503")]
)
async def test_a_failure_marks_the_span_as_an_error(
    spans: Spans, path: str, error_type: str
) -> None:
    async with serve(_app(), lifespan="off") as url, httpx.AsyncClient(base_url=url) as client:
        answer = await client.get(path)
        assert answer.status_code in (500, 503)
        (span,) = await _spans_of(spans, 1)
    assert span.name == f"GET {path}"
    assert span.status.status_code == StatusCode.ERROR
    assert (span.attributes or {})["error.type"] == error_type
    if error_type == "RuntimeError":  # the exception is recorded on the span
        assert [event.name for event in span.events] == ["exception"]


async def test_probes_get_no_span_and_a_websocket_is_one_span(spans: Spans) -> None:
    from websockets.asyncio.client import connect

    async with serve(_app(), lifespan="off") as url:
        async with httpx.AsyncClient(base_url=url) as client:
            assert (await client.get("/healthz")).status_code == 503
        async with connect(url.replace("http", "ws") + "/live") as websocket:
            await websocket.send("hello")
            assert await websocket.recv() == "hello"
        (span,) = await _spans_of(spans, 1)
    assert span.name == "/live"
    assert (span.attributes or {})["http.route"] == "/live"


async def test_an_unknown_method_is_named_other(spans: Spans) -> None:
    async with serve(_app(), lifespan="off") as url, httpx.AsyncClient(base_url=url) as client:
        answer = await client.request("PURGE", "/api/items/1")
        assert answer.status_code == 405
        (span,) = await _spans_of(spans, 1)
    assert (span.attributes or {})["http.request.method"] == "_OTHER"
    assert span.name == "_OTHER /api/items/{id}"


class CountingSampler(Sampler):
    """The sampler of a provider, noting the name of every span it is asked about."""

    def __init__(self, inner: Sampler) -> None:
        self.inner = inner
        self.asked: list[str] = []

    def should_sample(self, parent_context: Any, trace_id: int, name: str, *args: Any,
                      **kwargs: Any) -> SamplingResult:  # fmt: skip
        self.asked.append(name)
        return self.inner.should_sample(parent_context, trace_id, name, *args, **kwargs)

    def get_description(self) -> str:
        return f"Counting({self.inner.get_description()})"


async def test_nothing_beneath_an_unsampled_request_is_instrumented(servers: Servers) -> None:
    """Beneath an unsampled span nothing is sampled: the psycopg instrumentation does not run
    (it would start a span that records nothing); our own spans still carry the context on."""
    sampler = CountingSampler(ParentBased(ALWAYS_OFF))
    provider = TracerProvider(sampler=sampler)
    tracing.enable(provider)

    async def query(request: Request) -> Response:
        async with await psycopg.AsyncConnection.connect(servers.database_url) as conn:
            await (await conn.execute("SELECT 1")).fetchone()
        with tracing.span("inner") as inner:
            assert inner.get_span_context().trace_id == int(TRACE_ID, 16)
        return Response()

    try:
        app = Starlette(routes=[Route("/query", query)])
        tracing.instrument_app(app)
        async with serve(app, lifespan="off") as url, httpx.AsyncClient(base_url=url) as client:
            unsampled = f"00-{TRACE_ID}-{PARENT_ID}-00"
            answer = await client.get("/query", headers={"traceparent": unsampled})
    finally:
        tracing.disable()
        provider.shutdown()
    assert answer.status_code == 200
    assert sampler.asked == ["GET", "inner"]  # no span for the query
