"""Refusing an operation before it is parsed, on every transport.

Strawberry reports an error raised by an extension's ``on_execute`` hook on every transport, but
one raised in ``on_operation`` escapes a subscription's stream: the WebSocket handlers log it as
a crash and complete the operation without telling the client why. So an extension that decides
before parsing (the document's size, the rate limit, the persisted-operations allow-list) swaps
the document for a trivial one that costs nothing to parse and validate, and raises its error in
``on_execute``, before anything runs. Where only subscriptions are allowed (the legacy
graphql-ws protocol), the trivial document is a subscription to a field that needs no argument.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_non_null_type,
)
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

PLACEHOLDER = "{ __typename }"
_SUBSCRIPTION_PLACEHOLDERS: dict[int, str] = {}


def subscription_placeholder(schema: GraphQLSchema) -> str:
    """A subscription document that parses and validates against ``schema`` (never run)."""
    found = _SUBSCRIPTION_PLACEHOLDERS.get(id(schema))
    if found is None:
        found = PLACEHOLDER
        root = schema.subscription_type
        for name, field in (root.fields if root else {}).items():
            if not any(is_non_null_type(arg.type) for arg in field.args.values()):
                selection = (
                    " { __typename }"
                    if isinstance(get_named_type(field.type), GraphQLObjectType)
                    else ""
                )
                found = f"subscription {{ {name}{selection} }}"
                break
        _SUBSCRIPTION_PLACEHOLDERS[id(schema)] = found
    return found


class RefusingExtension(SchemaExtension):
    refusal: GraphQLError | None = None

    def refuse(self, error: GraphQLError) -> None:
        """Refuse the operation with ``error``, without parsing its document."""
        self.refusal = error
        context = self.execution_context
        if OperationType.QUERY in tuple(context.allowed_operations):
            context.query = PLACEHOLDER
        else:
            context.query = subscription_placeholder(context.schema._schema)
        context._provided_operation_name = None

    def raise_refusal(self) -> None:
        if self.refusal is not None:
            raise self.refusal

    def on_execute(self) -> Iterator[None]:
        self.raise_refusal()
        yield
