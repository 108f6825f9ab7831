"""Every argument and input field of an operation checked against the input limits, before it runs.

One step over the whole operation rather than checks in the resolvers: each argument's value
(literal, variable or default, as graphql-core coerces it) is walked along its GraphQL type, and
every leaf is held to the rule of its scalar:

- ``String``: at most :data:`MAX_LENGTHS` characters for its field (else ``MAX_TEXT``), no NUL
  character, no lone surrogate;
- ``ID``: the text of a UUID, as the backend makes them;
- ``Decimal``: money, a finite number with at most two decimal places from 0 to ``MAX_AMOUNT``;
- a list: at most :data:`MAX_LIST_ITEMS` items.

The first value that breaks its rule answers ``BAD_REQUEST``, with ``extensions.field`` naming
it (``input.customerId``, ``filter.storeIds[3]``) and nothing of the value itself. The limits are
those of the backend (:mod:`backend.platform.validation`), which checks again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    get_variable_values,
)
from graphql.execution.values import get_argument_values
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

from backend.platform.validation import (
    MAX_TEXT,
    Invalid,
    MoneyAmount,
    check_money,
    check_text,
    check_uuid,
)
from gateway.errors import graphql_error

MAX_LENGTHS: Mapping[str, int] = {
    "idempotencyKey": 200,
    "name": 200,
    "location": 200,
    "sku": 100,
    "smsNumber": 32,
    "after": 500,
}
"""The longest text of the ``String`` arguments and input fields of these names."""

MAX_LIST_ITEMS = 100
"""The most items a list argument or input field may hold."""

_MONEY = MoneyAmount()


def _check_leaf(type_name: str, value: Any, name: str) -> None:
    if type_name == "String" and isinstance(value, str):
        check_text(value, MAX_LENGTHS.get(name, MAX_TEXT))
    elif type_name == "ID" and isinstance(value, str):
        check_text(value)
        check_uuid(value)
    elif type_name == "Decimal" and isinstance(value, Decimal):
        check_money(value, _MONEY)


def check_value(value: Any, type_: GraphQLInputType, path: str, name: str) -> None:
    """Raise ``BAD_REQUEST`` naming ``path`` when ``value`` (coerced) breaks a limit."""
    if value is None:
        return
    if isinstance(type_, GraphQLNonNull):
        check_value(value, type_.of_type, path, name)
    elif isinstance(type_, GraphQLList):
        items = value if isinstance(value, list) else [value]
        if len(items) > MAX_LIST_ITEMS:
            raise _refusal(path, f"more than {MAX_LIST_ITEMS} items")
        for index, item in enumerate(items):
            check_value(item, type_.of_type, f"{path}[{index}]", name)
    elif isinstance(type_, GraphQLInputObjectType) and isinstance(value, Mapping):
        for field_name, field in type_.fields.items():
            key = field.out_name or field_name
            if key in value:
                check_value(value[key], field.type, f"{path}.{field_name}", field_name)
    elif isinstance(type_, GraphQLScalarType):
        try:
            _check_leaf(type_.name, value, name)
        except Invalid as exc:
            raise _refusal(path, str(exc)) from None


def _refusal(path: str, reason: str) -> GraphQLError:
    return graphql_error(f"invalid input: {path}: {reason}", "BAD_REQUEST", field=path)


class _Walk:
    """The fields of one operation with their argument definitions (fragments once per type)."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self.schema = schema
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.seen: set[tuple[int, str]] = set()

    def fields(
        self, selections: SelectionSetNode | None, parent: Any
    ) -> Iterator[tuple[FieldNode, Any]]:
        if selections is None or not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return
        key = (id(selections), parent.name)
        if key in self.seen:
            return
        self.seen.add(key)
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                field = parent.fields.get(selection.name.value)
                if field is None:
                    continue
                yield selection, field
                yield from self.fields(selection.selection_set, get_named_type(field.type))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                yield from self.fields(selection.selection_set, inner)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    inner = self.schema.get_type(fragment.type_condition.name.value)
                    yield from self.fields(fragment.selection_set, inner)


_WALKS: OrderedDict[
    tuple[int, int, int], tuple[GraphQLSchema, DocumentNode, list[tuple[FieldNode, Any]]]
] = OrderedDict()
_WALKS_SIZE = 512
"""As many documents as the parser cache keeps (it hands out the same node for the same text)."""


def _fields_with_arguments(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode
) -> list[tuple[FieldNode, Any]]:
    """The fields of ``operation`` that take arguments, walked once per document (the entry
    keeps the schema and the document alive, so their ids are not reused while remembered)."""
    key = (id(schema), id(document), id(operation))
    found = _WALKS.get(key)
    if found is not None:
        _WALKS.move_to_end(key)
        return found[2]
    root = schema.get_root_type(operation.operation)
    walked = [
        (node, field)
        for node, field in _Walk(schema, document).fields(operation.selection_set, root)
        if field.args
    ]
    _WALKS[key] = (schema, document, walked)
    if len(_WALKS) > _WALKS_SIZE:
        _WALKS.popitem(last=False)
    return walked


def check_operation(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    raw_variables: Mapping[str, Any],
) -> None:
    """Raise ``BAD_REQUEST`` for the first argument of ``operation`` that breaks a limit."""
    variables = None
    if operation.variable_definitions:
        coerced = get_variable_values(schema, operation.variable_definitions, dict(raw_variables))
        if isinstance(coerced, list):
            return  # execution reports the variables' errors, and runs nothing
        variables = coerced
    for node, field in _fields_with_arguments(schema, document, operation):
        try:
            values = get_argument_values(field, node, variables)
        except GraphQLError:
            continue  # execution reports it
        for name, argument in field.args.items():
            key = argument.out_name or name
            if key in values:
                check_value(values[key], argument.type, name, name)


class InputValidation(SchemaExtension):
    """Holds every operation's arguments to the input limits before it executes."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            operation = get_operation_ast(document, context.operation_name)
            if operation is not None:
                check_operation(
                    context.schema._schema, document, operation, context.variables or {}
                )
        yield
