"""Errors and limits of the gateway: domain errors with their codes, malformed requests, the
transports' rules, the limits on documents, and a backend that is down or comes back."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from backend.modules import select_modules
from backend.platform.embedded import free_port
from backend.platform.host import BackendHost
from gateway.backend import BackendClient
from tests.conftest import Servers
from tests.gateway.graphql_http import data, error, post
from tests.support.backend import (
    TEST_SETTINGS,
    RunningBackend,
    drop_database,
    fresh_database,
    running_backend,
)
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.serving import serve
from tests.support.waiting import eventually

S1, S2 = (f"00000000-0000-4000-8000-00000000000{n}" for n in (1, 2))

DEEP = "{ searchOrders { edges { node { items { product { store { name } } } } } } }"
"""Seven levels deep."""


@pytest.fixture(scope="module")
async def backend(servers: Servers) -> AsyncIterator[RunningBackend]:
    modules = select_modules(["stores", "customers", "baskets", "search"])
    async with running_backend(servers.database_url, servers.redis_url, modules) as running:
        yield running


@pytest.fixture(scope="module")
async def gateway(backend: RunningBackend, servers: Servers) -> AsyncIterator[RunningGateway]:
    async with running_gateway(backend.url, servers.redis_url) as running:
        yield running


def calls(gateway: RunningGateway) -> int:
    client: BackendClient = gateway.app.state.backend
    return client.calls


# --- domain errors ---


async def test_domain_errors_keep_their_message_and_code(gateway: RunningGateway) -> None:
    nobody = "00000000-0000-4000-8000-000000000000"
    unknown = await error(gateway, f'{{ customer(id: "{nobody}") {{ id }} }}')
    assert unknown["message"] == f"customer with id: `{nobody}` does not exist"
    assert unknown["extensions"] == {"code": "NOT_FOUND"}
    assert unknown["path"] == ["customer"]

    blank = await error(
        gateway,
        "mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) "
        "{ customer { id } } }",
        input={"name": "  ", "smsNumber": "555"},
    )
    assert blank["message"] == "the customer name cannot be blank"
    assert blank["extensions"] == {"code": "BAD_REQUEST"}


async def test_an_id_cannot_reach_another_route(gateway: RunningGateway) -> None:
    before = calls(gateway)
    for id in ("../customers", "a/b", "%2e%2e"):
        refused = await error(gateway, "query($id: ID!) { store(id: $id) { id } }", id=id)
        assert refused["extensions"] == {"code": "BAD_REQUEST", "field": "id"}, (id, refused)
    assert calls(gateway) == before


# --- invalid input, malformed documents, unknown operations ---


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [
        (
            "mutation($input: AddProductInput!) { addProduct(input: $input) { product { id } } }",
            {"input": {"storeId": "s", "name": "n", "price": "lots"}},
            "Variable '$input' has invalid value at .price: Expected value of type 'Decimal'",
        ),
        (
            "mutation($input: AddProductInput!) { addProduct(input: $input) { product { id } } }",
            {"input": {"storeId": "s", "price": "1.00"}},
            "Variable '$input' has invalid value: Expected value of type 'AddProductInput' "
            "to include required field 'name'",
        ),
        (
            "query($first: Int!) { searchOrders(first: $first) { edges { cursor } } }",
            {"first": "ten"},
            "Variable '$first' has invalid value: Int cannot represent non-integer value: 'ten'",
        ),
        ("{ stores { id", {}, "Syntax Error: Expected Name, found <EOF>."),
        ("{ stores { colour } }", {}, "Cannot query field 'colour' on type 'Store'."),
        ('{ store(id: "x") }', {}, "Field 'store' of type 'Store!' must have a selection"),
    ],
)
async def test_invalid_documents_and_inputs_are_refused_clearly(
    gateway: RunningGateway, query: str, variables: dict[str, Any], expected: str
) -> None:
    before = calls(gateway)
    refused = await error(gateway, query, **variables)
    assert refused["message"].startswith(expected), refused["message"]
    code = "GRAPHQL_PARSE_FAILED" if expected.startswith("Syntax") else "GRAPHQL_VALIDATION_FAILED"
    assert refused["extensions"]["code"] == code
    assert calls(gateway) == before


async def test_a_gateway_side_check_names_the_field(gateway: RunningGateway) -> None:
    refused = await error(gateway, "{ searchOrders(first: 0) { edges { cursor } } }")
    assert refused["message"] == "first must be between 1 and 100"
    assert refused["extensions"] == {"code": "BAD_REQUEST", "field": "first"}


async def test_an_unknown_operation_is_refused(gateway: RunningGateway) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            gateway.graphql_url,
            json={"query": "query A { stores { id } }", "operationName": "B"},
        )
        missing = await http.post(gateway.graphql_url, json={"variables": {}})
        not_json = await http.post(
            gateway.graphql_url, content=b"{nope", headers={"content-type": "application/json"}
        )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"message": 'Unknown operation named "B".', "extensions": {"code": "UNKNOWN_OPERATION"}}
    ]
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["message"] == "No GraphQL query found in the request"
    assert not_json.status_code == 400
    assert not_json.json()["errors"] == [
        {
            "message": "Unable to parse request body as JSON",
            "extensions": {"code": "BAD_REQUEST"},
        }
    ]


# --- transports ---


async def test_queries_run_over_get_but_mutations_are_refused(gateway: RunningGateway) -> None:
    async with httpx.AsyncClient() as http:
        query = await http.get(gateway.graphql_url, params={"query": "{ stores { id } }"})
        before = calls(gateway)
        mutation = await http.get(
            gateway.graphql_url,
            params={"query": 'mutation { createStore(input: {name: "n", location: "l"}) '
                             "{ store { id } } }"},
        )  # fmt: skip
    assert query.status_code == 200 and isinstance(query.json()["data"]["stores"], list)
    assert mutation.status_code == 400
    assert mutation.json()["errors"] == [
        {
            "message": "mutations are not allowed when using GET",
            "extensions": {"code": "OPERATION_NOT_ALLOWED"},
        }
    ]
    assert calls(gateway) == before


async def test_graphiql_is_served_in_development_only(
    gateway: RunningGateway, backend: RunningBackend, servers: Servers
) -> None:
    async with httpx.AsyncClient() as http:
        page = await http.get(gateway.graphql_url, headers={"accept": "text/html"})
        script = await http.get(f"{gateway.url}/graphiql/graphiql.js")
        async with running_gateway(backend.url, servers.redis_url, development=False) as prod:
            no_page = await http.get(prod.graphql_url, headers={"accept": "text/html"})
            no_script = await http.get(f"{prod.url}/graphiql/graphiql.js")
    assert page.status_code == 200 and '<script src="/graphiql/graphiql.js">' in page.text
    assert script.status_code == 200 and "GraphiQL" in script.text
    assert no_page.status_code == 404
    assert no_script.status_code == 404


async def test_introspection_can_be_switched_off(
    gateway: RunningGateway, backend: RunningBackend, servers: Servers
) -> None:
    query = "{ __schema { queryType { name } } }"
    allowed = await data(gateway, query)
    assert allowed == {"__schema": {"queryType": {"name": "Query"}}}
    async with running_gateway(backend.url, servers.redis_url, introspection=False) as closed:
        refused = await post(closed, query)
        still = await data(closed, "{ __typename stores { id } }")
    assert refused["data"] is None
    assert [e["message"] for e in refused["errors"]] == [
        "GraphQL introspection has been disabled, but the requested query contained the field "
        f"'{name}'."
        for name in ("__schema", "queryType")
    ]
    assert {e["extensions"]["code"] for e in refused["errors"]} == {"INTROSPECTION_DISABLED"}
    assert still["__typename"] == "Query"


# --- limits: refused before anything runs ---


async def test_a_query_too_deep_is_refused(
    gateway: RunningGateway, backend: RunningBackend, servers: Servers
) -> None:
    async with running_gateway(backend.url, servers.redis_url, max_depth=5) as limited:
        refused = await error(limited, DEEP)
        assert calls(limited) == 0
        shallow = await data(limited, "{ searchOrders { edges { node { id } } } }")
    assert refused["message"] == "'anonymous' exceeds maximum operation depth of 5"
    assert refused["extensions"] == {"code": "QUERY_TOO_DEEP"}
    assert shallow == {"searchOrders": {"edges": []}}
    assert (await data(gateway, DEEP)) == {"searchOrders": {"edges": []}}


async def test_a_query_too_complex_is_refused(gateway: RunningGateway) -> None:
    query = """query($first: Int!) { searchOrders(first: $first) {
        edges { node { id customerName total status customer { name }
                       items { productName product { name } store { name } } } } } }"""
    # node: 1 + 4 scalars + customer 2 + items (1 + 10 x (1 + 2 + 2)) = 58;
    # edges: 1 + first x 58; searchOrders (a backend call, 10) + edges. first = 100 costs 5811.
    before = calls(gateway)
    refused = await error(gateway, query, first=100)
    assert refused["message"] == "the operation costs 5811; at most 5000 is allowed"
    assert refused["extensions"] == {"code": "QUERY_TOO_COMPLEX", "cost": 5811}
    assert calls(gateway) == before
    assert (await data(gateway, query, first=50)) == {"searchOrders": {"edges": []}}
    assert calls(gateway) == before + 1


async def test_the_complexity_limit_and_list_cost_are_settings(
    backend: RunningBackend, servers: Servers
) -> None:
    query = "{ stores { id name } }"  # call_cost 10 + list_cost x 2
    async with running_gateway(
        backend.url, servers.redis_url, max_complexity=40, list_cost=20
    ) as limited:
        refused = await error(limited, query)
        assert calls(limited) == 0
        fits = await data(limited, "{ stores { id } }")
    assert refused["extensions"] == {"code": "QUERY_TOO_COMPLEX", "cost": 50}
    assert isinstance(fits["stores"], list)


async def test_a_document_too_large_is_refused_before_parsing(
    backend: RunningBackend, servers: Servers
) -> None:
    async with running_gateway(backend.url, servers.redis_url, max_document_bytes=200) as limited:
        padded = "{ stores { id } }" + " " * 184  # 201 bytes
        broken = "{ stores { " + "#" * 300  # too large and not even valid: size comes first
        refused = await error(limited, padded)
        refused_broken = await error(limited, broken)
        fits = await data(limited, padded[:-1])
        assert calls(limited) == 1
    assert refused["message"] == "the document is 201 bytes long; at most 200 are allowed"
    assert refused["extensions"] == {"code": "DOCUMENT_TOO_LARGE"}
    assert refused_broken["extensions"] == {"code": "DOCUMENT_TOO_LARGE"}
    assert isinstance(fits["stores"], list)


# --- a backend that is down, or comes back ---


async def test_a_backend_that_is_not_there_is_unavailable(servers: Servers) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    async with running_gateway(closed, servers.redis_url) as gateway:
        refused = await error(gateway, "{ stores { id } }")
    assert refused["extensions"] == {"code": "BACKEND_UNAVAILABLE"}
    assert refused["message"] == "the backend is unavailable (cannot connect)"


async def test_a_backend_that_never_answers_is_cut_off_by_the_timeout(servers: Servers) -> None:
    """A backend that accepts connections and then hangs: the bounded timeout answers with
    BACKEND_UNAVAILABLE instead of the request hanging with it."""
    accepted: list[asyncio.StreamWriter] = []

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)  # read nothing, answer nothing

    silent = await asyncio.start_server(hang, "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    try:
        async with running_gateway(
            f"http://127.0.0.1:{port}", servers.redis_url, backend_timeout_seconds=0.5
        ) as gateway:
            refused = await error(gateway, "{ stores { id } }")
    finally:
        for writer in accepted:
            writer.close()
        silent.close()
        await silent.wait_closed()
    assert accepted, "the gateway reached the silent backend"
    assert refused["extensions"] == {"code": "BACKEND_UNAVAILABLE"}
    assert refused["message"] == "the backend is unavailable (timed out)"


async def test_the_gateway_recovers_when_the_backend_comes_back(servers: Servers) -> None:
    database_url = await fresh_database(servers.database_url)
    port = free_port()
    modules = select_modules(["stores"])

    def host() -> BackendHost:
        settings = dataclasses.replace(TEST_SETTINGS, port=port)
        return BackendHost(settings, modules, database_url, servers.redis_url)

    query = 'mutation { createStore(input: {name: "Phoenix", location: "Ashes"}) { store { id } } }'
    try:
        async with running_gateway(f"http://127.0.0.1:{port}", servers.redis_url) as gateway:
            async with serve(host().app(), port):
                created = await data(gateway, query)
            store_id = created["createStore"]["store"]["id"]

            down = await error(gateway, "{ stores { id } }")
            assert down["extensions"]["code"] == "BACKEND_UNAVAILABLE"

            async with serve(host().app(), port):
                back = await eventually(
                    lambda: post(gateway, "{ stores { id name } }"), lambda r: "errors" not in r
                )
            assert back["data"]["stores"] == [{"id": store_id, "name": "Phoenix"}]
    finally:
        await drop_database(database_url)


# --- correlation id and trace context reach the backend ---


@contextlib.asynccontextmanager
async def recording_backend() -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    """A stand-in for the backend that answers GET /api/stores/{id} and records the headers
    of every request (it tests the gateway's forwarding, not the backend)."""
    seen: list[dict[str, str]] = []

    async def get_store(request: Request) -> JSONResponse:
        seen.append(dict(request.headers))
        store_id = request.path_params["id"]
        return JSONResponse(
            {"store": {"id": store_id, "name": "Echo", "location": "Here", "participating": True}}
        )

    port = free_port()
    app = Starlette(routes=[Route("/api/stores/{id}", get_store)])
    async with serve(app, port):
        yield f"http://127.0.0.1:{port}", seen


async def test_correlation_id_and_trace_context_reach_the_backend(servers: Servers) -> None:
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    async with (
        recording_backend() as (url, seen),
        running_gateway(url, servers.redis_url) as gw,
        httpx.AsyncClient() as http,
    ):
        traced = await http.post(
            gw.graphql_url,
            json={"query": f'{{ store(id: "{S1}") {{ name }} }}'},
            headers={
                "traceparent": traceparent,
                "tracestate": "mallbots=1",
                "x-correlation-id": "corr-42",
            },
        )
        plain = await http.post(gw.graphql_url, json={"query": f'{{ store(id: "{S2}") {{ id }} }}'})
    assert traced.json() == {"data": {"store": {"name": "Echo"}}}
    assert plain.json() == {"data": {"store": {"id": S2}}}
    first, second = seen
    assert first["traceparent"] == traceparent
    assert first["tracestate"] == "mallbots=1"
    assert first["x-correlation-id"] == "corr-42"
    assert "traceparent" not in second and "tracestate" not in second
    uuid.UUID(second["x-correlation-id"])
