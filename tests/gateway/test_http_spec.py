"""Production defaults and the HTTP spec (issue 10, item 5): introspection and GraphiQL off
unless enabled (on in development), the CORS allow-list and the WebSocket ``Origin`` checked
against it, and GraphQL over HTTP as graphql-http's audit checks it (run with Node)."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from gateway.config import GatewaySettings
from tests.conftest import Servers
from tests.support.gateway import RunningGateway, running_gateway

AUDIT = Path(__file__).parent / "audit"
ALLOWED = "https://shop.example"
INTROSPECTION = "{ __schema { queryType { name } } }"


@pytest.fixture(scope="module")
async def production(servers: Servers) -> AsyncIterator[RunningGateway]:
    """A gateway as deployed (no backend needed: nothing here reaches it)."""
    async with running_gateway(
        "http://127.0.0.1:9", servers.redis_url, development=False, cors_origins=(ALLOWED,)
    ) as running:
        yield running


def test_the_defaults_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MALLBOTS_ENV", "MALLBOTS_GRAPHQL_INTROSPECTION", "MALLBOTS_CORS_ORIGINS"):
        monkeypatch.delenv(name, raising=False)
    deployed = GatewaySettings.from_env()
    assert (deployed.development, deployed.introspection_enabled) == (False, False)
    assert deployed.cors_origins == ()
    assert deployed.rate_limit is True
    monkeypatch.setenv("MALLBOTS_ENV", "development")
    assert GatewaySettings.from_env().introspection_enabled is True
    monkeypatch.setenv("MALLBOTS_GRAPHQL_INTROSPECTION", "false")
    assert GatewaySettings.from_env().introspection_enabled is False
    monkeypatch.setenv("MALLBOTS_ENV", "production")
    monkeypatch.setenv("MALLBOTS_GRAPHQL_INTROSPECTION", "true")
    monkeypatch.setenv("MALLBOTS_CORS_ORIGINS", f"{ALLOWED}, http://localhost:5173")
    enabled = GatewaySettings.from_env()
    assert enabled.introspection_enabled is True
    assert enabled.cors_origins == (ALLOWED, "http://localhost:5173")
    monkeypatch.setenv("MALLBOTS_GRAPHQL_INTROSPECTION", "maybe")
    with pytest.raises(ValueError, match="MALLBOTS_GRAPHQL_INTROSPECTION must be true or false"):
        GatewaySettings.from_env()


async def test_introspection_and_graphiql_are_off_in_production(production: RunningGateway) -> None:
    async with httpx.AsyncClient() as http:
        refused = await http.post(production.graphql_url, json={"query": INTROSPECTION})
        page = await http.get(production.graphql_url, headers={"accept": "text/html"})
        typename = await http.post(production.graphql_url, json={"query": "{ __typename }"})
    assert {e["extensions"]["code"] for e in refused.json()["errors"]} == {"INTROSPECTION_DISABLED"}
    assert page.status_code == 404
    assert typename.json() == {"data": {"__typename": "Query"}}


async def test_cors_allows_only_the_listed_origins(production: RunningGateway) -> None:
    preflight = {"access-control-request-method": "POST",
                 "access-control-request-headers": "content-type,authorization"}  # fmt: skip
    async with httpx.AsyncClient() as http:
        allowed = await http.options(
            production.graphql_url, headers={"origin": ALLOWED, **preflight}
        )
        foreign = await http.options(
            production.graphql_url, headers={"origin": "https://evil.example", **preflight}
        )
        simple = await http.post(
            production.graphql_url, json={"query": "{ __typename }"}, headers={"origin": ALLOWED}
        )
        simple_foreign = await http.post(
            production.graphql_url,
            json={"query": "{ __typename }"},
            headers={"origin": "https://evil.example"},
        )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ALLOWED
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert foreign.status_code == 400
    assert "access-control-allow-origin" not in foreign.headers
    assert simple.headers["access-control-allow-origin"] == ALLOWED
    assert "access-control-allow-origin" not in simple_foreign.headers


async def test_a_websocket_from_another_origin_must_be_listed(production: RunningGateway) -> None:
    for origin in (ALLOWED, None):  # a listed page, or a client that is no browser
        headers = {"origin": origin} if origin else None
        async with connect(
            production.ws_url, subprotocols=["graphql-transport-ws"], additional_headers=headers
        ) as ws:
            await ws.send(orjson.dumps({"type": "connection_init"}).decode())
            assert orjson.loads(await ws.recv())["type"] == "connection_ack"
    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            production.ws_url,
            subprotocols=["graphql-transport-ws"],
            additional_headers={"origin": "https://evil.example"},
        ):
            pass
    assert refused.value.response.status_code == 403


async def test_the_graphql_response_media_type(production: RunningGateway) -> None:
    wanted = {"accept": "application/graphql-response+json"}
    async with httpx.AsyncClient() as http:
        parse = await http.post(production.graphql_url, json={"query": "{"}, headers=wanted)
        invalid = await http.post(
            production.graphql_url, json={"query": "{ nope }"}, headers=wanted
        )
        variables = await http.post(
            production.graphql_url,
            json={"query": "query($n: Int!) { __typename }", "variables": {"n": "x"}},
            headers=wanted,
        )
        ok = await http.post(
            production.graphql_url, json={"query": "{ __typename }"}, headers=wanted
        )
        legacy = await http.post(production.graphql_url, json={"query": "{ nope }"})
    for refused, code in (
        (parse, "GRAPHQL_PARSE_FAILED"),
        (invalid, "GRAPHQL_VALIDATION_FAILED"),
        (variables, "GRAPHQL_VALIDATION_FAILED"),
    ):
        assert refused.status_code == 400
        assert refused.headers["content-type"].startswith("application/graphql-response+json")
        body = refused.json()
        assert "data" not in body
        assert body["errors"][0]["extensions"]["code"] == code
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("application/graphql-response+json")
    assert ok.json() == {"data": {"__typename": "Query"}}
    assert legacy.status_code == 200
    assert legacy.headers["content-type"].startswith("application/json")
    assert legacy.json()["data"] is None


async def test_the_graphql_over_http_audit_passes(servers: Servers) -> None:
    """graphql-http's ``auditServer``: every check ``ok`` (no error, no warning; notices are
    the spec's MAYs). Installed by ``make test`` (mk/gateway-audit.mk: npm ci). Introspection is
    on here: the audit asks for ``__type``."""
    node = shutil.which("node")
    assert node is not None, "node is required: make test installs it (mk/gateway-audit.mk)"
    assert (AUDIT / "node_modules" / "graphql-http").is_dir(), "run make test (npm ci)"
    async with running_gateway(
        "http://127.0.0.1:9", servers.redis_url, development=False, introspection=True
    ) as gateway:
        process = await asyncio.create_subprocess_exec(
            node,
            str(AUDIT / "audit.mjs"),
            gateway.graphql_url,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "NODE_NO_WARNINGS": "1"},
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    results = [orjson.loads(line) for line in out.splitlines() if line.strip()]
    assert len(results) >= 50
    failing = [r for r in results if r["status"] not in ("ok", "notice")]
    assert failing == []
