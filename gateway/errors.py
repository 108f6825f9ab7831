"""GraphQL errors with a stable ``extensions.code``."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError


def graphql_error(message: str, code: str, **extensions: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **extensions})


def not_found(what: str, id: str) -> GraphQLError:
    return graphql_error(f"{what} with id: `{id}` does not exist", "NOT_FOUND")
