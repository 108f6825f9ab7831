"""GraphQL over HTTP for the gateway tests: one request, its data or its errors."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.auth import ADMIN
from tests.support.gateway import RunningGateway


async def post(
    gateway: RunningGateway, query: str, auth: dict[str, str] | None = ADMIN, **variables: Any
) -> dict[str, Any]:
    """``auth``: the request's headers (an admin's token unless given; None for anonymous)."""
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            gateway.graphql_url, json={"query": query, "variables": variables}, headers=auth
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def data(
    gateway: RunningGateway, query: str, auth: dict[str, str] | None = ADMIN, **variables: Any
) -> dict[str, Any]:
    """The data of a request that must succeed."""
    body = await post(gateway, query, auth, **variables)
    assert "errors" not in body, body["errors"]
    result: dict[str, Any] = body["data"]
    return result


async def error(
    gateway: RunningGateway, query: str, auth: dict[str, str] | None = ADMIN, **variables: Any
) -> dict[str, Any]:
    """The one error of a request that must fail."""
    body = await post(gateway, query, auth, **variables)
    assert "errors" in body, body
    (only,) = body["errors"]
    result: dict[str, Any] = only
    return result
