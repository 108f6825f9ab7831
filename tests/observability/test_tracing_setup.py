"""Tracing set-up from the OTEL_* settings, the OTLP exporter against a real receiver, and the
library instrumentations timing the awaited call (not just the coroutine's creation)."""

from __future__ import annotations

import asyncio
import json
import logging

import psycopg
import pytest
import redis.asyncio as aioredis
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
    OTLPSpanExporter as GrpcExporter,
)
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from prometheus_client import REGISTRY
from starlette.requests import Request
from starlette.responses import Response

from observability import logs, metrics, tracing
from tests.conftest import Servers
from tests.observability.conftest import Spans, json_lines
from tests.support.otlp import otlp_grpc_receiver, otlp_receiver


@pytest.mark.parametrize(
    ("environ", "on"),
    [
        ({}, False),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, True),
        ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "true"}, False),
    ],
)
def test_tracing_is_off_unless_an_exporter_is_configured(environ: dict[str, str], on: bool) -> None:
    assert tracing.configured(environ) is on


def test_no_configuration_means_no_tracing_and_nothing_to_export() -> None:
    assert tracing.configure("mallbots-test", {}) is False
    assert not tracing.enabled()
    meta: dict[str, str] = {}
    tracing.inject(meta)
    assert meta == {}


def test_the_default_sampler_is_parent_based_ratio() -> None:
    default = tracing.sampler({})
    assert isinstance(default, ParentBased)
    assert "TraceIdRatioBased{1.0}" in default.get_description()
    quarter = tracing.sampler({"OTEL_TRACES_SAMPLER_ARG": "0.25"})
    assert quarter is not None and "TraceIdRatioBased{0.25}" in quarter.get_description()
    assert tracing.sampler({"OTEL_TRACES_SAMPLER": "always_on"}) is None  # the SDK reads it
    with pytest.raises(ValueError, match="OTEL_TRACES_SAMPLER_ARG"):
        tracing.sampler({"OTEL_TRACES_SAMPLER_ARG": "half"})
    assert isinstance(TraceIdRatioBased(0.5), TraceIdRatioBased)


def test_the_exporter_follows_the_otlp_protocol_setting() -> None:
    assert isinstance(tracing.exporter({}), OTLPSpanExporter)
    grpc = tracing.exporter({"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})
    assert isinstance(grpc, GrpcExporter)
    grpc.shutdown()
    traces_only = {
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf",
    }
    assert isinstance(tracing.exporter(traces_only), OTLPSpanExporter)
    with pytest.raises(ValueError, match="grpc or http/protobuf"):
        tracing.exporter({"OTEL_EXPORTER_OTLP_PROTOCOL": "thrift"})


def test_resource_attributes() -> None:
    attributes = tracing.resource(
        "mallbots-baskets",
        {"MALLBOTS_ENV": "staging", "OTEL_RESOURCE_ATTRIBUTES": "k8s.namespace.name=shop"},
    ).attributes
    assert attributes["service.name"] == "mallbots-baskets"
    assert attributes["service.version"] == tracing.version() != "0+unknown"
    assert attributes["deployment.environment"] == "staging"
    assert attributes["k8s.namespace.name"] == "shop"
    renamed = tracing.resource("mallbots-backend", {"OTEL_SERVICE_NAME": "shop-backend"})
    assert renamed.attributes["service.name"] == "shop-backend"


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
async def test_spans_reach_an_otlp_receiver(monkeypatch: pytest.MonkeyPatch, protocol: str) -> None:
    receiving = otlp_receiver() if protocol != "grpc" else otlp_grpc_receiver()
    async with receiving as receiver:
        environ = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
            "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
            "OTEL_EXPORTER_OTLP_INSECURE": "true",
            "MALLBOTS_ENV": "test",
        }
        for key, value in environ.items():  # the exporter reads the standard settings itself
            monkeypatch.setenv(key, value)
        provider = tracing.provider_from_env("mallbots-gateway", environ)
        tracing.enable(provider)
        try:
            with tracing.span("mutation Checkout", {"graphql.operation.type": "mutation"}):
                pass
            assert await asyncio.to_thread(provider.force_flush, 10_000)
        finally:
            tracing.disable()
            await asyncio.to_thread(provider.shutdown)
    assert receiver.names() == ["mutation Checkout"]
    resource, span = receiver.spans[0]
    assert resource["service.name"] == "mallbots-gateway"
    assert resource["deployment.environment"] == "test"
    assert span.end_time_unix_nano > span.start_time_unix_nano


async def test_psycopg_and_redis_spans_last_as_long_as_the_awaited_call(
    servers: Servers, spans: Spans
) -> None:
    """The async psycopg and redis instrumentations once ended their spans when the coroutine
    was created (contrib issues #2486, #1829): a 50 ms call must give a span of at least 50 ms."""
    async with await psycopg.AsyncConnection.connect(servers.database_url) as conn:
        with tracing.span("parent"):
            await conn.execute("SELECT pg_sleep(0.05)")
    client = aioredis.from_url(servers.redis_url)
    try:
        with tracing.span("parent"):
            await client.xread({"mallbots.test.empty": "$"}, block=50)
    finally:
        await client.aclose()
    (query,) = [s for s in spans.all() if (s.attributes or {}).get("db.system") == "postgresql"]
    (xread,) = [s for s in spans.all() if (s.attributes or {}).get("db.system") == "redis"]
    for span in (query, xread):
        assert span.parent is not None  # a child of the span it was awaited in
        assert span.end_time is not None and span.start_time is not None
        assert span.end_time - span.start_time >= 50_000_000, span.name


async def test_background_loops_start_no_traces(servers: Servers, spans: Spans) -> None:
    """A relay or consumer loop polls all day: with instrumentation suppressed in its task,
    its polls leave no spans, while a span it starts from a message's context still traces."""
    client = aioredis.from_url(servers.redis_url)

    async def loop() -> None:
        tracing.untraced_task()
        await client.xread({"mallbots.test.empty": "$"}, block=10)
        with tracing.span("process x", parent={}):
            await client.ping()

    try:
        await asyncio.create_task(loop())
    finally:
        await client.aclose()
    names = [s.name for s in spans.all()]
    assert "XREAD" not in names
    assert names.count("process x") == 1 and "PING" in names


def test_json_log_lines_carry_the_trace_and_the_message_being_handled(spans: Spans) -> None:
    logger = logging.getLogger("mallbots.test.logs")
    with json_lines(logger.name) as stream:
        logger.warning("outside")
        with tracing.span("process t") as span, logs.handling("ordering", "corr-1"):
            logger.warning("inside")
    outside, inside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert outside["message"] == "outside" and "trace_id" not in outside
    assert inside["level"] == "WARNING" and inside["logger"] == "mallbots.test.logs"
    context = span.get_span_context()
    assert inside["trace_id"] == format(context.trace_id, "032x")
    assert inside["span_id"] == format(context.span_id, "016x")
    assert inside["correlation_id"] == "corr-1" and inside["module"] == "ordering"


async def test_a_backend_request_logs_with_its_module_and_correlation_id() -> None:
    logger = logging.getLogger("mallbots.test.request")

    async def serve(request: Request) -> Response:
        logger.warning("handling")
        return Response(status_code=204)

    endpoint = metrics.endpoint("baskets", "PUT", "/api/baskets/{id}/observed", "observe")
    scope = {
        "type": "http",
        "method": "PUT",
        "path": "/",
        "headers": [(b"x-correlation-id", b"c-9")],
    }
    with json_lines(logger.name) as stream:
        response = await endpoint.wrap(serve)(Request(scope))
    assert response.status_code == 204
    (line,) = (json.loads(line) for line in stream.getvalue().splitlines())
    assert (line["module"], line["correlation_id"]) == ("baskets", "c-9")
    labels = {"module": "baskets", "command": "observe", "outcome": "success"}
    assert REGISTRY.get_sample_value("mallbots_commands_total", labels) == 1


def test_an_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValueError, match="MALLBOTS_LOG_FORMAT"):
        logs.configure("INFO", "xml")
