"""An unexpected error in the backend reaches the client as ``INTERNAL_SERVER_ERROR`` carrying
the id the backend logged it under, never as the backend being unavailable."""

from __future__ import annotations

import asyncio
import logging

import pytest
import uvicorn
from graphql import GraphQLError
from starlette.applications import Starlette

from backend.platform.api import build_routes
from backend.platform.embedded import free_port
from gateway.backend import BackendClient
from tests.platform.test_validation import ENDPOINTS, GOOD_ID


async def test_a_backend_fault_keeps_its_error_id(caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    app = Starlette(routes=build_routes("things", ENDPOINTS))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        assert not serving.done()
        await asyncio.sleep(0.01)
    client = BackendClient(f"http://127.0.0.1:{port}", internal_token="t" * 32)
    try:
        with caplog.at_level(logging.ERROR), pytest.raises(GraphQLError) as raised:
            await client.request("GET", f"/things/{GOOD_ID}/broken")
    finally:
        await client.aclose()
        server.should_exit = True
        await serving
    extensions = raised.value.extensions or {}
    assert extensions["code"] == "INTERNAL_SERVER_ERROR"
    (logged,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert extensions["errorId"] in logged.getMessage()
    assert raised.value.message == f"internal error (id {extensions['errorId']})"
