"""Declaring a module's HTTP endpoints once: Starlette routes and an OpenAPI document from them.

Every route checks its input before the handler runs: the body through the codec (with the limits
its request type declares), every path parameter as an :data:`~backend.platform.validation.Id`,
every query-string value as text of at most ``MAX_QUERY_VALUE`` characters. A refusal is a
``400 BAD_REQUEST`` naming the field. A domain error is answered with its code and not logged; any
other exception is logged once, with a fresh error id, and answered ``500 INTERNAL_ERROR`` with a
generic message carrying that id (never the exception's text).
"""

from __future__ import annotations

import dataclasses
import logging
import types
import typing
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.platform import validation
from backend.platform.errors import BadRequest, DomainError
from backend.platform.http import JSONResponse, error_response, read_body
from backend.platform.money import MAX_AMOUNT
from backend.platform.validation import IdempotencyKey
from observability import metrics

log = logging.getLogger(__name__)

Handler = Callable[[Request, Any], Awaitable[Any]]


@dataclass(frozen=True)
class Endpoint:
    """One operation: ``handler(request, body)`` returns JSON-ready data."""

    method: str
    path: str
    handler: Handler
    summary: str
    body: type | None = None
    status: int = 200


@dataclass(frozen=True)
class Idempotent:
    """The body of a command that takes nothing but an optional idempotency key."""

    idempotency_key: IdempotencyKey | None = None


def check_parameters(request: Request) -> None:
    """Path parameters are ids; query-string values are bounded text. BadRequest otherwise."""
    for name, value in request.path_params.items():
        try:
            validation.check_id(value)
        except validation.Invalid as exc:
            raise BadRequest(f"invalid request: {name}: {exc}") from None
    for name, value in request.query_params.multi_items():
        try:
            validation.check_text(name, 100)
            validation.check_text(value, validation.MAX_QUERY_VALUE)
        except validation.Invalid as exc:
            raise BadRequest(f"invalid request: {name[:100]!r}: {exc}") from None


def internal_error(request: Request, route: str) -> Response:
    """The answer to an unexpected exception (being handled): logged once with an error id."""
    error_id = uuid.uuid4().hex
    log.exception("unexpected error %s in %s %s", error_id, request.method, route)
    return JSONResponse(
        {
            "code": "INTERNAL_ERROR",
            "message": f"internal error; quote error id {error_id}",
            "error_id": error_id,
        },
        status_code=500,
    )


def _route(module: str, endpoint: Endpoint) -> Route:
    path = f"/api/{module}{endpoint.path}"

    async def serve(request: Request) -> Response:
        try:
            check_parameters(request)
            body: Any = await read_body(request, endpoint.body) if endpoint.body else None
            result: Any = await endpoint.handler(request, body)
        except DomainError as error:
            return error_response(error)
        except Exception:
            return internal_error(request, path)
        return JSONResponse(result if result is not None else {}, status_code=endpoint.status)

    serve = metrics.endpoint(module, endpoint.method, path, endpoint.handler.__name__).wrap(serve)
    return Route(
        path,
        serve,
        methods=[endpoint.method],
        name=f"{module}.{endpoint.handler.__name__}",
    )


def build_routes(module: str, endpoints: Sequence[Endpoint]) -> list[Route]:
    """The endpoints' routes under ``/api/<module>``, plus ``GET /api/<module>/openapi.json``."""
    document = openapi_document(module, endpoints)

    async def serve_openapi(request: Request) -> Response:
        return JSONResponse(document)

    openapi = Route(f"/api/{module}/openapi.json", serve_openapi, methods=["GET"])
    return [openapi] + [_route(module, e) for e in endpoints]


def _limits_schema(limits: Sequence[Any]) -> dict[str, Any]:
    """The JSON Schema keywords of the validation markers of an ``Annotated`` hint."""
    schema: dict[str, Any] = {}
    for limit in limits:
        if isinstance(limit, validation.MaxLen):
            schema["maxLength"] = limit.length
        elif isinstance(limit, validation.IdText):
            schema.update(format="id", minLength=1, maxLength=validation.MAX_ID)
        elif isinstance(limit, validation.Range):
            if limit.minimum is not None:
                schema["minimum"] = limit.minimum
            if limit.maximum is not None:
                schema["maximum"] = limit.maximum
        elif isinstance(limit, validation.MoneyAmount):
            schema.update(
                pattern=r"^-?[0-9]{1,10}(\.[0-9]{1,2})?$",
                description=f"from {limit.minimum} to {MAX_AMOUNT}, two decimals",
            )
    return schema


def json_schema(hint: Any) -> dict[str, Any]:
    """A JSON Schema for a dataclass field type (the subset our requests use)."""
    origin = typing.get_origin(hint)
    if origin is typing.Annotated:
        return {**json_schema(hint.__origin__), **_limits_schema(hint.__metadata__)}
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return {**json_schema(inner[0]), "nullable": True}
    if origin in (list, tuple):
        (item,) = typing.get_args(hint)[:1]
        return {"type": "array", "items": json_schema(item)}
    if dataclasses.is_dataclass(hint):
        hints = typing.get_type_hints(hint, include_extras=True)
        fields = dataclasses.fields(hint)
        required = [
            f.name
            for f in fields
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        ]
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {f.name: json_schema(hints[f.name]) for f in fields},
        }
        if required:
            schema["required"] = required
        return schema
    simple: dict[Any, dict[str, Any]] = {
        str: {"type": "string", "maxLength": validation.MAX_TEXT},
        int: {"type": "integer", "minimum": -validation.MAX_INT, "maximum": validation.MAX_INT},
        bool: {"type": "boolean"},
        float: {"type": "number"},
        Decimal: {"type": "string", "format": "decimal"},
    }
    return simple.get(hint, {})


def openapi_document(module: str, endpoints: Sequence[Endpoint]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    error = {
        "description": "error",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                }
            }
        },
    }
    for e in endpoints:
        operation: dict[str, Any] = {
            "summary": e.summary,
            "operationId": e.handler.__name__,
            "responses": {
                str(e.status): {"description": "success"},
                "400": error,
                "404": error,
                "409": error,
                "500": error,
            },
        }
        params = [p.strip("{}") for p in e.path.split("/") if p.startswith("{")]
        if params:
            operation["parameters"] = [
                {"name": p, "in": "path", "required": True, "schema": json_schema(validation.Id)}
                for p in params
            ]
        if e.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": json_schema(e.body)}},
            }
        paths.setdefault(f"/api/{module}{e.path}", {})[e.method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {"title": f"MallBots {module} API", "version": "1"},
        "paths": paths,
    }
