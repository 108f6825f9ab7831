"""Synchronous reads of another module's HTTP API (cache fall-backs), by module name.

In the modular monolith every module is served by this same process, so the default address is
the backend's own; with one process per module, ``MALLBOTS_SERVICE_URLS`` names each one
(``stores=http://stores:8080,customers=http://customers:8080``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import httpx
import orjson

from backend.platform.errors import DomainError


class ServiceUnavailable(DomainError):
    code = "BACKEND_UNAVAILABLE"
    status = 503


class ServiceRefused(DomainError):
    """Another module refused the request (a 4xx that is not passing): unlike an outage,
    asking again cannot help (a consumer counts it towards the DLQ, a saga step fails)."""


_PASSING = frozenset({401, 403, 408, 429})
"""Refusals that a retry or an operator cures: treated as the module being unavailable."""


class ServiceClient:
    def __init__(
        self,
        default_url: str,
        urls: Mapping[str, str],
        local_modules: Collection[str],
        internal_token: str | None = None,
    ) -> None:
        self.default_url = default_url
        self.urls = dict(urls)
        self.local_modules = set(local_modules)
        credential = {"authorization": f"Bearer {internal_token}"} if internal_token else {}
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(5.0, connect=2.0), headers=credential)

    def base(self, module: str) -> str:
        if module in self.urls:
            return self.urls[module].rstrip("/")
        if module in self.local_modules:
            return self.default_url.rstrip("/")
        raise ServiceUnavailable(
            f"no address for the {module} module: it is not served by this process;"
            " add it to MALLBOTS_SERVICE_URLS"
        )

    async def get(self, module: str, path: str) -> Any | None:
        """GET /api/<module><path> as JSON; None when the other module says 404, or 400 (the
        id cannot name anything there). An outage (no answer, 5xx, and 401/403/408/429, which
        a retry or an operator can cure) is ``ServiceUnavailable``; another refusal is
        ``ServiceRefused``."""
        url = f"{self.base(module)}/api/{module}{path}"  # raises first: no address
        try:
            response = await self.http.get(url)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"the {module} module is unavailable: {exc}") from None
        if response.status_code in (400, 404):
            return None
        if 400 <= response.status_code < 500 and response.status_code not in _PASSING:
            raise ServiceRefused(f"the {module} module refused the request: {response.text[:200]}")
        if response.status_code >= 400:
            raise ServiceUnavailable(f"the {module} module answered {response.status_code}")
        return orjson.loads(response.content)

    async def aclose(self) -> None:
        await self.http.aclose()


def parse_service_urls(raw: str) -> dict[str, str]:
    """``name=url,name=url`` to a dict; a malformed pair is an error naming it."""
    urls: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in raw.split(","))):
        name, sep, url = pair.partition("=")
        if not sep or not name.strip() or not url.strip():
            raise ValueError(f"MALLBOTS_SERVICE_URLS: expected name=url, got {pair!r}")
        urls[name.strip()] = url.strip()
    return urls
