"""The gateway holds every argument and input field to the input limits before anything runs."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from backend.modules import select_modules
from gateway.backend import BackendClient
from gateway.schema import build_schema
from tests.conftest import Servers
from tests.support.backend import RunningBackend, running_backend
from tests.support.gateway import RunningGateway, running_gateway

A_ID = str(uuid.uuid4())


@pytest.fixture(scope="module")
async def backend(servers: Servers) -> AsyncIterator[RunningBackend]:
    modules = select_modules(["stores", "customers", "baskets", "ordering", "search"])
    async with running_backend(servers.database_url, servers.redis_url, modules) as running:
        yield running


@pytest.fixture(scope="module")
async def gateway(backend: RunningBackend, servers: Servers) -> AsyncIterator[RunningGateway]:
    async with running_gateway(backend.url, servers.redis_url) as running:
        yield running


async def refusal(gateway: RunningGateway, query: str, **variables: Any) -> dict[str, Any]:
    """The one error of a request refused before any backend call."""
    client: BackendClient = gateway.app.state.backend
    before = client.calls
    # json.dumps escapes a lone surrogate (as a hostile client would send it); httpx cannot
    payload = json.dumps({"query": query, "variables": variables})
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            gateway.graphql_url, content=payload, headers={"content-type": "application/json"}
        )
    assert response.status_code < 500, response.text
    body = response.json()
    (only,) = body["errors"]
    assert body.get("data") is None
    assert client.calls == before
    result: dict[str, Any] = only
    return result


ADD_ITEM = """mutation ($input: AddBasketItemInput!) {
  addBasketItem(input: $input) { basket { id } } }"""

START = "mutation ($input: StartBasketInput!) { startBasket(input: $input) { basket { id } } }"

ADD_PRODUCT = "mutation ($input: AddProductInput!) { addProduct(input: $input) { product { id } } }"


@pytest.mark.parametrize(
    ("query", "variables", "field", "reason"),
    [
        ('{ order(id: "\\u0000") { id } }', {}, "id", "contains a NUL character"),
        ('{ order(id: "nope") { id } }', {}, "id", "not a UUID"),
        ("query ($id: ID!) { basket(id: $id) { id } }", {"id": ""}, "id", "not a UUID"),
        (START, {"input": {"customerId": "a\x00"}}, "input.customerId", "NUL"),
        (ADD_ITEM, {"input": {"basketId": A_ID, "productId": ""}}, "input.productId", "UUID"),
        (
            START,
            {"input": {"customerId": A_ID, "idempotencyKey": "k" * 201}},
            "input.idempotencyKey",
            "longer than 200 characters",
        ),
        (
            ADD_PRODUCT,
            {"input": {"storeId": A_ID, "name": "n", "price": "-1"}},
            "input.price",
            "less than 0",
        ),
        (
            ADD_PRODUCT,
            {"input": {"storeId": A_ID, "name": "n", "price": "0.001"}},
            "input.price",
            "two decimal places",
        ),
        (
            ADD_PRODUCT,
            {"input": {"storeId": A_ID, "name": "n", "price": "1e1000"}},
            "input.price",
            "more than",
        ),
        (
            ADD_PRODUCT,
            {"input": {"storeId": A_ID, "name": "n" * 201, "price": "1"}},
            "input.name",
            "longer than 200",
        ),
        (
            "query ($f: OrderSearchFilter) { searchOrders(filter: $f) { edges { cursor } } }",
            {"f": {"storeIds": [A_ID, "x"]}},
            "filter.storeIds[1]",
            "not a UUID",
        ),
        (
            "query ($f: OrderSearchFilter) { searchOrders(filter: $f) { edges { cursor } } }",
            {"f": {"productIds": [A_ID] * 101}},
            "filter.productIds",
            "more than 100 items",
        ),
        (
            'query ($k: String = "\\u0000") { searchOrders(after: $k) { edges { cursor } } }',
            {},
            "after",
            "NUL",
        ),
        (
            '{ ...F } fragment F on Query { customer(id: "1") { id } }',
            {},
            "id",
            "not a UUID",
        ),
    ],
)
async def test_a_value_beyond_its_limits_is_a_bad_request_naming_the_field(
    gateway: RunningGateway, query: str, variables: dict[str, Any], field: str, reason: str
) -> None:
    error = await refusal(gateway, query, **variables)
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert error["extensions"]["field"] == field
    assert error["message"].startswith(f"invalid input: {field}: ")
    assert reason in error["message"]


async def test_a_100_kb_idempotency_key_is_refused(gateway: RunningGateway) -> None:
    error = await refusal(gateway, START, input={"customerId": A_ID, "idempotencyKey": "k" * 10**5})
    assert error["extensions"]["code"] in {"BAD_REQUEST", "REQUEST_TOO_LARGE"}


async def test_a_lone_surrogate_is_refused(gateway: RunningGateway) -> None:
    over_http = await refusal(
        gateway, START, input={"customerId": A_ID, "idempotencyKey": "\ud800"}
    )
    assert over_http["extensions"]["code"] == "BAD_REQUEST"  # not even JSON to the gateway
    # Python's own JSON parser (a WebSocket message) lets it through: the check still holds.
    result = build_schema().execute_sync(
        START, variable_values={"input": {"customerId": A_ID, "idempotencyKey": "\ud800"}}
    )
    (only,) = result.errors or []
    assert only.extensions == {"code": "BAD_REQUEST", "field": "input.idempotencyKey"}
    assert only.message == "invalid input: input.idempotencyKey: contains a lone surrogate"


@pytest.mark.parametrize("price", ["NaN", "Infinity", "-Infinity", "1e99999"])
async def test_money_that_is_no_finite_number_is_refused(
    gateway: RunningGateway, price: str
) -> None:
    error = await refusal(
        gateway, ADD_PRODUCT, input={"storeId": A_ID, "name": "n", "price": price}
    )
    assert error["extensions"] == {"code": "BAD_REQUEST", "field": "input.price"}


async def test_a_value_within_its_limits_reaches_the_backend(gateway: RunningGateway) -> None:
    client: BackendClient = gateway.app.state.backend
    before = client.calls
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            gateway.graphql_url, json={"query": f'{{ product(id: "{A_ID}") {{ id }} }}'}
        )
    (only,) = response.json()["errors"]
    assert only["extensions"]["code"] != "BAD_REQUEST"
    assert client.calls == before + 1


async def test_a_subscription_argument_is_held_to_the_limits_too(gateway: RunningGateway) -> None:
    query = "subscription ($id: ID!) { catalogUpdated(storeId: $id) { snapshot } }"
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(20.0)) as http,
        http.stream(
            "POST",
            gateway.graphql_url,
            json={"query": query, "variables": {"id": "a\x00"}},
            headers={"accept": "text/event-stream"},
        ) as response,
    ):
        text = (await response.aread()).decode()
    assert response.status_code < 500
    assert '"code":"BAD_REQUEST"' in text.replace(" ", "")
    assert '"field":"storeId"' in text.replace(" ", "")
