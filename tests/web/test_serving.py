"""The gateway serves the built web client at / without shadowing its own routes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import Servers
from tests.support.gateway import RunningGateway, running_gateway

PAGE = {"accept": "text/html,application/xhtml+xml"}


@pytest.fixture(scope="module")
async def gateway(servers: Servers, web_build: Path) -> AsyncIterator[RunningGateway]:
    # Nothing listens on port 9: serving the client must not need the backend.
    async with running_gateway("http://127.0.0.1:9", servers.redis_url) as running:
        yield running


@pytest.fixture
async def http(gateway: RunningGateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        yield client


async def test_the_app_page_at_root_and_at_client_routes(http: httpx.AsyncClient) -> None:
    for path in ("/", "/shop", "/orders/6f1c3f5e-1d2b-4c1e-9a1a-1f0e8b7c2d3e"):
        response = await http.get(path, headers=PAGE)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        assert '<div id="root"></div>' in response.text
        assert response.headers["cache-control"] == "no-cache"
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert response.headers["x-content-type-options"] == "nosniff"


async def test_hashed_assets_are_cached_for_good(http: httpx.AsyncClient, web_build: Path) -> None:
    script = next((web_build / "assets").glob("*.js"))
    response = await http.get(f"/assets/{script.name}")
    assert response.status_code == 200
    assert response.content == script.read_bytes()
    assert "javascript" in response.headers["content-type"]
    assert "immutable" in response.headers["cache-control"]


async def test_the_persisted_operations_manifest_is_published(
    http: httpx.AsyncClient, web_build: Path
) -> None:
    response = await http.get("/persisted-operations.json")
    assert response.status_code == 200
    manifest = response.json()
    assert manifest == json.loads((web_build / "persisted-operations.json").read_text())
    assert any(doc.startswith("subscription OrderUpdated") for doc in manifest.values())


async def test_unknown_files_and_paths_outside_the_build_are_not_found(
    http: httpx.AsyncClient,
) -> None:
    assert (await http.get("/assets/nothing-here.js")).status_code == 404
    assert (await http.get("/favicon.ico", headers=PAGE)).status_code == 404
    assert (await http.get("/%2e%2e/package.json")).status_code == 404
    assert (await http.get("/..%2F..%2Fpyproject.toml")).status_code == 404
    # Not a page request (an API client): a plain 404, not the app.
    assert (await http.get("/orders")).status_code == 404
    assert (await http.post("/shop", headers=PAGE)).status_code in (404, 405)


async def test_the_gateway_routes_still_answer(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    graphql = await http.post("/graphql", json={"query": "{ __typename }"})
    assert graphql.json() == {"data": {"__typename": "Query"}}
    graphiql = await http.get("/graphql", headers=PAGE)
    assert "MallBots GraphiQL" in graphiql.text
