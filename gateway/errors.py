"""GraphQL errors with a stable ``extensions.code``, and how the gateway reports them.

Expected errors (a client's mistake or a refusal: ``NOT_FOUND``, ``BAD_REQUEST``, validation,
the limits...) are counted per code and logged at DEBUG level without a traceback. A fault of
ours (an exception a resolver or an extension did not expect) is logged once, at ERROR level
with its traceback and a fresh error id, and the client gets only ``internal error (id ...)``
with code ``INTERNAL_SERVER_ERROR``: never the exception's text.
"""

from __future__ import annotations

import collections
import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.exceptions import MissingQueryError, StrawberryException
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionContext

log = logging.getLogger("gateway.errors")

OPERATIONAL = frozenset({"BACKEND_UNAVAILABLE", "BACKEND_ERROR"})
"""Codes that say something is wrong on our side (logged as a warning, without a traceback)."""

CLIENT_ERRORS: collections.Counter[str] = collections.Counter()
"""Errors answered in this process, by code (expected ones and faults alike)."""


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


def is_fault(error: GraphQLError) -> bool:
    """Whether ``error`` is a fault of ours rather than an answer to the request.

    Every deliberate refusal carries a code. Without one, an error at a field (``path``) is an
    exception a resolver did not expect; an error of the whole request is a syntax, validation
    or variable error, unless it wraps an exception that no parser or scalar raises."""
    if (error.extensions or {}).get("code"):
        return False
    if error.path is not None:
        return True
    original = error.original_error
    return original is not None and not isinstance(
        original,
        GraphQLError
        | StrawberryException
        | ValueError
        | TypeError
        | CannotGetOperationTypeError  # an unknown operation name
        | InvalidOperationTypeError  # a query where only subscriptions are allowed
        | MissingQueryError,
    )


def report(errors: Sequence[GraphQLError]) -> None:
    """Count and log ``errors``; a fault's message and code are replaced, in place, by a
    generic one carrying the id it was logged with."""
    for error in errors:
        if is_fault(error):
            error_id = uuid.uuid4().hex[:16]
            log.error(
                "internal error (id %s) at %s",
                error_id,
                ".".join(str(p) for p in error.path or ()) or "the operation",
                exc_info=error.original_error or error,
            )
            error.message = f"internal error (id {error_id})"
            error.extensions = {"code": "INTERNAL_SERVER_ERROR", "errorId": error_id}
            CLIENT_ERRORS["INTERNAL_SERVER_ERROR"] += 1
            continue
        code = str(
            (error.extensions or {}).get("code")
            or default_code({"message": error.message, "path": error.path})
        )
        CLIENT_ERRORS[code] += 1
        if code in OPERATIONAL:
            log.warning("%s: %s", code, error.message)
        else:
            log.debug("client error %s: %s", code, error.message)


class ReportingSchema(strawberry.Schema):
    """Strawberry's schema, with errors reported by :func:`report` instead of each one logged
    at ERROR level with its traceback."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        report(errors)
