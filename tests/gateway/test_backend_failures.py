"""An unexpected error in the backend reaches the client as ``INTERNAL_SERVER_ERROR`` carrying
the id the backend logged it under, never as the backend being unavailable."""

from __future__ import annotations

import logging

import pytest
from graphql import GraphQLError
from starlette.applications import Starlette

from backend.platform.api import build_routes
from gateway.backend import BackendClient
from tests.platform.test_validation import ENDPOINTS, GOOD_ID
from tests.support.serving import serve


async def test_a_backend_fault_keeps_its_error_id(caplog: pytest.LogCaptureFixture) -> None:
    app = Starlette(routes=build_routes("things", ENDPOINTS))
    async with serve(app) as url:
        client = BackendClient(url, internal_token="t" * 32)
        try:
            with caplog.at_level(logging.ERROR), pytest.raises(GraphQLError) as raised:
                await client.request("GET", f"/things/{GOOD_ID}/broken")
        finally:
            await client.aclose()
    extensions = raised.value.extensions or {}
    assert extensions["code"] == "INTERNAL_SERVER_ERROR"
    (logged,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert extensions["errorId"] in logged.getMessage()
    assert raised.value.message == f"internal error (id {extensions['errorId']})"
