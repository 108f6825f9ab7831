"""GraphQL errors with a stable ``extensions.code``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphql import GraphQLError


def graphql_error(message: str, code: str, **extensions: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **extensions})


def not_found(what: str, id: str) -> GraphQLError:
    return graphql_error(f"{what} with id: `{id}` does not exist", "NOT_FOUND")


def default_code(error: Mapping[str, Any]) -> str:
    """The code of an error that was raised without one: a syntax error, a document that does
    not validate against the schema or whose variables do not fit it, or a fault of ours."""
    message = str(error.get("message", ""))
    if message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if error.get("path"):
        return "INTERNAL_SERVER_ERROR"
    return "GRAPHQL_VALIDATION_FAILED"


def with_default_codes(errors: Sequence[object] | None) -> list[object]:
    """``errors`` (formatted) with ``extensions.code`` set on each that lacked one."""
    coded: list[object] = []
    for error in errors or ():
        if not isinstance(error, Mapping):
            coded.append(error)
            continue
        extensions = dict(error.get("extensions") or {})
        extensions.setdefault("code", default_code(error))
        coded.append({**error, "extensions": extensions})
    return coded
