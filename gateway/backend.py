"""The gateway's one pooled HTTP client to the backend modules.

Every call carries the request's correlation id and W3C trace context. Timeouts are bounded, so
a backend that is down gives ``BACKEND_UNAVAILABLE`` quickly; the client reconnects by itself
when the backend returns.

aiohttp rather than httpx here: measured on this gateway at 64 concurrent clients, httpx's
connection pool spent about a third of the gateway's CPU choosing connections, work that grows
with the number of connections; aiohttp's connector does not (see docs/benchmarks.md).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import aiohttp
import orjson

from backend.platform.principal import PRINCIPAL_HEADER, Principal, forward
from gateway.errors import graphql_error
from observability import tracing


def _backend_failure(status: int, content: bytes) -> Exception:
    """A backend 5xx as the client sees it: an unexpected error there keeps its error id (the
    backend logged it once, with that id), anything else is the backend being unavailable."""
    try:
        answer = orjson.loads(content)
    except orjson.JSONDecodeError:
        answer = None
    if status == 500 and isinstance(answer, dict) and answer.get("code") == "INTERNAL_ERROR":
        error_id = str(answer.get("error_id", ""))[:64]
        return graphql_error(
            f"internal error (id {error_id})", "INTERNAL_SERVER_ERROR", errorId=error_id
        )
    return graphql_error(f"the backend failed with status {status}", "BACKEND_UNAVAILABLE")


FORWARD_REUSE_SECONDS = 30.0
"""How long one signed principal header is reused (it is valid for 60 s)."""


def _reason(error: BaseException) -> str:
    if isinstance(error, aiohttp.ClientConnectorError):
        return "cannot connect"
    if isinstance(error, TimeoutError):
        return "timed out"
    return "connection lost"


class BackendClient:
    """Create inside the running event loop (the gateway's lifespan does)."""

    def __init__(
        self,
        base_url: str,
        timeout_seconds: float = 5.0,
        internal_token: str | None = None,
        service_urls: Mapping[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.service_urls = {m: url.rstrip("/") for m, url in (service_urls or {}).items()}
        """Where each module is served when that is not ``base_url`` (one process per module)."""
        self.internal_token = internal_token or ""
        self._credential = {"authorization": f"Bearer {internal_token}"} if internal_token else {}
        self._forwarded: dict[str, tuple[str, float]] = {}
        self.session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(
                total=timeout_seconds, sock_connect=min(timeout_seconds, 2.0)
            ),
            connector=aiohttp.TCPConnector(limit=200, keepalive_timeout=30),
            json_serialize=lambda value: orjson.dumps(value).decode(),
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
        url = f"{self.base_of(path)}/api{path}"
        sent = {"content-type": "application/json", **self._credential, **(headers or {})}
        try:
            with tracing.client_span(method, url, sent) as call:
                async with self.session.request(
                    method,
                    url,
                    data=orjson.dumps(body) if body is not None else None,
                    headers=sent,
                    params=params,
                ) as response:
                    status, content = response.status, await response.read()
                call.answered(status)
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise graphql_error(
                f"the backend is unavailable ({_reason(exc)})", "BACKEND_UNAVAILABLE"
            ) from None
        if status >= 500:
            raise _backend_failure(status, content)
        try:
            data = orjson.loads(content)
        except orjson.JSONDecodeError:
            if status == 404:  # no such route: an id that is no path segment
                raise graphql_error("not found", "NOT_FOUND") from None
            raise graphql_error("the backend sent a malformed answer", "BACKEND_ERROR") from None
        if status >= 400:
            raise graphql_error(
                str(data.get("message", "request refused")), str(data.get("code", "BAD_REQUEST"))
            )
        return data

    def base_of(self, path: str) -> str:
        """The address of the module ``path`` (``/<module>/...``) belongs to."""
        module = path.lstrip("/").split("/", 1)[0].split("?", 1)[0]
        return self.service_urls.get(module, self.base_url)

    def principal_headers(self, principal: Principal) -> dict[str, str]:
        """The header that tells the backend who a call acts for, signed with the service
        credential (none without one: the backend then refuses the call anyway). Each is reused
        until shortly before it expires: signing one costs about as much as a small request."""
        if not self.internal_token:
            return {}
        cached = self._forwarded.get(principal.key)
        now = time.time()
        if cached is None or cached[1] < now:
            if len(self._forwarded) > 10_000:
                self._forwarded.clear()
            value = forward(principal, self.internal_token)
            cached = self._forwarded[principal.key] = (value, now + FORWARD_REUSE_SECONDS)
        return {PRINCIPAL_HEADER: cached[0]}

    async def ready(self) -> bool:
        """Whether the backend answers its readiness probe."""
        try:
            async with self.session.get(f"{self.base_url}/readyz") as response:
                return response.status == 200
        except (TimeoutError, aiohttp.ClientError):
            return False

    async def aclose(self) -> None:
        await self.session.close()
