"""A tiny OTLP/HTTP trace receiver on 127.0.0.1: decodes what exporters send, keeps or discards it.

The tests check that the exporter's spans arrive whole; the benchmark exports to it with
``keep=False`` to measure what tracing costs the process that exports.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
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


@contextlib.asynccontextmanager
async def otlp_receiver(*, keep: bool = True) -> AsyncIterator[Receiver]:
    port = free_port()
    receiver = Receiver(f"http://127.0.0.1:{port}", keep)

    async def traces(request: Request) -> Response:
        export = ExportTraceServiceRequest.FromString(await request.body())
        for resource_spans in export.resource_spans:
            resource = _attributes(resource_spans.resource)
            for scope_spans in resource_spans.scope_spans:
                receiver.received += len(scope_spans.spans)
                if keep:
                    receiver.spans += [(resource, span) for span in scope_spans.spans]
        body = ExportTraceServiceResponse().SerializeToString()
        return Response(body, media_type="application/x-protobuf")

    app = Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])])
    async with serve(app, port, lifespan="off"):
        yield receiver
