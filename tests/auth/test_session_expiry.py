"""A connection outliving its token: a WebSocket is authenticated at ``connection_init`` and an
SSE stream when it opens, so once the token has expired a new operation on the connection is
refused and a running subscription ends before its next payload, on every transport."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
import websockets
from gql.transport.exceptions import TransportQueryError

from gateway.auth import mint
from gateway.session import EXPIRED
from tests.auth.conftest import World
from tests.gateway.test_subscription_transports import add_product, sse
from tests.gateway.test_subscriptions import (
    CATALOG_UPDATED,
    GRAPHQL_TRANSPORT_WS,
    LEGACY_GRAPHQL_WS,
    subscription,
)
from tests.support.auth import JWT_SECRET, TOKENS, principal
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.waiting import eventually

LIFETIME = 3
"""Seconds a test token is valid (the gateway below allows no leeway)."""


@pytest.fixture
async def strict(world: World) -> AsyncIterator[RunningGateway]:
    """A gateway on the world's backend that allows tokens no leeway past their ``exp``."""
    tokens = dataclasses.replace(TOKENS, leeway_seconds=0.0)
    async with running_gateway(
        world.gateway.settings.backend_url, str(world.gateway.settings.redis_url), tokens=tokens
    ) as gateway:
        yield gateway


def short_lived(world: World, lifetime: int = LIFETIME) -> dict[str, str]:
    """Customer A's bearer header with a token valid for ``lifetime`` seconds."""
    who = principal("customer", customer_id=world.a.customer_id)
    return {"Authorization": f"Bearer {mint(JWT_SECRET, who, ttl_seconds=lifetime)}"}


async def until_expired(gateway: RunningGateway, auth: dict[str, str]) -> None:
    """Wait until ``gateway`` refuses the token on a new HTTP request (401): it has expired."""
    async with httpx.AsyncClient(timeout=10) as http:
        await eventually(
            lambda: http.post(gateway.graphql_url, json={"query": "{ __typename }"}, headers=auth),
            lambda response: response.status_code == 401,
            timeout=LIFETIME + 20,
        )


@pytest.mark.parametrize("protocol", [GRAPHQL_TRANSPORT_WS, LEGACY_GRAPHQL_WS])
async def test_a_subscription_ends_at_its_first_update_after_the_token_expired(
    world: World, strict: RunningGateway, protocol: str
) -> None:
    auth = short_lived(world)
    store = world.store_id
    async with subscription(strict, CATALOG_UPDATED, protocol, auth=auth, id=store) as feed:
        assert (await feed.next())["snapshot"] is True
        await until_expired(strict, auth)
        await add_product(world.mall, world.store_id, "After expiry")
        with pytest.raises(TransportQueryError) as raised:
            await feed.next()
    assert raised.value.errors is not None
    (error,) = raised.value.errors
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert error["message"] == EXPIRED


async def test_a_new_operation_on_a_connection_that_outlived_its_token_is_refused(
    world: World, strict: RunningGateway
) -> None:
    auth = short_lived(world)

    async def ask(ws: Any, id: str) -> dict[str, Any]:
        message = {"id": id, "type": "subscribe", "payload": {"query": "{ __typename }"}}
        await ws.send(orjson.dumps(message).decode())
        while (answer := orjson.loads(await ws.recv())).get("id") != id:
            pass
        return dict(answer)

    async with websockets.connect(strict.ws_url, subprotocols=[GRAPHQL_TRANSPORT_WS]) as ws:  # type: ignore[list-item]
        await ws.send(orjson.dumps({"type": "connection_init", "payload": auth}).decode())
        assert orjson.loads(await ws.recv())["type"] == "connection_ack"
        before = await ask(ws, "1")
        await until_expired(strict, auth)
        after = await ask(ws, "2")
    assert before == {"id": "1", "type": "next", "payload": {"data": {"__typename": "Query"}}}
    errors = after["payload"] if after["type"] == "error" else after["payload"]["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["UNAUTHENTICATED"]


async def test_an_sse_stream_ends_at_its_first_update_after_the_token_expired(
    world: World, strict: RunningGateway
) -> None:
    auth = short_lived(world)
    async with sse(strict, CATALOG_UPDATED, auth, id=world.store_id) as stream:
        name, first = await stream.event()
        assert name == "next" and first["data"]["catalogUpdated"]["snapshot"] is True
        await until_expired(strict, auth)
        await add_product(world.mall, world.store_id, "After expiry over SSE")
        name, refused = await stream.event()
    assert name == "next"
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["UNAUTHENTICATED"]


async def test_a_subscription_gets_its_updates_while_the_token_is_valid(
    world: World, strict: RunningGateway
) -> None:
    """The same subscription on the same gateway before expiry gets its update: what ends the
    ones above is the clock."""
    auth = short_lived(world, lifetime=300)
    async with subscription(strict, CATALOG_UPDATED, auth=auth, id=world.store_id) as feed:
        assert (await feed.next())["snapshot"] is True
        product = await add_product(world.mall, world.store_id, "Before expiry")
        update = await feed.until(lambda u: product in [p["id"] for p in u["products"]])
    assert update["snapshot"] is False
