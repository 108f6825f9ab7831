"""A real gateway (uvicorn) on a free port in front of a running backend."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

from backend.platform.embedded import free_port
from gateway.app import server_config
from gateway.config import GatewaySettings
from tests.support.auth import INTERNAL_TOKEN, TOKENS
from tests.support.serving import serve_config


@dataclasses.dataclass
class RunningGateway:
    url: str
    settings: GatewaySettings
    app: Any

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    @property
    def ws_url(self) -> str:
        return self.graphql_url.replace("http://", "ws://")


@contextlib.asynccontextmanager
async def running_gateway(
    backend_url: str, redis_url: str, **overrides: Any
) -> AsyncIterator[RunningGateway]:
    port = int(overrides.get("port") or free_port())  # a given port: e.g. to restart on it
    settings = dataclasses.replace(
        GatewaySettings(),
        **{
            "backend_url": backend_url,
            "redis_url": redis_url,
            "port": port,
            "development": True,
            "tokens": TOKENS,
            "internal_token": INTERNAL_TOKEN,
            **overrides,
        },
    )
    config = server_config(settings, port)  # as the gateway process serves it
    async with serve_config(config) as url:
        yield RunningGateway(url, settings, config.app)
