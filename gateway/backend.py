"""The gateway's one pooled HTTP client to the backend modules.

Every call carries the request's correlation id and W3C trace context. Timeouts are bounded, so
a backend that is down gives ``BACKEND_UNAVAILABLE`` quickly; the client reconnects by itself
when the backend returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import orjson

from gateway.errors import graphql_error


class BackendClient:
    def __init__(self, base_url: str, timeout_seconds: float = 5.0) -> None:
        self.http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, 2.0)),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=100),
        )
        self.calls = 0
        """How many requests this client made (the DataLoader tests count them)."""

    async def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        """JSON of ``/api{path}``; a domain error becomes a GraphQL error with its code."""
        self.calls += 1
        try:
            response = await self.http.request(
                method,
                f"/api{path}",
                content=orjson.dumps(body) if body is not None else None,
                headers={"content-type": "application/json", **(headers or {})},
                params=params,
            )
        except httpx.HTTPError as exc:
            raise graphql_error(
                f"the backend is unavailable ({type(exc).__name__})", "BACKEND_UNAVAILABLE"
            ) from None
        if response.status_code >= 500:
            raise graphql_error(
                f"the backend failed with status {response.status_code}", "BACKEND_UNAVAILABLE"
            )
        try:
            data = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            if response.status_code == 404:  # no such route: an id that is no path segment
                raise graphql_error("not found", "NOT_FOUND") from None
            raise graphql_error("the backend sent a malformed answer", "BACKEND_ERROR") from None
        if response.status_code >= 400:
            raise graphql_error(
                str(data.get("message", "request refused")), str(data.get("code", "BAD_REQUEST"))
            )
        return data

    async def aclose(self) -> None:
        await self.http.aclose()
