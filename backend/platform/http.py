"""Small helpers for the modules' JSON HTTP APIs."""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from backend.platform import codec, validation
from backend.platform.errors import BadRequest, DomainError

T = TypeVar("T")

MAX_BODY_BYTES = 64 * 1024


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return codec.dump_bytes(content)


async def read_body(request: Request, cls: type[T]) -> T:
    """The request's JSON body as ``cls``; anything malformed is a 400 naming the field."""
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(f"the request body is larger than {MAX_BODY_BYTES} bytes")
    try:
        data = orjson.loads(body or b"{}")
    except orjson.JSONDecodeError:
        raise BadRequest("the request body is not valid JSON") from None
    try:
        validation.check_strings(data)
        return codec.from_plain(cls, data)
    except (codec.DecodeError, validation.Invalid) as exc:
        raise BadRequest(f"invalid request: {exc}") from None


def error_response(error: DomainError) -> JSONResponse:
    return JSONResponse({"code": error.code, "message": str(error)}, status_code=error.status)


async def domain_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return error_response(exc)


HTTP_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


async def http_error_handler(request: Request, exc: Exception) -> Response:
    """The router's own refusals (no route for a path, a method a route lacks) as JSON with a
    code, like every other answer of the API."""
    assert isinstance(exc, HTTPException)
    code = HTTP_CODES.get(exc.status_code, "BAD_REQUEST")
    return JSONResponse(
        {"code": code, "message": str(exc.detail).lower()},
        status_code=exc.status_code,
        headers=exc.headers,
    )
