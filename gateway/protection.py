"""The gateway's protections against hostile input and abuse, assembled from the settings for
:mod:`gateway.app`: the rate limiter and the persisted-operations allow-list (extensions that
run before every operation), the HTTP middleware (CORS, the body limit) and the WebSocket
options (origin allow-list, ``connection_init`` timeout, message size)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.middleware import Middleware

from gateway import http_limits
from gateway.config import GatewaySettings
from gateway.limits import Extension
from gateway.persisted import PersistedOperations, PersistedOperationsExtension
from gateway.ratelimit import Bucket, RateLimit, RateLimiter
from gateway.ws_limits import LimitedWebSocketAdapter, limited_adapter


def extensions(settings: GatewaySettings, state: dict[str, Any]) -> list[Extension]:
    """Run first, in this order: the rate limit (nothing else is spent on a refused client),
    then the persisted operations (which may supply the document)."""
    found: list[Extension] = []
    if rate_limited(settings):
        found.append(lambda: RateLimit(state["ratelimiter"]))
    operations = PersistedOperations.from_settings(
        settings.persisted_operations, settings.persisted_operations_file
    )
    if operations.mode != "off" or operations.manifest:
        state["persisted"] = operations
        found.append(lambda: PersistedOperationsExtension(operations))
    return found


def rate_limited(settings: GatewaySettings) -> bool:
    return settings.rate_limit and settings.redis_url is not None


def start(settings: GatewaySettings, state: dict[str, Any]) -> None:
    """Inside the running event loop (the lifespan)."""
    if rate_limited(settings):
        assert settings.redis_url is not None
        state["ratelimiter"] = RateLimiter(
            settings.redis_url,
            per_ip=Bucket(settings.rate_limit_ip_per_second, settings.rate_limit_ip_burst),
            per_principal=Bucket(
                settings.rate_limit_principal_per_second, settings.rate_limit_principal_burst
            ),
        )


async def stop(state: dict[str, Any]) -> None:
    limiter: RateLimiter | None = state.pop("ratelimiter", None)
    if limiter is not None:
        await limiter.aclose()


def middleware(settings: GatewaySettings) -> list[Middleware]:
    return [
        http_limits.cors(settings.cors_origins),
        Middleware(http_limits.BodyLimit, max_bytes=settings.max_body_bytes),
    ]


def view_options(settings: GatewaySettings) -> dict[str, Any]:
    """Arguments of Strawberry's ASGI view: WebSocket handshakes from another origin only from
    the CORS allow-list, and graphql-transport-ws's own ``connection_init`` timeout."""
    return {
        "allowed_origins": settings.cors_origins,
        "connection_init_wait_timeout": dt.timedelta(
            seconds=settings.connection_init_timeout_seconds
        ),
    }


def websocket_adapter(settings: GatewaySettings) -> type[LimitedWebSocketAdapter]:
    return limited_adapter(settings.max_ws_message_bytes, settings.connection_init_timeout_seconds)
