"""Limits on what one GraphQL operation may ask, checked before anything runs.

- Document size: the query text's length in bytes, checked before it is parsed
  (``DOCUMENT_TOO_LARGE``).
- Depth: Strawberry's ``QueryDepthLimiter`` rule, its errors coded ``QUERY_TOO_DEEP``.
- Complexity: every field costs 1, and the fields under a list cost as many times over as the
  list may hold: the ``first`` argument of the field or of the connection above it, else
  ``list_cost`` (``QUERY_TOO_COMPLEX``). Checked after validation, with the variables, before
  the first resolver runs.
- Introspection, when switched off: Strawberry's ``DisableIntrospection`` rule, its errors coded
  ``INTROSPECTION_DISABLED``.

Introspection fields (``__schema``, ``__type``, ``__typename``) cost nothing, so GraphiQL's
schema query is never refused for its size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    SelectionSetNode,
    ValidationContext,
    VariableNode,
    get_named_type,
    get_nullable_type,
)
from graphql.utilities import get_operation_ast
from graphql.validation import ASTValidationRule
from strawberry.extensions import DisableIntrospection, QueryDepthLimiter, SchemaExtension

from gateway.errors import graphql_error

Extension = Callable[[], SchemaExtension]


class _CodedContext:
    """A validation context whose reported errors carry ``extensions.code``."""

    def __init__(self, inner: ValidationContext, code: str) -> None:
        self._inner = inner
        self._code = code

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "code": self._code}
        self._inner.report_error(error)


def coded(rule: type[ASTValidationRule], code: str) -> type[ASTValidationRule]:
    """``rule`` with ``extensions.code`` set on every error it reports.

    Made once per limit, not per operation: the validation cache only hits when every
    operation is validated with the same rule classes."""

    class Coded(rule):  # type: ignore[valid-type,misc]
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(_CodedContext(context, code))

    Coded.__name__ = f"Coded{rule.__name__}"
    return Coded


class Complexity:
    """The cost of one operation of a (valid) document."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: dict[str, Any] | None,
        list_cost: int,
    ) -> None:
        self.schema = schema
        self.variables = variables or {}
        self.list_cost = list_cost
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }

    def _first(self, node: FieldNode, field: GraphQLField) -> int | None:
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
                return given if isinstance(given, int) else None
            return None
        default = field.args["first"].default_value if "first" in field.args else None
        return default if isinstance(default, int) else None

    def cost(
        self,
        selections: SelectionSetNode | None,
        parent: GraphQLObjectType | None,
        pending: int | None = None,
    ) -> int:
        """The cost of ``selections`` on ``parent``; ``pending`` is a ``first`` not yet used by a
        list (a connection's, for its ``edges``)."""
        if selections is None or parent is None:
            return 0
        total = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                total += self._field_cost(selection, parent, pending)
            elif isinstance(selection, InlineFragmentNode):
                inner = parent
                if selection.type_condition is not None:
                    inner = self._object(selection.type_condition.name.value) or parent
                total += self.cost(selection.selection_set, inner, pending)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    inner = self._object(fragment.type_condition.name.value) or parent
                    total += self.cost(fragment.selection_set, inner, pending)
        return total

    def _object(self, name: str) -> GraphQLObjectType | None:
        found = self.schema.get_type(name)
        return found if isinstance(found, GraphQLObjectType) else None

    def _field_cost(self, node: FieldNode, parent: GraphQLObjectType, pending: int | None) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 0
        field = parent.fields.get(name)
        if field is None:
            return 1
        first = self._first(node, field)
        if first is not None:
            pending = max(first, 0)
        nullable = get_nullable_type(field.type)
        named = get_named_type(field.type)
        child = named if isinstance(named, GraphQLObjectType) else None
        if isinstance(nullable, GraphQLList):
            multiplier = pending if pending is not None else self.list_cost
            return 1 + multiplier * self.cost(node.selection_set, child, None)
        return 1 + self.cost(node.selection_set, child, pending)


class OperationLimits(SchemaExtension):
    """Every limit in one extension (Strawberry runs each extension's hooks for every
    operation, so one extension instead of four is measurably cheaper per request)."""

    def __init__(
        self,
        max_bytes: int,
        rules: tuple[type[ASTValidationRule], ...],
        max_complexity: int,
        list_cost: int,
    ) -> None:
        self.max_bytes = max_bytes
        self.rules = rules
        self.max_complexity = max_complexity
        self.list_cost = list_cost

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        size = len((context.query or "").encode())
        if size > self.max_bytes:
            raise graphql_error(
                f"the document is {size} bytes long; at most {self.max_bytes} are allowed",
                "DOCUMENT_TOO_LARGE",
            )
        context.validation_rules = context.validation_rules + self.rules
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            operation = get_operation_ast(document, context.operation_name)
            schema = context.schema._schema
            root = schema.get_root_type(operation.operation) if operation else None
            if operation is not None and root is not None:
                measure = Complexity(schema, document, context.variables, self.list_cost)
                cost = measure.cost(operation.selection_set, root)
                if cost > self.max_complexity:
                    raise graphql_error(
                        f"the operation costs {cost}; at most {self.max_complexity} is allowed",
                        "QUERY_TOO_COMPLEX",
                        cost=cost,
                    )
        yield


def operation_limits(
    *, max_bytes: int, max_depth: int, max_complexity: int, list_cost: int, introspection: bool
) -> Extension:
    """A factory of :class:`OperationLimits` (one per operation); the coded validation rules
    are made once, since the validation cache only hits when every operation is validated with
    the same rule classes."""
    (depth,) = QueryDepthLimiter(max_depth=max_depth).validation_rules
    rules = [coded(depth, "QUERY_TOO_DEEP")]
    if not introspection:
        (no_introspection,) = DisableIntrospection().validation_rules
        rules.append(coded(no_introspection, "INTROSPECTION_DISABLED"))
    frozen = tuple(rules)
    return lambda: OperationLimits(max_bytes, frozen, max_complexity, list_cost)
