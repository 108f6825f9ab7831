"""The gateway process: Strawberry's ASGI GraphQL app inside a small Starlette app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import (
    GRAPHQL_SSE_PROTOCOL,
    GRAPHQL_TRANSPORT_WS_PROTOCOL,
    GRAPHQL_WS_PROTOCOL,
)

from gateway.backend import BackendClient
from gateway.config import GatewaySettings
from gateway.context import Context
from gateway.schema import build_schema


class MallBotsGraphQL(GraphQL[Context, None]):
    def __init__(self, settings: GatewaySettings, state: dict[str, Any]) -> None:
        super().__init__(
            build_schema(),
            graphql_ide="graphiql" if settings.development else None,
            subscription_protocols=(
                GRAPHQL_TRANSPORT_WS_PROTOCOL,
                GRAPHQL_WS_PROTOCOL,
                GRAPHQL_SSE_PROTOCOL,
            ),
            max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
        )
        self.state = state

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        headers = request.headers
        trace = {k: headers[k] for k in ("traceparent", "tracestate") if k in headers}
        context = Context(backend=self.state["backend"], hub=self.state.get("hub"))
        if "x-correlation-id" in headers:
            context.correlation_id = headers["x-correlation-id"]
        context.trace_headers = trace
        return context


def create_app(settings: GatewaySettings) -> Starlette:
    state: dict[str, Any] = {}
    graphql = MallBotsGraphQL(settings, state)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state["backend"] = BackendClient(settings.backend_url, settings.backend_timeout_seconds)
        try:
            yield
        finally:
            await state["backend"].aclose()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        backend: BackendClient = state["backend"]
        try:
            response = await backend.http.get("/readyz")
            ok = response.status_code == 200
        except Exception:
            ok = False
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "backend": "ok" if ok else "unavailable"},
            status_code=200 if ok else 503,
        )

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
        ],
        lifespan=lifespan,
    )
