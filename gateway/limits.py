"""Limits on what one GraphQL operation may ask, checked before anything runs.

- Document size: the query text's length in bytes, checked before it is parsed
  (``DOCUMENT_TOO_LARGE``).
- Depth: Strawberry's ``QueryDepthLimiter`` rule, its errors coded ``QUERY_TOO_DEEP``.
- Aliases: at most ``max_aliases`` aliased fields in the document (``TOO_MANY_ALIASES``).
- Root fields: at most ``max_root_fields`` fields at the top of the operation, fragments
  included (``TOO_MANY_ROOT_FIELDS``).
- Complexity: every field costs 1, a field that calls the backend itself (every root field, and
  the per-row fields of :data:`PER_ROW_CALLS`) costs ``call_cost``, and the fields under a list
  cost as many times over as the list may hold: the ``first`` argument of the field or of the
  connection above it, else ``list_cost`` (``QUERY_TOO_COMPLEX``). ``first`` is read from the
  coerced variables, so a variable's default counts as much as a literal.
- Backend calls: the calls the operation would make by that count, at most ``max_backend_calls``
  (``TOO_MANY_BACKEND_CALLS``). Fields resolved through a DataLoader are batched (one call per
  level and kind) and are not estimated; the runtime budget of :mod:`gateway.budget` counts every
  call as it is made and refuses the ones past the cap.
- Introspection, when switched off: Strawberry's ``DisableIntrospection`` rule, its errors coded
  ``INTROSPECTION_DISABLED``.

Introspection fields (``__schema``, ``__type``, ``__typename``) cost nothing, so GraphiQL's
schema query is never refused for its size.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ArgumentNode,
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
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationContext,
    VariableNode,
    Visitor,
    get_named_type,
    get_nullable_type,
    get_variable_values,
    visit,
)
from graphql.utilities import get_operation_ast
from graphql.validation import ASTValidationRule
from strawberry.extensions import DisableIntrospection, QueryDepthLimiter, SchemaExtension

from gateway import budget
from gateway.errors import graphql_error
from gateway.refusals import RefusingExtension
from gateway.session import expired

Extension = Callable[[], SchemaExtension]

PER_ROW_CALLS = frozenset(
    {"OrderSummary.order", "Order.saga", "ShoppingList.assignedBot", "Bot.shoppingList"}
)
"""Fields below the root whose resolver calls the backend once per object (no batch read)."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_complexity: int
    list_cost: int
    call_cost: int
    max_aliases: int
    max_root_fields: int
    max_backend_calls: int


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


@dataclass(frozen=True)
class Measure:
    """What (part of) an operation costs, and how many backend calls it makes."""

    cost: int = 0
    calls: int = 0

    def __add__(self, other: Measure) -> Measure:
        return Measure(self.cost + other.cost, self.calls + other.calls)

    def times(self, n: int) -> Measure:
        return Measure(self.cost * n, self.calls * n)


class Complexity:
    """The cost of one operation of a (valid) document.

    Selection sets are measured once per (selection set, type, pending ``first``): a fragment
    spread many times over is walked once, so measuring stays linear in the document."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: dict[str, Any],
        list_cost: int,
        call_cost: int,
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.list_cost = list_cost
        self.call_cost = call_cost
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self._memo: dict[tuple[int, str, int | None], Measure] = {}

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

    def measure(
        self,
        selections: SelectionSetNode | None,
        parent: GraphQLObjectType | None,
        pending: int | None = None,
        root: bool = False,
    ) -> Measure:
        """The measure of ``selections`` on ``parent``; ``pending`` is a ``first`` not yet used by
        a list (a connection's, for its ``edges``)."""
        if selections is None or parent is None:
            return Measure()
        key = (id(selections), parent.name, pending)
        found = self._memo.get(key)
        if found is not None:
            return found
        self._memo[key] = Measure()  # a fragment cycle (invalid anyway) ends here
        total = Measure()
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent, pending, root)
            elif isinstance(selection, InlineFragmentNode):
                inner = parent
                if selection.type_condition is not None:
                    inner = self._object(selection.type_condition.name.value) or parent
                total += self.measure(selection.selection_set, inner, pending, root)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    inner = self._object(fragment.type_condition.name.value) or parent
                    total += self.measure(fragment.selection_set, inner, pending, root)
        self._memo[key] = total
        return total

    def _object(self, name: str) -> GraphQLObjectType | None:
        found = self.schema.get_type(name)
        return found if isinstance(found, GraphQLObjectType) else None

    def _field(
        self, node: FieldNode, parent: GraphQLObjectType, pending: int | None, root: bool
    ) -> Measure:
        name = node.name.value
        if name.startswith("__"):
            return Measure()
        field = parent.fields.get(name)
        if field is None:
            return Measure(1)
        calls = root or f"{parent.name}.{name}" in PER_ROW_CALLS
        own = Measure(self.call_cost, 1) if calls else Measure(1)
        first = self._first(node, field)
        if first is not None:
            pending = max(first, 0)
        nullable = get_nullable_type(field.type)
        named = get_named_type(field.type)
        child = named if isinstance(named, GraphQLObjectType) else None
        if isinstance(nullable, GraphQLList):
            multiplier = pending if pending is not None else self.list_cost
            return own + self.measure(node.selection_set, child, None).times(multiplier)
        return own + self.measure(node.selection_set, child, pending)


def count_aliases(document: DocumentNode) -> int:
    """Aliased fields anywhere in the document."""

    class Aliases(Visitor):
        count = 0

        def enter_field(self, node: FieldNode, *_: object) -> None:
            if node.alias is not None:
                self.count += 1

    counter = Aliases()
    visit(document, counter)
    return counter.count


def count_root_fields(operation: OperationDefinitionNode, document: DocumentNode) -> int:
    """Fields at the top of ``operation``, through its fragments (each fragment counted once
    per spread, and a spread cycle stops)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }

    def count(selections: SelectionSetNode, seen: frozenset[str]) -> int:
        total = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                total += 0 if selection.name.value.startswith("__") else 1
            elif isinstance(selection, InlineFragmentNode):
                total += count(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in fragments and name not in seen:
                    total += count(fragments[name].selection_set, seen | {name})
        return total

    return count(operation.selection_set, frozenset())


@dataclass
class _Facts:
    """What the limits need of one operation of a document, found once: the document's aliases,
    the operation's root fields, the variables used as a `first` argument (sorted), and the
    operation's measure for each set of costs and of their values seen."""

    aliases: int
    roots: int
    first_variables: tuple[str, ...]
    measures: dict[tuple[object, ...], Measure] = field(default_factory=dict)


_FACTS: OrderedDict[tuple[int, int], tuple[DocumentNode, _Facts]] = OrderedDict()
_FACTS_SIZE = 512
"""As many documents as the parser cache keeps (it hands out the same node for the same text)."""
_MEASURES_PER_DOCUMENT = 64


def first_variables(document: DocumentNode) -> tuple[str, ...]:
    """The variables given to a `first` argument anywhere in the document, sorted."""

    names: set[str] = set()

    class Firsts(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: object) -> None:
            if node.name.value == "first" and isinstance(node.value, VariableNode):
                names.add(node.value.name.value)

    visit(document, Firsts())
    return tuple(sorted(names))


def _facts(document: DocumentNode, operation: OperationDefinitionNode) -> _Facts:
    """The facts of ``operation`` in ``document``, remembered by node identity (the entry keeps
    the document alive, so an id is never reused while it is remembered)."""
    key = (id(document), id(operation))
    found = _FACTS.get(key)
    if found is not None:
        _FACTS.move_to_end(key)
        return found[1]
    facts = _Facts(
        count_aliases(document), count_root_fields(operation, document), first_variables(document)
    )
    _FACTS[key] = (document, facts)
    if len(_FACTS) > _FACTS_SIZE:
        _FACTS.popitem(last=False)
    return facts


class OperationLimits(RefusingExtension):
    """Every limit in one extension (Strawberry runs each extension's hooks for every
    operation, so one extension instead of several is measurably cheaper per request)."""

    def __init__(self, limits: Limits, rules: tuple[type[ASTValidationRule], ...]) -> None:
        self.limits = limits
        self.rules = rules

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        size = len((context.query or "").encode())
        if size > self.limits.max_bytes:
            self.refuse(
                graphql_error(
                    f"the document is {size} bytes long; at most {self.limits.max_bytes} "
                    "are allowed",
                    "DOCUMENT_TOO_LARGE",
                )
            )
        session = expired(getattr(context.context, "expires_at", math.inf))
        if session is not None:  # a WebSocket or SSE stream that outlived its token
            self.refuse(session)
        context.validation_rules = context.validation_rules + self.rules
        yield

    def on_execute(self) -> Iterator[None]:
        self.raise_refusal()
        context = self.execution_context
        document = context.graphql_document
        operation = get_operation_ast(document, context.operation_name) if document else None
        if document is None or operation is None:
            yield
            return
        self._check(context.schema._schema, document, operation, context.variables or {})
        if operation.operation == OperationType.SUBSCRIPTION:
            yield
            return
        token = budget.open_budget(self.limits.max_backend_calls)
        try:
            yield
        finally:
            budget.close_budget(token)

    def _check(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        raw_variables: dict[str, Any],
    ) -> None:
        limits = self.limits
        facts = _facts(document, operation)
        aliases = facts.aliases
        if aliases > limits.max_aliases:
            raise graphql_error(
                f"the document has {aliases} aliases; at most {limits.max_aliases} are allowed",
                "TOO_MANY_ALIASES",
            )
        roots = facts.roots
        if roots > limits.max_root_fields:
            raise graphql_error(
                f"the operation has {roots} root fields; at most {limits.max_root_fields} "
                "are allowed",
                "TOO_MANY_ROOT_FIELDS",
            )
        root = schema.get_root_type(operation.operation)
        if root is None:
            return
        variables: dict[str, Any] = {}
        if facts.first_variables and operation.variable_definitions:
            coerced = get_variable_values(schema, operation.variable_definitions, raw_variables)
            if isinstance(coerced, list):
                return  # execution reports the variables' errors, and runs nothing
            variables = coerced.coerced
        # The measure depends on the costs and on the values of the `first` variables only.
        key = (
            limits.list_cost,
            limits.call_cost,
            *(repr(variables.get(name)) for name in facts.first_variables),
        )
        found = facts.measures.get(key)
        if found is None:
            measure = Complexity(schema, document, variables, limits.list_cost, limits.call_cost)
            found = measure.measure(operation.selection_set, root, root=True)
            if len(facts.measures) >= _MEASURES_PER_DOCUMENT:
                facts.measures.clear()
            facts.measures[key] = found
        if found.cost > limits.max_complexity:
            raise graphql_error(
                f"the operation costs {found.cost}; at most {limits.max_complexity} is allowed",
                "QUERY_TOO_COMPLEX",
                cost=found.cost,
            )
        if found.calls > limits.max_backend_calls:
            raise graphql_error(
                f"the operation would make {found.calls} backend calls; at most "
                f"{limits.max_backend_calls} are allowed",
                "TOO_MANY_BACKEND_CALLS",
                calls=found.calls,
            )


def operation_limits(limits: Limits, *, max_depth: int, introspection: bool) -> Extension:
    """A factory of :class:`OperationLimits` (one per operation); the coded validation rules
    are made once, since the validation cache only hits when every operation is validated with
    the same rule classes."""
    (depth,) = QueryDepthLimiter(max_depth=max_depth).validation_rules
    rules = [coded(depth, "QUERY_TOO_DEEP")]
    if not introspection:
        (no_introspection,) = DisableIntrospection().validation_rules
        rules.append(coded(no_introspection, "INTROSPECTION_DISABLED"))
    frozen = tuple(rules)
    return lambda: OperationLimits(limits, frozen)
