"""Refusing an operation before it is parsed, on every transport.

Strawberry reports an error raised by an extension's ``on_execute`` hook on every transport, but
one raised in ``on_operation`` escapes a subscription's stream: the WebSocket handlers log it as
a crash and complete the operation without telling the client why. So an extension that decides
before parsing (the document's size, the rate limit, the persisted-operations allow-list) swaps
the document for a trivial one that costs nothing to parse and validate, and raises its error in
``on_execute``, before anything runs.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

PLACEHOLDER = "{ __typename }"


class RefusingExtension(SchemaExtension):
    refusal: GraphQLError | None = None

    def refuse(self, error: GraphQLError) -> None:
        """Refuse the operation with ``error``, without parsing its document."""
        self.refusal = error
        context = self.execution_context
        context.query = PLACEHOLDER
        context._provided_operation_name = None

    def raise_refusal(self) -> None:
        if self.refusal is not None:
            raise self.refusal

    def on_execute(self) -> Iterator[None]:
        self.raise_refusal()
        yield
