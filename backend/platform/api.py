"""Declaring a module's HTTP endpoints once: Starlette routes and an OpenAPI document from them."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.platform.http import JSONResponse, read_body

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

    idempotency_key: str | None = None


def _route(module: str, endpoint: Endpoint) -> Route:
    async def serve(request: Request) -> Response:
        body: Any = await read_body(request, endpoint.body) if endpoint.body else None
        result: Any = await endpoint.handler(request, body)
        return JSONResponse(result if result is not None else {}, status_code=endpoint.status)

    return Route(
        f"/api/{module}{endpoint.path}",
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


def json_schema(hint: Any) -> dict[str, Any]:
    """A JSON Schema for a dataclass field type (the subset our requests use)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return {**json_schema(inner[0]), "nullable": True}
    if origin in (list, tuple):
        (item,) = typing.get_args(hint)[:1]
        return {"type": "array", "items": json_schema(item)}
    if dataclasses.is_dataclass(hint):
        hints = typing.get_type_hints(hint)
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
        str: {"type": "string"},
        int: {"type": "integer"},
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
            },
        }
        params = [p.strip("{}") for p in e.path.split("/") if p.startswith("{")]
        if params:
            operation["parameters"] = [
                {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
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
