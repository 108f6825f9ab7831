"""Logs (issue 10, item 8): expected client errors are counted and logged at DEBUG level
without a traceback; a fault of ours is logged once, at ERROR level with its traceback and an
error id, and the client gets only a generic message carrying that id. Personal data is masked
by the logging filter of every gateway process."""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections.abc import AsyncIterator

import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from websockets.asyncio.client import connect

from backend.modules import select_modules
from backend.platform.embedded import free_port
from gateway import logs
from gateway.errors import CLIENT_ERRORS
from tests.conftest import Servers
from tests.gateway.hostile import ask
from tests.support.auth import auth_headers
from tests.support.backend import running_backend
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.serving import serve

UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
async def gateway(servers: Servers) -> AsyncIterator[RunningGateway]:
    modules = select_modules(["stores", "customers"])
    async with (
        running_backend(servers.database_url, servers.redis_url, modules) as backend,
        running_gateway(backend.url, servers.redis_url) as running,
    ):
        yield running


def gateway_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith(("gateway", "strawberry"))]


async def test_client_errors_are_counted_not_logged_as_errors(
    gateway: RunningGateway, caplog: pytest.LogCaptureFixture
) -> None:
    before = dict(CLIENT_ERRORS)
    caplog.set_level(logging.DEBUG)
    for query in (
        f'{{ customer(id: "{UNKNOWN}") {{ id }} }}',  # NOT_FOUND from the backend
        "{ stores { colour } }",  # validation
        "{ stores {",  # syntax
        "{ searchOrders(first: 0) { edges { cursor } } }",  # BAD_REQUEST at the gateway
    ):
        body = (await ask(gateway, query)).json()
        assert body["errors"], body
    records = gateway_records(caplog)
    assert [r for r in records if r.levelno >= logging.WARNING] == []
    assert all(r.exc_info is None for r in records)
    debug = [r.getMessage() for r in records if r.name == "gateway.errors"]
    assert any(m.startswith("client error NOT_FOUND: ") for m in debug), debug
    for code in ("NOT_FOUND", "GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED", "BAD_REQUEST"):
        assert CLIENT_ERRORS[code] > before.get(code, 0), code


@contextlib.asynccontextmanager
async def broken_backend() -> AsyncIterator[str]:
    """A stand-in backend whose store lacks the fields the gateway needs: the gateway's own
    code fails on it (a fault of ours, as far as the client can tell)."""

    async def get_store(request: Request) -> JSONResponse:
        return JSONResponse({"store": {"id": request.path_params["id"], "secret": "s3cr3t"}})

    port = free_port()
    async with serve(Starlette(routes=[Route("/api/stores/{id}", get_store)]), port):
        yield f"http://127.0.0.1:{port}"


async def test_a_fault_is_logged_once_with_an_id_the_client_gets(
    servers: Servers, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store_id = str(uuid.uuid4())
    async with broken_backend() as url, running_gateway(url, servers.redis_url) as gateway:
        body = (await ask(gateway, f'{{ store(id: "{store_id}") {{ name }} }}')).json()
    (error,) = body["errors"]
    match = re.fullmatch(r"internal error \(id ([0-9a-f]{16})\)", error["message"])
    assert match, error
    error_id = match.group(1)
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "errorId": error_id}
    assert "KeyError" not in str(body) and "name" not in error["message"]
    logged = [r for r in gateway_records(caplog) if r.levelno >= logging.ERROR]
    assert len(logged) == 1, [r.getMessage() for r in logged]
    assert logged[0].getMessage() == f"internal error (id {error_id}) at store"
    assert logged[0].exc_info is not None and logged[0].exc_info[0] is KeyError


def test_personal_data_is_masked_by_the_filter() -> None:
    assert logs.mask("SMS to +1 (555) 010-0199: Your order is ready") == (
        "SMS to *********99: Your order is ready"
    )
    assert logs.mask('{"smsNumber": "555-1212", "name": "Ann"}') == (
        '{"smsNumber": "*****12", "name": "Ann"}'
    )
    assert logs.mask("variables={'text': 'Your order 42 is ready'}") == (
        "variables={'text': '<22 characters>'}"
    )
    kept = (
        "order 123e4567-e89b-12d3-a456-426614174000 at 2026-12-01T17:00:00, entry 1764140000000-0"
    )
    assert logs.mask(kept) == kept


async def test_the_filter_masks_what_a_gateway_logs(
    gateway: RunningGateway, caplog: pytest.LogCaptureFixture
) -> None:
    """A refused variable echoes the client's input: through the filter its number is masked,
    and records keep their arguments apart (uvicorn's access log unpacks them)."""
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(logs.PersonalDataFilter())
    try:
        await ask(
            gateway,
            "mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) "
            "{ customer { id } } }",
            variables={"input": {"name": "Ann", "smsNumber": 5551212999}},
        )
        access = logging.LogRecord(
            "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
            ("127.0.0.1:5000", "GET", '/graphql?variables={"smsNumber":"5551212999"}', "1.1", 200),
            None,
        )  # fmt: skip
        caplog.handler.handle(access)
    finally:
        caplog.handler.filters.clear()
    text = caplog.text
    assert "5551212999" not in text
    assert "********99" in text
    assert isinstance(access.args, tuple) and access.args[4] == 200


async def test_a_query_where_only_subscriptions_run_is_no_fault(
    gateway: RunningGateway, caplog: pytest.LogCaptureFixture
) -> None:
    """The legacy graphql-ws protocol runs subscriptions only: a query there is the client's
    mistake, answered as such and not logged as an error."""
    caplog.set_level(logging.DEBUG)
    async with connect(gateway.ws_url, subprotocols=["graphql-ws"]) as ws:  # type: ignore[list-item]
        payload = {"Authorization": auth_headers("admin")["Authorization"]}
        await ws.send(orjson.dumps({"type": "connection_init", "payload": payload}).decode())
        assert orjson.loads(await ws.recv())["type"] == "connection_ack"
        start = {"id": "1", "type": "start", "payload": {"query": "{ __typename }"}}
        await ws.send(orjson.dumps(start).decode())
        while (answer := orjson.loads(await ws.recv())).get("id") != "1":
            pass
    assert answer == {"type": "error", "id": "1", "payload": {"message": "queries are not allowed"}}
    assert [r for r in gateway_records(caplog) if r.levelno >= logging.WARNING] == []
