"""Every subscription transport the gateway serves delivers a subscription: graphql-transport-ws
and the legacy graphql-ws protocol (both through gql), and GraphQL over SSE (httpx streaming)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from gql.transport.exceptions import TransportQueryError

from backend.stores.module import module as stores
from tests.conftest import Servers
from tests.gateway.test_subscriptions import (
    CATALOG_UPDATED,
    GRAPHQL_TRANSPORT_WS,
    LEGACY_GRAPHQL_WS,
    error_of,
    hub_of,
    no_subscribers,
    subscription,
)
from tests.support.auth import ADMIN
from tests.support.backend import running_backend
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.mall import Mall


@pytest.fixture(scope="module")
async def mall_gateway(servers: Servers) -> AsyncIterator[tuple[Mall, RunningGateway]]:
    async with (
        running_backend(servers.database_url, servers.redis_url, [stores]) as backend,
        running_gateway(backend.url, servers.redis_url) as gateway,
    ):
        yield Mall(backend.http, lambda module: backend.url), gateway


@pytest.fixture
def mall(mall_gateway: tuple[Mall, RunningGateway]) -> Mall:
    return mall_gateway[0]


@pytest.fixture
def gateway(mall_gateway: tuple[Mall, RunningGateway]) -> RunningGateway:
    return mall_gateway[1]


async def add_product(mall: Mall, store_id: str, name: str) -> str:
    body = {"name": name, "price": "3.50"}
    return str((await mall.call("POST", "stores", f"/{store_id}/products", body, 201))["id"])


@pytest.mark.parametrize("protocol", [GRAPHQL_TRANSPORT_WS, LEGACY_GRAPHQL_WS])
async def test_a_websocket_protocol_delivers_the_state_then_updates(
    gateway: RunningGateway, mall: Mall, protocol: str
) -> None:
    store_id, product_id = await mall.store_with_product()
    async with subscription(gateway, CATALOG_UPDATED, protocol, id=store_id) as feed:
        first = await feed.next()
        assert first["snapshot"] is True
        assert [p["id"] for p in first["products"]] == [product_id]
        assert hub_of(gateway).subscriber_count == 1
        added = await add_product(mall, store_id, f"Over {protocol}")
        update = await feed.until(lambda u: u["products"][0]["id"] != product_id)
        assert update["snapshot"] is False
        assert [(p["id"], p["name"]) for p in update["products"]] == [(added, f"Over {protocol}")]
    await no_subscribers(gateway)


UNKNOWN = "00000000-0000-4000-8000-0000000000ab"
"""A store id no store has (ids are UUIDs: anything else is a BAD_REQUEST)."""


async def test_the_legacy_protocol_reports_errors_with_their_code(
    gateway: RunningGateway,
) -> None:
    async with subscription(gateway, CATALOG_UPDATED, LEGACY_GRAPHQL_WS, id=UNKNOWN) as feed:
        with pytest.raises(TransportQueryError) as raised:
            await feed.next()
    assert raised.value.errors is not None
    assert raised.value.errors[0]["extensions"] == {"code": "NOT_FOUND"}
    assert (await error_of(gateway, CATALOG_UPDATED, id=UNKNOWN))["extensions"] == {
        "code": "NOT_FOUND"
    }


class SSEStream:
    """The ``next`` events of a GraphQL-over-SSE response, one at a time."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.aiter_lines()

    async def event(self) -> tuple[str, Any]:
        name, data = "", ""
        async for line in self.lines:
            if line.startswith("event:"):
                name = line.removeprefix("event:").strip()
            elif line.startswith("data:"):
                data = line.removeprefix("data:").strip()
            elif line == "" and name:
                return name, orjson.loads(data) if data else None
        raise AssertionError("the event stream ended")


@contextlib.asynccontextmanager
async def sse(
    gateway: RunningGateway, query: str, auth: dict[str, str] | None = ADMIN, **variables: Any
) -> AsyncIterator[SSEStream]:
    """A subscription over SSE; ``auth``: its headers (an admin's token unless given)."""
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(20.0)) as http,
        http.stream(
            "POST",
            gateway.graphql_url,
            json={"query": query, "variables": variables},
            headers={"accept": "text/event-stream", **(auth or {})},
        ) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        yield SSEStream(response)


async def test_sse_delivers_the_state_then_updates(gateway: RunningGateway, mall: Mall) -> None:
    store_id, product_id = await mall.store_with_product()
    async with sse(gateway, CATALOG_UPDATED, id=store_id) as stream:
        name, first = await stream.event()
        assert name == "next"
        assert first["data"]["catalogUpdated"]["snapshot"] is True
        assert [p["id"] for p in first["data"]["catalogUpdated"]["products"]] == [product_id]
        added = await add_product(mall, store_id, "Over SSE")
        name, update = await stream.event()
        while (
            name == "next" and update["data"]["catalogUpdated"]["products"][0]["id"] == product_id
        ):
            name, update = await stream.event()  # the first product's update, after the snapshot
        assert name == "next"
        products = update["data"]["catalogUpdated"]["products"]
        assert [(p["id"], p["name"]) for p in products] == [(added, "Over SSE")]
        assert hub_of(gateway).subscriber_count == 1
    await no_subscribers(gateway)


async def test_sse_reports_an_unknown_store_as_not_found(gateway: RunningGateway) -> None:
    async with sse(gateway, CATALOG_UPDATED, id=UNKNOWN) as stream:
        name, payload = await stream.event()
        assert name == "next"
        (error,) = payload["errors"]
        assert error["extensions"] == {"code": "NOT_FOUND"}
        assert (await stream.event())[0] == "complete"
    await no_subscribers(gateway)
