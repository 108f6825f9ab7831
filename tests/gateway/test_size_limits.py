"""Size limits everywhere (issue 10, item 4): the whole HTTP body, variables included (declared
or streamed without a length); each WebSocket message and the number of subscriptions per
connection, on both WebSocket protocols; and ``connection_init`` that never comes."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from backend.stores.module import module as stores
from tests.conftest import Servers
from tests.gateway.hostile import calls
from tests.gateway.test_subscriptions import CATALOG_UPDATED
from tests.support.auth import auth_headers
from tests.support.backend import running_backend
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.mall import Mall

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
SUBSCRIBE = {TRANSPORT_WS: "subscribe", LEGACY_WS: "start"}
DATA = {TRANSPORT_WS: "next", LEGACY_WS: "data"}


@pytest.fixture(scope="module")
async def mall_gateway(servers: Servers) -> AsyncIterator[tuple[Mall, RunningGateway]]:
    async with (
        running_backend(servers.database_url, servers.redis_url, [stores]) as backend,
        running_gateway(
            backend.url,
            servers.redis_url,
            max_body_bytes=2_000,
            max_ws_message_bytes=2_000,
            max_document_bytes=1_000,
            max_subscriptions_per_connection=2,
            connection_init_timeout_seconds=0.5,
        ) as gateway,
    ):
        yield Mall(backend.http, lambda module: backend.url), gateway


@pytest.fixture
def gateway(mall_gateway: tuple[Mall, RunningGateway]) -> RunningGateway:
    return mall_gateway[1]


@pytest.fixture
def mall(mall_gateway: tuple[Mall, RunningGateway]) -> Mall:
    return mall_gateway[0]


# --- HTTP ---


async def test_a_body_too_large_is_refused_whatever_makes_it_large(gateway: RunningGateway) -> None:
    small_query = "{ __typename }"
    before = calls(gateway)
    async with httpx.AsyncClient(timeout=30) as http:
        big_variables = await http.post(
            gateway.graphql_url, json={"query": small_query, "variables": {"pad": "y" * 3_000}}
        )
        big_extensions = await http.post(
            gateway.graphql_url, json={"query": small_query, "extensions": {"x": "y" * 3_000}}
        )

        async def streamed() -> AsyncIterator[bytes]:  # no Content-Length: chunked
            yield b'{"query": "{ __typename }", "variables": {"pad": "'
            for _ in range(10):
                yield b"y" * 500
            yield b'"}}'

        chunked = await http.post(
            gateway.graphql_url, content=streamed(), headers={"content-type": "application/json"}
        )
        fits = await http.post(
            gateway.graphql_url, json={"query": small_query, "variables": {"pad": "y" * 1_000}}
        )
    for refused in (big_variables, big_extensions, chunked):
        assert refused.status_code == 413, refused.text
        assert refused.json() == {
            "errors": [
                {
                    "message": "the request body is larger than 2000 bytes",
                    "extensions": {"code": "REQUEST_TOO_LARGE"},
                }
            ]
        }
    assert fits.status_code == 200 and fits.json() == {"data": {"__typename": "Query"}}
    assert calls(gateway) == before


# --- WebSockets, both protocols ---


@contextlib.asynccontextmanager
async def socket(gateway: RunningGateway, protocol: str) -> AsyncIterator[ClientConnection]:
    async with connect(gateway.ws_url, subprotocols=[protocol]) as ws:  # type: ignore[list-item]
        yield ws


async def initialised(ws: ClientConnection) -> None:
    payload = {"Authorization": auth_headers("admin")["Authorization"]}
    await ws.send(orjson.dumps({"type": "connection_init", "payload": payload}).decode())
    while orjson.loads(await ws.recv())["type"] != "connection_ack":
        pass


async def closed_with(ws: ClientConnection) -> int | None:
    """The close code the server ends the connection with (reading until it does)."""
    with contextlib.suppress(ConnectionClosed):
        while True:
            await ws.recv()
    assert ws.close_code is not None
    return ws.close_code


def subscribe(protocol: str, id: str, variables: dict[str, object]) -> str:
    payload = {"query": CATALOG_UPDATED, "variables": variables}
    return orjson.dumps({"id": id, "type": SUBSCRIBE[protocol], "payload": payload}).decode()


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_websocket_message_too_large_closes_the_connection(
    gateway: RunningGateway, protocol: str
) -> None:
    async with socket(gateway, protocol) as ws:
        await initialised(ws)
        await ws.send(subscribe(protocol, "1", {"id": "x" * 3_000}))
        assert await closed_with(ws) == 1009
    async with socket(gateway, protocol) as ws:  # a large connection_init is no exception
        await ws.send(
            orjson.dumps({"type": "connection_init", "payload": {"x": "é" * 1_500}}).decode()
        )
        assert await closed_with(ws) == 1009


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_connection_init_must_come_in_time(gateway: RunningGateway, protocol: str) -> None:
    async with socket(gateway, protocol) as ws:
        assert await closed_with(ws) == 4408
    async with socket(gateway, protocol) as ws:  # a ping is not connection_init
        await ws.send(orjson.dumps({"type": "ping"}).decode())
        assert await closed_with(ws) == 4408


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_subscriptions_per_connection_are_capped(
    gateway: RunningGateway, mall: Mall, protocol: str
) -> None:
    store_id, _ = await mall.store_with_product()
    async with socket(gateway, protocol) as ws:
        await initialised(ws)
        for id in ("1", "2", "3"):
            await ws.send(subscribe(protocol, id, {"id": store_id}))
        answers: dict[str, str] = {}
        while set(answers) != {"1", "2", "3"}:
            message = orjson.loads(await ws.recv())
            if message.get("id") is not None:
                answers.setdefault(message["id"], message["type"])
                if message["type"] == "error":
                    refused = message["payload"]
    assert answers == {"1": DATA[protocol], "2": DATA[protocol], "3": "error"}
    if protocol == TRANSPORT_WS:
        assert refused[0]["message"] == "Subscription limit reached"
    else:
        assert refused == {"message": "Subscription limit reached"}


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_subscription_document_too_large_is_refused_with_its_code(
    gateway: RunningGateway, protocol: str
) -> None:
    """Refused before parsing, and told to the client (not a silent ``complete``)."""
    async with socket(gateway, protocol) as ws:
        await initialised(ws)
        padded = {"query": CATALOG_UPDATED + " " * 1_000, "variables": {"id": "x"}}
        message = {"id": "1", "type": SUBSCRIBE[protocol], "payload": padded}
        await ws.send(orjson.dumps(message).decode())
        while (answer := orjson.loads(await ws.recv())).get("id") != "1":
            pass
    payload = answer["payload"]
    errors = payload if isinstance(payload, list) else payload.get("errors", [payload])
    assert errors[0]["extensions"]["code"] == "DOCUMENT_TOO_LARGE"
