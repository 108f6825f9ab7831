"""Tiny OTLP trace receivers on 127.0.0.1 (HTTP, and gRPC): decode what exporters send, keep
or discard it.

The tests check that the exporter's spans arrive whole; the benchmark exports to the HTTP one
with ``keep=False`` to measure what tracing costs the process that exports.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2_grpc import (
    TraceServiceServicer,
    add_TraceServiceServicer_to_server,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.platform.embedded import free_port
from tests.support.serving import serve


@dataclass
class Receiver:
    url: str
    keep: bool
    spans: list[tuple[dict[str, Any], Any]] = field(default_factory=list)
    """(resource attributes, span) of every span received, when ``keep``."""
    received: int = 0
    """How many spans arrived."""

    def names(self) -> list[str]:
        return [span.name for _, span in self.spans]


def _attributes(resource: Any) -> dict[str, Any]:
    return {a.key: a.value.string_value for a in resource.attributes}


def _take(receiver: Receiver, export: ExportTraceServiceRequest) -> None:
    for resource_spans in export.resource_spans:
        resource = _attributes(resource_spans.resource)
        for scope_spans in resource_spans.scope_spans:
            receiver.received += len(scope_spans.spans)
            if receiver.keep:
                receiver.spans += [(resource, span) for span in scope_spans.spans]


@contextlib.asynccontextmanager
async def otlp_receiver(*, keep: bool = True) -> AsyncIterator[Receiver]:
    """OTLP/HTTP (protobuf) at ``url`` + ``/v1/traces``."""
    port = free_port()
    receiver = Receiver(f"http://127.0.0.1:{port}", keep)

    async def traces(request: Request) -> Response:
        _take(receiver, ExportTraceServiceRequest.FromString(await request.body()))
        body = ExportTraceServiceResponse().SerializeToString()
        return Response(body, media_type="application/x-protobuf")

    app = Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])])
    async with serve(app, port, lifespan="off"):
        yield receiver


@contextlib.asynccontextmanager
async def otlp_grpc_receiver() -> AsyncIterator[Receiver]:
    """OTLP/gRPC (plaintext) at ``url``: the TraceService's ``Export``."""
    receiver = Receiver("", keep=True)

    class Traces(TraceServiceServicer):  # type: ignore[misc]
        async def Export(
            self, request: ExportTraceServiceRequest, context: object
        ) -> ExportTraceServiceResponse:
            _take(receiver, request)
            return ExportTraceServiceResponse()

    server = grpc.aio.server()
    add_TraceServiceServicer_to_server(Traces(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    receiver.url = f"http://127.0.0.1:{port}"
    await server.start()
    try:
        yield receiver
    finally:
        await server.stop(grace=None)
