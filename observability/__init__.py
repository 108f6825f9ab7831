"""Observability shared by the gateway and the backend: tracing, metrics and logs.

- :mod:`observability.tracing`: OpenTelemetry from the standard ``OTEL_*`` settings, off unless
  configured; the spans of the platform's hops (messaging, event store, saga, projections).
- :mod:`observability.server_spans`: the server span of each HTTP request and WebSocket.
- :mod:`observability.client_spans`: the client span of each gateway call to the backend.
- :mod:`observability.suppression`: where the instrumentations stay out (leaf and unsampled
  spans, background loops).
- :mod:`observability.otlp`: OTLP/HTTP export with a direct protobuf encoder.
- :mod:`observability.metrics`: the Prometheus metrics of every process and ``/metrics``.
- :mod:`observability.sampler`: the backend's gauges read from PostgreSQL and Redis.
- :mod:`observability.logs`: plain or JSON log lines with the trace and correlation ids.

The deployment files (collector, Prometheus, rules, Grafana) live beside this package.
"""
