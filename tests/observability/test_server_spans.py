"""Server spans of a Starlette app served by uvicorn: named by route template, the stable HTTP
conventions' attributes, errors marked, the caller's trace continued, probes and secrets left
out."""

from __future__ import annotations

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from observability import tracing
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
