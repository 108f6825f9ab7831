"""Serving an ASGI app for a test: uvicorn on 127.0.0.1, started before the block, stopped after."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import uvicorn

from backend.platform.embedded import free_port
from tests.support.waiting import eventually


@contextlib.asynccontextmanager
async def serve(app: Any, port: int | None = None, *, lifespan: str = "auto") -> AsyncIterator[str]:
    """``app`` served on ``port`` (a free one when None) until the block ends; its base URL."""
    port = free_port() if port is None else port
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan
    )
    async with serve_config(config) as url:
        yield url


@contextlib.asynccontextmanager
async def serve_config(config: uvicorn.Config) -> AsyncIterator[str]:
    """uvicorn serving as ``config`` says until the block ends; its base URL."""
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())

    async def started() -> bool:  # uvicorn offers no event for this; its flag is the condition
        if serving.done():
            serving.result()
            raise RuntimeError(f"{type(config.app).__name__} did not start on port {config.port}")
        return server.started

    await eventually(started, bool, timeout=60)
    try:
        yield f"http://{config.host}:{config.port}"
    finally:
        server.should_exit = True
        await serving
