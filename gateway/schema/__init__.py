"""The MallBots GraphQL schema: one file per module's types, merged here."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.tools import merge_types

from gateway.schema.stores import StoresMutation, StoresQuery

SCHEMA_FILE = Path(__file__).parent.parent / "schema.graphql"

Query = merge_types("Query", (StoresQuery,))
Mutation = merge_types("Mutation", (StoresMutation,))


def build_schema(
    extensions: Sequence[type[SchemaExtension]] = (),
) -> strawberry.Schema:
    return strawberry.Schema(query=Query, mutation=Mutation, extensions=list(extensions))


def printed() -> str:
    """The SDL of the schema, as `mallbots schema` writes it to gateway/schema.graphql."""
    return str(build_schema()).rstrip() + "\n"
