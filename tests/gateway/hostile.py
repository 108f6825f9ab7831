"""Requests for the hostile-input tests: raw HTTP answers (status, headers and body), as an
administrator unless told otherwise, so that authorization never hides what a limit does."""

from __future__ import annotations

from typing import Any

import httpx

from gateway.backend import BackendClient
from tests.support.auth import auth_headers
from tests.support.gateway import RunningGateway


async def ask(
    gateway: RunningGateway,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    if extensions is not None:
        body["extensions"] = extensions
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(
            gateway.graphql_url,
            json=body,
            headers=auth_headers("admin") if headers is None else headers,
        )


async def refusal(gateway: RunningGateway, query: str, **kwargs: Any) -> dict[str, Any]:
    """The one error of a request that must be refused."""
    body = (await ask(gateway, query, **kwargs)).json()
    assert "errors" in body, body
    (only,) = body["errors"]
    result: dict[str, Any] = only
    return result


def calls(gateway: RunningGateway) -> int:
    """How many backend calls the gateway has made so far."""
    client: BackendClient = gateway.app.state.backend
    return client.calls
