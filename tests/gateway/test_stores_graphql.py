"""Stores through GraphQL over HTTP against the running gateway and backend."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from backend.stores.module import module as stores
from tests.conftest import Servers
from tests.support.auth import ADMIN
from tests.support.backend import running_backend
from tests.support.gateway import RunningGateway, running_gateway


@pytest.fixture(scope="module")
async def gateway(servers: Servers) -> AsyncIterator[RunningGateway]:
    async with (
        running_backend(servers.database_url, servers.redis_url, [stores]) as backend,
        running_gateway(backend.url, servers.redis_url) as gateway,
    ):
        yield gateway


async def graphql(gateway: RunningGateway, query: str, **variables: object) -> dict[str, object]:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            gateway.graphql_url, json={"query": query, "variables": variables}, headers=ADMIN
        )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_create_store_and_product_then_query_the_catalog(gateway: RunningGateway) -> None:
    created = await graphql(
        gateway,
        """mutation($input: CreateStoreInput!) { createStore(input: $input) {
             store { id name location participating } } }""",
        input={"name": "Waldorf Books", "location": "West Upper Level"},
    )
    store = created["data"]["createStore"]["store"]  # type: ignore[index]
    assert store["participating"] is False
    added = await graphql(
        gateway,
        """mutation($input: AddProductInput!) { addProduct(input: $input) {
             product { id name price store { name } } } }""",
        input={"storeId": store["id"], "name": "EDA with Golang", "price": "49.99"},
    )
    product = added["data"]["addProduct"]["product"]  # type: ignore[index]
    assert product["price"] == "49.99" and product["store"]["name"] == "Waldorf Books"
    catalog = await graphql(
        gateway, "query($id: ID!) { catalog(storeId: $id) { id name } }", id=store["id"]
    )
    assert catalog["data"] == {"catalog": [{"id": product["id"], "name": "EDA with Golang"}]}


async def test_unknown_store_is_not_found(gateway: RunningGateway) -> None:
    unknown = "00000000-0000-4000-8000-0000000000ab"  # ids are UUIDs
    result = await graphql(gateway, f'{{ store(id: "{unknown}") {{ id }} }}')
    (error,) = result["errors"]  # type: ignore[misc]
    assert error["message"] == f"store with id: `{unknown}` does not exist"
    assert error["extensions"]["code"] == "NOT_FOUND"
