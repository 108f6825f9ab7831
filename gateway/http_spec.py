"""GraphQL over HTTP: the ``application/graphql-response+json`` media type, and status codes.

A client that accepts ``application/graphql-response+json`` gets its answers with that content
type, and a request error (the document does not parse or validate, the variables do not fit
it, a limit refused it: nothing ran, so no error has a ``path``) as status 400 without a
``data`` entry, as the GraphQL-over-HTTP specification asks. Under ``application/json`` such
errors stay ``200`` with ``"data": null``, which every older client expects.

Either way, ``RATE_LIMITED`` is answered with 429 and a ``Retry-After`` header.

:func:`shape` runs where the result is turned into the response body (it records what the
response needs on the request's state); :func:`finish` then sets the status and headers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from strawberry.http import GraphQLHTTPResponse

GRAPHQL_RESPONSE = "application/graphql-response+json"


def wants_graphql_response(headers: Mapping[str, str]) -> bool:
    """Whether the client accepts the GraphQL response media type (then it gets it)."""
    for part in headers.get("accept", "").split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        if media.lower() != GRAPHQL_RESPONSE:
            continue
        quality = next((p[2:] for p in params if p.lower().startswith("q=")), "1")
        try:
            return float(quality) > 0
        except ValueError:
            return False
    return False


def _is_request_error(response: GraphQLHTTPResponse) -> bool:
    errors: list[Any] = list(response.get("errors") or ())
    return (
        bool(errors)
        and response.get("data") is None
        and all(isinstance(e, Mapping) and not e.get("path") for e in errors)
    )


def shape(request: Request, response: GraphQLHTTPResponse) -> GraphQLHTTPResponse:
    """The body of ``response`` for ``request``'s media type; the status and headers it needs
    are kept on ``request.state`` for :func:`finish`."""
    errors = [e for e in response.get("errors") or () if isinstance(e, Mapping)]
    retry = [
        float(e["extensions"].get("retryAfterSeconds", 1))
        for e in errors
        if (e.get("extensions") or {}).get("code") == "RATE_LIMITED"
    ]
    if retry:
        request.state.graphql_status = 429
        request.state.retry_after = max(1, math.ceil(max(retry)))
    if wants_graphql_response(request.headers) and _is_request_error(response):
        response = {key: value for key, value in response.items() if key != "data"}  # type: ignore[assignment]
        request.state.graphql_status = getattr(request.state, "graphql_status", 400)
    return response


def finish(request: Request, response: Response) -> None:
    """Set the status, content type and ``Retry-After`` that :func:`shape` decided on."""
    status = getattr(request.state, "graphql_status", None)
    if status is not None and response.status_code == 200:
        response.status_code = status
    retry_after = getattr(request.state, "retry_after", None)
    if retry_after is not None:
        response.headers["retry-after"] = str(retry_after)
    content_type = response.headers.get("content-type", "")
    if content_type.startswith("application/json") and wants_graphql_response(request.headers):
        response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
