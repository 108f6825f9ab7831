"""Awkward values for every argument and input field of every query and mutation, from the
schema as the gateway's introspection describes it: no input may produce a server error, a
dropped connection or an error without a stable code."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    build_client_schema,
    get_introspection_query,
    get_named_type,
)
from hypothesis import given
from hypothesis import strategies as st

from backend.modules import select_modules
from tests.conftest import Servers
from tests.property import strategies as awkward
from tests.support.auth import auth_headers
from tests.support.backend import RunningBackend, running_backend
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.mall import Mall

ADMIN = auth_headers("admin")


@dataclass
class Stack:
    gateway: RunningGateway
    schema: GraphQLSchema
    known_ids: list[str]


@pytest.fixture(scope="module")
async def backend(servers: Servers) -> AsyncIterator[RunningBackend]:
    async with running_backend(
        servers.database_url, servers.redis_url, select_modules(["all"])
    ) as running:
        yield running


@pytest.fixture(scope="module")
async def stack(backend: RunningBackend, servers: Servers) -> AsyncIterator[Stack]:
    mall = Mall(backend.http, lambda module: backend.url)
    store_id, product_id = await mall.store_with_product()
    customer_id = await mall.customer()
    basket_id = await mall.basket(customer_id, product_id)
    known = [store_id, product_id, customer_id, basket_id]
    async with (
        running_gateway(backend.url, servers.redis_url) as gateway,
        httpx.AsyncClient(timeout=30) as http,
    ):
        response = await http.post(
            gateway.graphql_url, json={"query": get_introspection_query()}, headers=ADMIN
        )
        schema = build_client_schema(response.json()["data"])
        yield Stack(gateway, schema, known)


def value_of(type_: GraphQLInputType, name: str, known: list[str]) -> st.SearchStrategy[Any]:
    """Values for one argument or input field, mostly of its type, sometimes not."""
    if isinstance(type_, GraphQLNonNull):
        inner = value_of(type_.of_type, name, known)
        return st.one_of(inner, inner, inner, st.none())
    if isinstance(type_, GraphQLList):
        item = value_of(type_.of_type, name, known)
        return st.one_of(st.lists(item, max_size=3), st.lists(item, min_size=101, max_size=102))
    if isinstance(type_, GraphQLInputObjectType):
        fields = {n: value_of(f.type, n, known) for n, f in type_.fields.items()}
        required = {
            n: s for n, s in fields.items() if isinstance(type_.fields[n].type, GraphQLNonNull)
        }
        optional = {n: s for n, s in fields.items() if n not in required}
        return st.fixed_dictionaries(required, optional=optional)
    if isinstance(type_, GraphQLEnumType):
        return st.one_of(st.sampled_from(list(type_.values)), awkward.text())
    assert isinstance(type_, GraphQLScalarType)
    by_scalar = {
        "ID": awkward.ids(known),
        "String": awkward.text(["Waldorf Books", "555-1212", "key-1"]),
        "Int": awkward.ints(),
        "Boolean": st.one_of(st.booleans(), awkward.wrong_type()),
        "Decimal": awkward.decimals(),
    }
    return st.one_of(by_scalar.get(type_.name, awkward.text()), awkward.wrong_type())


def brief(*parts: Any) -> str:
    """What failed, short enough to read (the values may be 70 KB long)."""
    return " | ".join(repr(p)[:300] for p in parts)


def document(kind: str, name: str, field: GraphQLField) -> str:
    """``kind Fuzz($arg: Type, …) { name(arg: $arg, …) { __typename } }``."""
    variables = ", ".join(f"${a}: {arg.type}" for a, arg in field.args.items())
    arguments = ", ".join(f"{a}: ${a}" for a in field.args)
    head = f"{kind} Fuzz({variables})" if variables else kind
    call = f"{name}({arguments})" if arguments else name
    selection = (
        " { __typename }" if isinstance(get_named_type(field.type), GraphQLObjectType) else ""
    )
    return f"{head} {{ {call}{selection} }}"


def operations() -> list[tuple[str, str]]:
    from gateway.schema import build_schema

    schema = build_schema()._schema  # the names only; the test introspects the served schema
    found: list[tuple[str, str]] = []
    for kind, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        assert root is not None
        found += [(kind, name) for name in root.fields]
    return found


@pytest.mark.parametrize(("kind", "name"), operations())
async def test_no_input_breaks_the_gateway(stack: Stack, kind: str, name: str) -> None:
    root = stack.schema.query_type if kind == "query" else stack.schema.mutation_type
    assert root is not None
    field = root.fields[name]
    query = document(kind, name, field)
    arguments = st.fixed_dictionaries(
        {a: value_of(arg.type, a, stack.known_ids) for a, arg in field.args.items()}
    )

    @awkward.FUZZ
    @given(arguments)
    def probe(variables: dict[str, Any]) -> None:
        # json.dumps escapes lone surrogates, as a hostile client would send them
        payload = json.dumps({"query": query, "variables": variables})
        response = http.post(
            stack.gateway.graphql_url,
            content=payload,
            headers={**ADMIN, "content-type": "application/json"},
        )
        assert response.status_code < 500, brief(variables, response.text)
        body = response.json()
        for error in body.get("errors") or ():
            code = (error.get("extensions") or {}).get("code")
            assert isinstance(code, str) and code, brief(variables, error)
            assert code not in awkward.SERVER_FAILURES, brief(variables, error)

    # Hypothesis runs (and shrinks) in a thread of its own, the servers in this event loop.
    with httpx.Client(timeout=30) as http:
        await asyncio.to_thread(probe)
