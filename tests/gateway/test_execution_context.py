"""The gateway's execution context works around graphql-core's per-event cache leak."""

from __future__ import annotations

from graphql import parse

from gateway.schema import ExecutionContext, build_schema


def test_each_subscription_event_gets_its_own_field_cache() -> None:
    schema = build_schema()._schema
    document = parse('subscription { orderUpdated(orderId: "o1") { cursor } }')
    executor = ExecutionContext.build(schema, document)
    assert isinstance(executor, ExecutionContext)
    first = executor.build_per_event_executor({"n": 1})
    second = executor.build_per_event_executor({"n": 2})
    assert first._relevant_sub_fields is not executor._relevant_sub_fields
    assert first._relevant_sub_fields is not second._relevant_sub_fields
    assert first._relevant_sub_fields == {}
