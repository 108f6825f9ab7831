"""Per-request context of GraphQL resolvers: the backend client, DataLoaders, the hub."""

from __future__ import annotations

import math
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from backend.platform.principal import ANONYMOUS, Principal
from gateway.backend import BackendClient
from gateway.budget import open_budget, spend_backend_call
from gateway.session import expired

T = TypeVar("T")


@dataclass
class Context:
    backend: BackendClient
    hub: Any
    correlation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    trace_headers: dict[str, str] = field(default_factory=dict)
    client_ip: str = ""
    """The client's address (as uvicorn reports it: behind a proxy, from its forwarded headers)."""
    principal: Principal = ANONYMOUS
    """Who the request acts for (from its bearer token; anonymous without one)."""
    expires_at: float = math.inf
    """When the principal's token stops being valid (epoch seconds, its ``exp`` plus the
    leeway): a WebSocket or SSE stream outliving it is refused further payloads."""
    connection_params: dict[str, Any] | None = None
    """A WebSocket's ``connection_init`` payload (where its token is)."""
    max_backend_calls: int = 50
    """The cap on the backend calls of each subscription payload, as of a query or mutation
    (``MALLBOTS_GRAPHQL_MAX_BACKEND_CALLS``)."""
    _loaders: dict[str, DataLoader[str, Any]] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {
            "x-correlation-id": self.correlation_id,
            **self.trace_headers,
            **self.backend.principal_headers(self.principal),
        }

    async def call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        spend_backend_call()
        return await self.backend.request(
            method, path, body, headers=self.headers, params=params or None
        )

    def start_payload(self) -> None:
        """Before each subscription payload: the session still valid, a budget of backend calls
        of its own, and no DataLoader of the last payload (a WebSocket connection keeps one
        context for all of its operations and their whole life), so references (an item's
        product) are read anew."""
        self.check_session()
        self._loaders.clear()
        # Not closed after the payload: a subscription yields between payloads, and its
        # generator is not sure to resume in the context that opened it; the next payload's
        # replaces it, and the operation's task ends with the subscription.
        open_budget(self.max_backend_calls)

    def check_session(self) -> None:
        """Raise ``UNAUTHENTICATED`` once the principal's token has expired."""
        error = expired(self.expires_at)
        if error is not None:
            raise error

    def loader(
        self, name: str, load: Callable[[list[str]], Awaitable[list[Any]]]
    ) -> DataLoader[str, Any]:
        """One DataLoader per kind per request: loads of the same tick are batched."""
        if name not in self._loaders:
            self._loaders[name] = DataLoader(load_fn=load)
        return self._loaders[name]
