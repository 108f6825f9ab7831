"""Prometheus metrics of a running gateway and backend after a real checkout, and the dashboards
and alert rules checked against the names those ``/metrics`` endpoints export."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import promql_parser
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from backend.modules import select_modules
from tests.conftest import Servers
from tests.gateway.graphql_http import post
from tests.observability.conftest import checkout
from tests.support.backend import running_backend
from tests.support.gateway import running_gateway
from tests.support.waiting import eventually

OBSERVABILITY = Path(__file__).parents[2] / "observability"
MISSING = "query Missing($id: ID!) { order(id: $id) { id } }"
POISONED = "mallbots.ordering.events.Order"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class Scrape:
    backend: str
    gateway: str
    content_types: list[str]

    def samples(self) -> Iterator[Sample]:
        """Each distinct sample once (in the tests both processes share one registry)."""
        seen = set()
        for text in (self.backend, self.gateway):
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    key = (sample.name, tuple(sorted(sample.labels.items())))
                    if key not in seen:
                        seen.add(key)
                        yield sample

    def value(self, metric: str, /, **labels: str) -> float | None:
        """The sum of the samples of ``metric`` with these labels (among others), if any."""
        found = [
            s.value
            for s in self.samples()
            if s.name == metric and all(s.labels.get(k) == v for k, v in labels.items())
        ]
        return sum(found) if found else None

    def exported(self) -> set[str]:
        """Every series name the two processes export, with or without samples yet."""
        names: set[str] = set()
        for text in (self.backend, self.gateway):
            for family in text_string_to_metric_families(text):
                suffixes = {
                    "counter": ["_total"],
                    "histogram": ["_bucket", "_sum", "_count"],
                    "summary": ["", "_sum", "_count"],
                }.get(family.type, [""])
                names |= {family.name + suffix for suffix in suffixes}
                names |= {s.name for s in family.samples}
        return names


@pytest.fixture(scope="module")
async def scrape(servers: Servers) -> AsyncIterator[Scrape]:
    async with (
        running_backend(servers.database_url, servers.redis_url, select_modules(["all"])) as b,
        running_gateway(b.url, servers.redis_url) as gateway,
    ):
        async with checkout(b, gateway):
            missing = await post(gateway, MISSING, id=str(uuid.uuid4()))
            assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"

            await b.host.redis.xadd(POISONED, {"message": "not json"})
            await eventually(lambda: b.host.redis.xlen(POISONED + ".dlq"), lambda n: n >= 1)
            await b.host.sampler().sample()
            async with httpx.AsyncClient(timeout=10) as anonymous:  # no credentials at all
                backend = await anonymous.get(f"{b.url}/metrics")
                gateway_metrics = await anonymous.get(f"{gateway.url}/metrics")
        for response in (backend, gateway_metrics):
            assert response.status_code == 200, response.text
        yield Scrape(
            backend.text,
            gateway_metrics.text,
            [r.headers["content-type"] for r in (backend, gateway_metrics)],
        )


def test_metrics_are_served_without_credentials_in_the_prometheus_format(scrape: Scrape) -> None:
    assert all(t.startswith("text/plain; version=") for t in scrape.content_types)


async def test_the_gateway_serves_metrics_to_scrapers_not_through_its_load_balancer(
    servers: Servers,
) -> None:
    """Prometheus scrapes the pod; a request through the ALB (which adds ``X-Forwarded-For``)
    is answered 404, however its path is spelled."""
    async with (
        running_gateway("http://127.0.0.1:9", servers.redis_url) as gateway,
        httpx.AsyncClient(timeout=10) as http,
    ):
        direct = await http.get(f"{gateway.url}/metrics")
        proxied = [
            await http.get(f"{gateway.url}/metrics", headers=headers)
            for headers in ({"x-forwarded-for": "203.0.113.9"}, {"forwarded": "for=203.0.113.9"})
        ]
    assert direct.status_code == 200 and "mallbots_" in direct.text
    assert [r.status_code for r in proxied] == [404, 404]


def test_graphql_operations_errors_and_subscribers_are_counted(scrape: Scrape) -> None:
    ops = "mallbots_graphql_operations_total"
    assert (scrape.value(ops, type="mutation", name="Checkout", outcome="success") or 0) >= 1
    assert (scrape.value(ops, type="query", name="Missing", outcome="error") or 0) >= 1
    duration = "mallbots_graphql_operation_duration_seconds_count"
    assert (scrape.value(duration, type="mutation", name="Checkout") or 0) >= 1
    assert (scrape.value("mallbots_graphql_errors_total", code="NOT_FOUND") or 0) >= 1
    # scraped while the subscription was open (gql's default protocol: the legacy graphql-ws)
    active = "mallbots_graphql_active_subscriptions"
    field = {"field": "customerOrdersUpdated", "transport": "graphql-ws"}
    assert (scrape.value(active, **field) or 0) >= 1
    sockets = "mallbots_graphql_websocket_connections"
    assert (scrape.value(sockets, protocol="graphql-ws") or 0) >= 1
    pushes = "mallbots_graphql_subscription_pushes_total"
    assert (scrape.value(pushes, projection="orders") or 0) >= 1


def test_backend_requests_commands_and_events_are_counted(scrape: Scrape) -> None:
    checkout = {"module": "baskets", "method": "PUT", "route": "/api/baskets/{id}/checkout"}
    assert (scrape.value("mallbots_http_requests_total", status="200", **checkout) or 0) >= 1
    assert (scrape.value("mallbots_http_request_duration_seconds_count", **checkout) or 0) >= 1
    command = {"module": "baskets", "command": "checkout_basket"}
    assert (scrape.value("mallbots_commands_total", outcome="success", **command) or 0) >= 1
    assert (scrape.value("mallbots_command_duration_seconds_count", **command) or 0) >= 1
    assert (scrape.value("mallbots_events_appended_total", module="baskets") or 0) >= 3
    assert (scrape.value("mallbots_eventstore_append_duration_seconds_count") or 0) >= 3
    assert (scrape.value("mallbots_relay_messages_published_total", module="baskets") or 0) >= 1
    assert (scrape.value("mallbots_relay_publish_duration_seconds_count", module="cosec") or 0) >= 1


def test_deliveries_streams_and_dead_letters_are_measured(scrape: Scrape) -> None:
    deliveries = "mallbots_consumer_deliveries_total"
    basket = {"group": "ordering", "topic": "mallbots.baskets.events.Basket"}
    assert (scrape.value(deliveries, outcome="handled", **basket) or 0) >= 1
    assert (scrape.value(deliveries, outcome="dead_lettered", topic=POISONED) or 0) >= 1
    processing = "mallbots_consumer_processing_duration_seconds_count"
    assert (scrape.value(processing, **basket) or 0) >= 1
    # the sampler's gauges: every group caught up, the poisoned topic's DLQ not empty
    assert (scrape.value("mallbots_dlq_messages", topic=POISONED) or 0) >= 1
    assert scrape.value("mallbots_stream_lag_messages", **basket) == 0
    assert scrape.value("mallbots_stream_pending_messages", **basket) == 0
    assert scrape.value("mallbots_outbox_messages", module="baskets") is not None
    assert scrape.value("mallbots_outbox_oldest_age_seconds", module="baskets") is not None
    assert (scrape.value("mallbots_db_pool_max_connections") or 0) >= 1


def test_sagas_are_counted_and_timed(scrape: Scrape) -> None:
    saga = {"saga": "cosec.CreateOrder"}
    assert (scrape.value("mallbots_sagas_started_total", **saga) or 0) >= 1
    assert (scrape.value("mallbots_sagas_completed_total", **saga) or 0) >= 1
    steps = "mallbots_saga_steps_total"
    assert (scrape.value(steps, step="5", direction="forward", **saga) or 0) >= 1
    done = "mallbots_saga_duration_seconds_count"
    assert (scrape.value(done, outcome="completed", **saga) or 0) >= 1
    assert not scrape.value("mallbots_sagas_stuck", **saga)  # none unfinished: no series or 0


def test_names_follow_the_prometheus_conventions_and_labels_carry_no_ids(scrape: Scrape) -> None:
    ours = [s for s in scrape.samples() if s.name.startswith("mallbots")]
    assert ours
    for family in text_string_to_metric_families(scrape.backend + scrape.gateway):
        if not family.name.startswith("mallbots_"):
            continue
        if family.type == "counter":
            assert all(s.name.endswith("_total") for s in family.samples), family.name
        if re.search(r"duration|_age_|_age$", family.name):
            assert family.name.endswith("_seconds"), family.name
    for sample in ours:
        for value in sample.labels.values():
            assert not UUID.search(value), sample


# --- dashboards and rules: every expression parses and names only exported metrics ---


def _selectors(node: Any) -> Iterator[str]:
    if type(node).__name__ == "VectorSelector":
        yield node.name
        return
    for attribute in ("lhs", "rhs", "expr", "param", "vector_selector"):
        child = getattr(node, attribute, None)
        if child is not None and not isinstance(child, int | float | str):
            yield from _selectors(child)
    for child in getattr(node, "args", None) or ():
        yield from _selectors(child)


def _names_in(expression: str) -> set[str]:
    """The metric names of a PromQL expression (a parse error fails the test), Grafana's
    variables replaced by values of the same kind."""
    plain = expression.replace("$__rate_interval", "5m").replace("$__interval", "1m")
    plain = re.sub(r"\$\{?\w+\}?", ".*", plain)
    return set(_selectors(promql_parser.parse(plain)))


def _dashboard_expressions(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "expr" and isinstance(value, str):
                yield value
            elif key == "definition" and isinstance(value, str) and value.startswith("label_"):
                inner = value[value.index("(") + 1 : value.rindex(")")].rsplit(",", 1)[0]
                yield inner
            else:
                yield from _dashboard_expressions(value)
    elif isinstance(node, list):
        for item in node:
            yield from _dashboard_expressions(item)


def _rules() -> list[dict[str, Any]]:
    rules = []
    for path in sorted((OBSERVABILITY / "prometheus" / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            rules += group["rules"]
    return rules


RECORDED = {rule["record"] for rule in _rules() if "record" in rule}
PROMETHEUS_OWN = {"up"}
"""Series Prometheus makes itself for every target."""


def test_every_rule_expression_parses_and_refers_only_to_exported_metrics(
    scrape: Scrape,
) -> None:
    known = scrape.exported() | RECORDED | PROMETHEUS_OWN
    alerts = [rule["alert"] for rule in _rules() if "alert" in rule]
    assert len(alerts) >= 8
    for rule in _rules():
        unknown = _names_in(rule["expr"]) - known
        assert not unknown, (rule.get("alert") or rule.get("record"), unknown)


def test_every_dashboard_expression_parses_and_refers_only_to_exported_metrics(
    scrape: Scrape,
) -> None:
    known = scrape.exported() | RECORDED | PROMETHEUS_OWN
    dashboards = sorted((OBSERVABILITY / "grafana" / "dashboards").glob("*.json"))
    assert {d.stem for d in dashboards} >= {
        "mallbots-overview", "mallbots-messaging", "mallbots-gateway", "mallbots-backend"
    }  # fmt: skip
    for path in dashboards:
        dashboard = json.loads(path.read_text())
        assert dashboard["uid"] == path.stem and dashboard["panels"], path.name
        expressions = list(_dashboard_expressions(dashboard))
        assert expressions, path.name
        for expression in expressions:
            unknown = _names_in(expression) - known
            assert not unknown, (path.name, expression, unknown)
