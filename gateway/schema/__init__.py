"""The MallBots GraphQL schema: one file per module's types, merged here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.tools import merge_types

from gateway import live
from gateway.errors import ReportingSchema
from gateway.schema.baskets import BasketsMutation, BasketsQuery
from gateway.schema.customers import CustomersMutation, CustomersQuery
from gateway.schema.depot import DepotMutation, DepotQuery
from gateway.schema.notifications import NotificationsQuery
from gateway.schema.ordering import OrderingMutation, OrderingQuery
from gateway.schema.payments import PaymentsMutation, PaymentsQuery
from gateway.schema.scalars import SCALAR_OVERRIDES
from gateway.schema.search import SearchQuery
from gateway.schema.stores import StoresMutation, StoresQuery
from gateway.schema.subscriptions import Subscription
from gateway.validation import InputValidation

SCHEMA_FILE = Path(__file__).parent.parent / "schema.graphql"

Query = merge_types(
    "Query",
    (
        StoresQuery,
        CustomersQuery,
        BasketsQuery,
        OrderingQuery,
        SearchQuery,
        PaymentsQuery,
        DepotQuery,
        NotificationsQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        StoresMutation,
        CustomersMutation,
        BasketsMutation,
        OrderingMutation,
        PaymentsMutation,
        DepotMutation,
    ),
)

Extension = type[SchemaExtension] | Callable[[], SchemaExtension]
"""An extension class, or a factory of one (a fresh extension is made for each operation)."""


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context without graphql-core 3.3.2's per-event leak.

    graphql-core builds the executor of each subscription event as a shallow copy of the
    subscription's executor, so every event adds entries to one shared ``_relevant_sub_fields``
    cache that are never reused: about 3 KB per event per subscription, kept for as long as the
    subscription lives (and full garbage collections of the growing heap stall every
    subscriber). Each event gets a cache of its own instead.

    It also hands the subscription's executor to :mod:`gateway.live`, which executes the live
    updates of WebSocket subscriptions with per-event copies of it.
    """

    def build_per_event_executor(self, payload: Any) -> Any:
        live.remember_executor(self)
        executor = super().build_per_event_executor(payload)
        executor._relevant_sub_fields = {}
        return executor


class CachedNameConverter(NameConverter):
    """Strawberry converts every argument's name to camelCase again on every request (7% of
    the gateway's CPU per mutation, measured); the names never change, so remember them."""

    def __init__(self) -> None:
        super().__init__()
        self._names: dict[str, str] = {}

    def apply_naming_config(self, name: str) -> str:
        converted = self._names.get(name)
        if converted is None:
            converted = self._names[name] = super().apply_naming_config(name)
        return converted


def build_schema(extensions: Sequence[Extension] = ()) -> strawberry.Schema:
    return ReportingSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[InputValidation, *extensions],
        scalar_overrides=SCALAR_OVERRIDES,
        execution_context_class=ExecutionContext,
        config=StrawberryConfig(name_converter=CachedNameConverter()),
    )


def printed() -> str:
    """The SDL of the schema, as `mallbots schema` writes it to gateway/schema.graphql."""
    return str(build_schema()).rstrip() + "\n"
