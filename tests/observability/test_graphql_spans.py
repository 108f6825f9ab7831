"""The gateway's GraphQL telemetry extension on a small schema: one span per operation named by
its type and name, the document only when enabled, resolver spans only when enabled, and
operation names bounded in the metrics."""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace

import strawberry
from prometheus_client import REGISTRY

from gateway.telemetry import ANONYMOUS, OTHER, BoundedNames, extension
from tests.observability.conftest import Spans, json_lines


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, name: str) -> str:
        return f"hello {name}"

    @strawberry.field
    async def later(self) -> int:
        return 1

    @strawberry.field
    def logged(self) -> bool:
        logging.getLogger("mallbots.test.gateway").warning("resolving")
        return True


def schema(*, document: bool, resolvers: bool) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query, extensions=[extension(document=document, resolvers=resolvers)]
    )


async def test_one_span_per_operation_without_document_or_resolvers(spans: Spans) -> None:
    result = await schema(document=False, resolvers=False).execute(
        "query Greet($n: String!) { hello(name: $n) later }", variable_values={"n": "secret"}
    )
    assert result.errors is None
    (span,) = spans.all()
    assert span.name == "query Greet"
    attributes = dict(span.attributes or {})
    assert attributes == {"graphql.operation.type": "query", "graphql.operation.name": "Greet"}
    assert "secret" not in str(attributes)  # variables never


async def test_document_and_resolver_spans_when_enabled(spans: Spans) -> None:
    query = '{ hello(name: "x") later }'
    await schema(document=True, resolvers=True).execute(query)
    names = sorted(s.name for s in spans.all())
    assert names == ["query", "resolve Query.hello", "resolve Query.later"]
    (operation,) = spans.named("query")
    assert (operation.attributes or {})["graphql.document"] == query
    for resolver in spans.named("resolve Query.hello") + spans.named("resolve Query.later"):
        assert resolver.parent is not None
        assert resolver.parent.span_id == operation.context.span_id


async def test_errors_are_counted_by_code(spans: Spans) -> None:
    errors = ("mallbots_graphql_errors_total", {"code": "GRAPHQL_VALIDATION_FAILED"})
    before = REGISTRY.get_sample_value(*errors) or 0
    result = await schema(document=False, resolvers=False).execute("query Bad { nope }")
    assert result.errors
    assert REGISTRY.get_sample_value(*errors) == before + 1
    failed = REGISTRY.get_sample_value(
        "mallbots_graphql_operations_total", {"type": "query", "name": "Bad", "outcome": "error"}
    )
    assert failed and failed >= 1


async def test_log_records_of_an_operation_carry_its_correlation_id() -> None:
    context = SimpleNamespace(correlation_id="corr-gw")
    with json_lines("mallbots.test.gateway") as stream:
        result = await schema(document=False, resolvers=False).execute(
            "{ logged }", context_value=context
        )
    assert result.data == {"logged": True}
    (line,) = (json.loads(line) for line in stream.getvalue().splitlines())
    assert (line["module"], line["correlation_id"]) == ("gateway", "corr-gw")


def test_operation_names_are_bounded() -> None:
    names = BoundedNames(limit=2)
    assert [names("A"), names("B"), names("C"), names("A")] == ["A", "B", OTHER, "A"]
    assert names(None) == ANONYMOUS
    assert BoundedNames()("not a name!") == OTHER
