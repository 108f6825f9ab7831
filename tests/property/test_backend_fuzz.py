"""Awkward values for every backend route, from the OpenAPI document each module serves: every
path parameter and body field, wrong types, missing and extra fields. No input may produce a
5xx or a dropped connection, and every refusal is JSON with a stable code (the router's own
404 and 405 too)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.modules import select_modules
from tests.conftest import Servers
from tests.property import strategies as awkward
from tests.support.auth import backend_headers
from tests.support.backend import RunningBackend, running_backend
from tests.support.mall import Mall

MODULES = ["stores", "customers", "baskets", "ordering", "payments", "depot", "notifications",
           "search", "cosec"]  # fmt: skip

CODES = frozenset(
    {"BAD_REQUEST", "NOT_FOUND", "METHOD_NOT_ALLOWED", "CONFLICT", "UNAUTHORIZED", "FORBIDDEN"}
)
"""The codes a refusal of input may carry."""


@dataclass
class Target:
    url: str
    known_ids: list[str]
    documents: dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
async def backend(servers: Servers) -> AsyncIterator[RunningBackend]:
    async with running_backend(
        servers.database_url, servers.redis_url, select_modules(["all"])
    ) as running:
        yield running


@pytest.fixture(scope="module")
async def target(backend: RunningBackend) -> Target:
    mall = Mall(backend.http, lambda module: backend.url)
    store_id, product_id = await mall.store_with_product()
    customer_id = await mall.customer()
    basket_id = await mall.basket(customer_id, product_id)
    documents = {}
    for module in MODULES:
        response = await backend.http.get(f"/api/{module}/openapi.json")
        documents[module] = response.json()
    return Target(backend.url, [store_id, product_id, customer_id, basket_id], documents)


def value_of(schema: dict[str, Any], known: list[str]) -> st.SearchStrategy[Any]:
    """Values for one JSON Schema: mostly of its type and near its limits, sometimes not."""
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", ()))
        fields = {n: value_of(s, known) for n, s in properties.items()}
        must = {n: s for n, s in fields.items() if n in required}
        may = {n: s for n, s in fields.items() if n not in required}
        exact = st.fixed_dictionaries(must, optional=may)
        extra = st.dictionaries(awkward.text(), awkward.wrong_type(), max_size=2)
        missing = st.fixed_dictionaries({}, optional=fields)
        return st.one_of(exact, exact, exact, missing, st.tuples(exact, extra).map(merged))
    if kind == "array":
        item = value_of(schema.get("items", {}), known)
        return st.one_of(st.lists(item, max_size=3), st.lists(item, min_size=101, max_size=102))
    good: st.SearchStrategy[Any]
    if kind == "string" and schema.get("format") == "id":
        good = awkward.ids(known)
    elif kind == "string" and schema.get("format") == "decimal":
        good = awkward.decimals()
    elif kind == "string":
        good = awkward.text()
    elif kind == "integer":
        good = awkward.ints()
    elif kind == "boolean":
        good = st.booleans()
    else:
        good = awkward.wrong_type()
    return st.one_of(good, good, good, awkward.wrong_type())


def brief(*parts: Any) -> str:
    """What failed, short enough to read (the values may be 70 KB long)."""
    return " | ".join(repr(p)[:300] for p in parts)


def merged(parts: tuple[dict[str, Any], dict[str, Any]]) -> dict[str, Any]:
    return {**parts[1], **parts[0]}


@pytest.mark.parametrize("module", MODULES)
async def test_no_input_breaks_a_backend_route(target: Target, module: str) -> None:
    operations = [
        (path, method, operation)
        for path, methods in target.documents[module]["paths"].items()
        for method, operation in methods.items()
    ]
    assert operations
    with httpx.Client(base_url=target.url, timeout=30) as http:
        for path, method, operation in operations:
            await asyncio.to_thread(fuzz(http, path, method, operation, target.known_ids))


def fuzz(
    http: httpx.Client, path: str, method: str, operation: dict[str, Any], known: list[str]
) -> Any:
    """The Hypothesis test of one operation (run it to search)."""
    parameters = {  # a path longer than a URL may be is the client's problem, not the server's
        p["name"]: value_of(p["schema"], known).filter(lambda v: len(str(v)) < 8000)
        for p in operation.get("parameters", ())
    }
    body_schema = (
        operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    ).get("schema")
    body = value_of(body_schema, known) if body_schema else st.none()
    headers = {**backend_headers(), "content-type": "application/json"}

    @awkward.FUZZ
    @given(st.fixed_dictionaries(parameters), body)
    def probe(values: dict[str, Any], payload: Any) -> None:
        url = path
        for name, value in values.items():
            url = url.replace("{" + name + "}", quote(str(value), safe="", errors="surrogatepass"))
        content = None if payload is None else json.dumps(payload)  # surrogates escaped
        response = http.request(method.upper(), url, content=content, headers=headers)
        assert response.status_code < 500, brief(method, url, payload, response.text)
        if response.status_code < 400:
            return
        assert response.headers["content-type"].startswith("application/json"), brief(url)
        answer = response.json()
        assert answer.get("code") in CODES, brief(method, url, payload, answer)

    return probe
