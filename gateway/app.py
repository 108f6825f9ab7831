"""The gateway process: Strawberry's ASGI GraphQL app inside a small Starlette app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
import uvicorn
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions import (
    GRAPHQL_SSE_PROTOCOL,
    GRAPHQL_TRANSPORT_WS_PROTOCOL,
    GRAPHQL_WS_PROTOCOL,
)
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from gateway import dev_auth, graphiql, http_spec, live, protection, telemetry, webclient
from gateway.auth import AuthenticationFailed, Authenticator, mint
from gateway.backend import BackendClient
from gateway.config import GatewaySettings
from gateway.context import Context
from gateway.errors import with_default_codes
from gateway.hub import SubscriptionHub
from gateway.limits import Extension, Limits, operation_limits
from gateway.ratelimit import refused_authentication
from gateway.schema import build_schema
from observability import metrics, tracing


def extensions(settings: GatewaySettings, state: dict[str, Any]) -> list[Extension]:
    """The limits of every operation, as configured."""
    return [
        telemetry.extension(
            document=settings.trace_graphql_document, resolvers=settings.trace_graphql_resolvers
        ),
        *protection.extensions(settings, state),
        lambda: ParserCache(maxsize=512),
        operation_limits(
            Limits(
                max_bytes=settings.max_document_bytes,
                max_complexity=settings.max_complexity,
                list_cost=settings.list_cost,
                call_cost=settings.call_cost,
                max_aliases=settings.max_aliases,
                max_root_fields=settings.max_root_fields,
                max_backend_calls=settings.max_backend_calls,
            ),
            max_depth=settings.max_depth,
            introspection=settings.introspection_enabled,
        ),
        lambda: ValidationCache(maxsize=512),
    ]


class MallBotsGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = live.TransportWSHandler
    graphql_ws_handler_class = live.LegacyWSHandler

    def __init__(self, settings: GatewaySettings, state: dict[str, Any]) -> None:
        super().__init__(
            build_schema(extensions(settings, state)),
            graphql_ide="graphiql" if settings.development else None,
            subscription_protocols=(
                GRAPHQL_TRANSPORT_WS_PROTOCOL,
                GRAPHQL_WS_PROTOCOL,
                GRAPHQL_SSE_PROTOCOL,
            ),
            max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
            **protection.view_options(settings),
        )
        self.websocket_adapter_class = protection.websocket_adapter(settings)
        self.state = state
        self.authenticator = Authenticator(settings.tokens)
        self.dev_secret = settings.tokens.secret if settings.development else None
        self.max_backend_calls = settings.max_backend_calls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """As Strawberry's, except that an HTTP refusal is a GraphQL error response (JSON,
        ``extensions.code``) rather than plain text."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            request = Request(scope=scope, receive=receive)
            response = await self.run(request)
        except HTTPException as error:
            response = refusal(error.status_code, error.reason)
        except RateLimited as limited:
            body = http_spec.shape(request, {"data": None, "errors": [limited.error.formatted]})
            response = JSONResponse(body)
        http_spec.finish(request, response)
        await response(scope, receive, send)

    async def render_graphql_ide(self, request: Request) -> Response:
        secret = self.dev_secret
        admin = f"Bearer {mint(secret, dev_auth.ADMIN)}" if secret else None
        return graphiql.page(admin)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        if response.get("errors"):
            response["errors"] = with_default_codes(response["errors"])
            response = http_spec.shape(request, response)
        return response

    def encode_json(self, data: object) -> str:
        """orjson instead of the standard library: every response and subscription frame
        (text, since WebSocket clients expect text frames)."""
        return orjson.dumps(data).decode()

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        headers = request.headers
        trace = {k: headers[k] for k in ("traceparent", "tracestate") if k in headers}
        context = Context(
            backend=self.state["backend"],
            hub=self.state.get("hub"),
            max_backend_calls=self.max_backend_calls,
        )
        if "x-correlation-id" in headers:
            context.correlation_id = headers["x-correlation-id"]
        context.trace_headers = trace
        context.client_ip = request.client.host if request.client else ""
        if not isinstance(request, WebSocket):  # a WebSocket authenticates in connection_init
            try:
                authorization = headers.get("authorization")
                context.principal, context.expires_at = await self.authenticator.session(
                    authorization
                )
            except AuthenticationFailed as exc:
                limited = await refused_authentication(self.state.get("ratelimiter"), context)
                if limited is not None:
                    raise RateLimited(limited) from None
                raise HTTPException(401, str(exc)) from None
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authenticate a WebSocket from its ``connection_init`` payload, before any operation:
        ``{"Authorization": "Bearer <jwt>"}`` or ``{"token": "<jwt>"}``; none is anonymous."""
        params = context.connection_params or {}
        authorization = params.get("Authorization", params.get("authorization"))
        if authorization is None and params.get("token") is not None:
            authorization = f"Bearer {params['token']}"
        try:
            if authorization is not None and not isinstance(authorization, str):
                raise AuthenticationFailed("the token must be a string")
            context.principal, context.expires_at = await self.authenticator.session(authorization)
        except AuthenticationFailed as exc:
            limited = await refused_authentication(self.state.get("ratelimiter"), context)
            if limited is not None:
                raise ConnectionRejectionError(dict(limited.formatted)) from None
            raise ConnectionRejectionError(
                {"message": str(exc), "extensions": {"code": "UNAUTHENTICATED"}}
            ) from None
        return UNSET  # type: ignore[no-any-return]


class RateLimited(Exception):
    """A request refused by the rate limiter before Strawberry runs it (its token was refused
    and its client IP's bucket is empty): answered as the limiter's extension answers."""

    def __init__(self, error: GraphQLError) -> None:
        super().__init__(error.message)
        self.error = error


_REFUSAL_CODES = {
    401: "UNAUTHENTICATED",
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
}


def refusal(status: int, reason: str) -> Response:
    code = _REFUSAL_CODES.get(status, "BAD_REQUEST")
    if "not allowed when using GET" in reason:
        code = "OPERATION_NOT_ALLOWED"
    elif reason.startswith("Unknown operation named"):
        code = "UNKNOWN_OPERATION"
    return JSONResponse(
        {"data": None, "errors": [{"message": reason, "extensions": {"code": code}}]},
        status_code=status,
        headers={"www-authenticate": "Bearer"} if status == 401 else None,
    )


def create_app(settings: GatewaySettings) -> Starlette:
    state: dict[str, Any] = {}
    graphql = MallBotsGraphQL(settings, state)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        backend = BackendClient(
            settings.backend_url,
            settings.backend_timeout_seconds,
            settings.internal_token,
            settings.service_urls,
        )
        state["backend"] = app.state.backend = backend
        hub = SubscriptionHub(settings.redis_url) if settings.redis_url else None
        state["hub"] = app.state.hub = hub
        protection.start(settings, state)
        try:
            if hub is not None:
                await hub.start()
            yield
        finally:
            if hub is not None:
                await hub.stop()
            await protection.stop(state)
            await backend.aclose()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        backend: BackendClient = state["backend"]
        ok = await backend.ready()
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "backend": "ok" if ok else "unavailable"},
            status_code=200 if ok else 503,
        )

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            metrics.route(public_edge=True),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            *(graphiql.routes() if settings.development else []),
            *(dev_auth.routes(settings, state) if settings.development else []),
        ],
        lifespan=lifespan,
        middleware=protection.middleware(settings),
        exception_handlers={404: webclient.fallback()},  # the web client at / (gateway/web)
    )
    tracing.instrument_app(app)
    return app


def server_config(settings: GatewaySettings, port: int | None = None) -> uvicorn.Config:
    """How uvicorn serves the gateway. A request that comes from one of the trusted proxies
    (``MALLBOTS_TRUSTED_PROXIES``: the load balancer) has the client address its
    ``X-Forwarded-For`` names, which the per-IP rate limit and the logs use; from anywhere else,
    the header is ignored, so a client cannot choose its own address."""
    return uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=port or settings.port,
        loop="uvloop",
        log_level="warning",
        lifespan="on",
        ws_max_size=settings.max_ws_message_bytes,
        proxy_headers=True,
        forwarded_allow_ips=list(settings.trusted_proxies),
    )
