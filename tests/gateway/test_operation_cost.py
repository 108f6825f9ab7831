"""The cost of an operation counts what it would run (issue 10, item 3): variables and their
defaults with their real values, per-row backend calls per row, a cap on backend calls counted
as they are made, and caps on aliases and root fields. Each bypass of the issue is refused
before anything reaches the backend."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from backend.modules import select_modules
from tests.conftest import Servers
from tests.gateway.hostile import ask, calls, refusal
from tests.support.backend import RunningBackend, running_backend
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.mall import Mall

NODE = "edges { node { id total items { productName } } }"
"""1 + first × (1 + 1 + 1 + 10 × 1) for the edges."""


@pytest.fixture(scope="module")
async def backend(servers: Servers) -> AsyncIterator[RunningBackend]:
    modules = select_modules(["stores", "customers", "search"])
    async with running_backend(servers.database_url, servers.redis_url, modules) as running:
        yield running


@pytest.fixture(scope="module")
async def gateway(backend: RunningBackend, servers: Servers) -> AsyncIterator[RunningGateway]:
    async with running_gateway(backend.url, servers.redis_url) as running:
        yield running


def searches(count: int, first: str) -> str:
    return " ".join(f"a{i}: searchOrders(first: {first}) {{ {NODE} }}" for i in range(count))


async def test_a_variable_default_costs_what_a_literal_costs(gateway: RunningGateway) -> None:
    """The issue's bypass: `query($n: Int! = 100)` was costed as a list without `first`."""
    before = calls(gateway)
    literal = await refusal(gateway, f"{{ {searches(4, '100')} }}")
    defaulted = await refusal(gateway, f"query($n: Int! = 100) {{ {searches(4, '$n')} }}")
    given = await refusal(
        gateway, f"query($n: Int!) {{ {searches(4, '$n')} }}", variables={"n": 100}
    )
    as_float = await refusal(
        gateway, f"query($n: Int!) {{ {searches(4, '$n')} }}", variables={"n": 100.0}
    )
    # each search: the root field (a backend call, 10) + edges 1 + 100 x (node 1 + 3 + 10) = 1411
    assert literal["extensions"] == {"code": "QUERY_TOO_COMPLEX", "cost": 4 * 1411}
    assert defaulted == literal
    assert given == literal
    assert as_float == literal
    assert calls(gateway) == before
    fits = await ask(gateway, f"query($n: Int! = 3) {{ {searches(4, '$n')} }}")
    assert fits.json() == {"data": {f"a{i}": {"edges": []} for i in range(4)}}
    assert calls(gateway) == before + 4


async def test_the_same_document_is_costed_anew_for_each_value_of_first(
    gateway: RunningGateway,
) -> None:
    """What is measured is remembered per document, but never across values of its `first`
    variables: a small value first must not let a large one through."""
    document = f"query($n: Int!) {{ {searches(4, '$n')} }}"
    small = await ask(gateway, document, variables={"n": 3})
    assert "errors" not in small.json()
    large = await refusal(gateway, document, variables={"n": 100})
    assert large["extensions"] == {"code": "QUERY_TOO_COMPLEX", "cost": 4 * 1411}
    again = await ask(gateway, document, variables={"n": 3})
    assert "errors" not in again.json()


async def test_a_per_row_backend_call_costs_one_call_per_row(gateway: RunningGateway) -> None:
    """`OrderSummary.order` and `Order.saga` call the backend once per order: 100 orders with
    their saga would be 201 calls, and are refused before the first."""
    before = calls(gateway)
    orders = await refusal(
        gateway, "{ searchOrders(first: 100) { edges { node { order { id } } } } }"
    )
    sagas = await refusal(
        gateway,
        "{ searchOrders(first: 100) { edges { node { order { id saga { step } } } } } }",
    )
    assert orders["extensions"] == {"code": "TOO_MANY_BACKEND_CALLS", "calls": 101}
    assert orders["message"] == "the operation would make 101 backend calls; at most 50 are allowed"
    assert sagas["extensions"] == {"code": "TOO_MANY_BACKEND_CALLS", "calls": 201}
    assert calls(gateway) == before
    few = await ask(gateway, "{ searchOrders(first: 20) { edges { node { order { id } } } } }")
    assert few.json() == {"data": {"searchOrders": {"edges": []}}}


async def test_aliases_are_capped(gateway: RunningGateway) -> None:
    """The issue's aliased `customer(id)`: each alias is another backend call."""
    before = calls(gateway)
    many = " ".join(
        f'c{i}: store(id: "00000000-0000-4000-8000-{i:012d}") {{ id }}' for i in range(31)
    )
    refused = await refusal(gateway, f"{{ {many} }}")
    nested = " ".join(f"n{i}: name" for i in range(31))
    refused_nested = await refusal(gateway, f"{{ stores {{ {nested} }} }}")
    assert refused["extensions"] == {"code": "TOO_MANY_ALIASES"}
    assert refused["message"] == "the document has 31 aliases; at most 30 are allowed"
    assert refused_nested["extensions"] == {"code": "TOO_MANY_ALIASES"}
    assert calls(gateway) == before


async def test_root_fields_are_capped_through_fragments(gateway: RunningGateway) -> None:
    before = calls(gateway)
    refused = await refusal(
        gateway,
        "{ ...A ...B stores { id } } fragment A on Query { " + "stores { id } " * 10 + "} "
        "fragment B on Query { " + "stores { name } " * 10 + "}",
    )
    assert refused["extensions"] == {"code": "TOO_MANY_ROOT_FIELDS"}
    assert refused["message"] == "the operation has 21 root fields; at most 20 are allowed"
    assert calls(gateway) == before


async def test_aliased_root_calls_are_counted_as_backend_calls(
    backend: RunningBackend, servers: Servers
) -> None:
    """With aliases and root fields allowed in number, each aliased root field is still a
    backend call: more than the cap are refused before the first is made."""
    async with running_gateway(
        backend.url, servers.redis_url, max_aliases=1000, max_root_fields=1000, max_complexity=10**6
    ) as roomy:
        many = " ".join(
            f'c{i}: customer(id: "00000000-0000-4000-8000-{i:012d}") {{ id }}' for i in range(60)
        )
        refused = await refusal(roomy, f"{{ {many} }}")
        assert calls(roomy) == 0
    assert refused["extensions"] == {"code": "TOO_MANY_BACKEND_CALLS", "calls": 60}


async def test_the_backend_calls_are_counted_as_they_are_made(
    backend: RunningBackend, servers: Servers
) -> None:
    """A mutation calls the backend twice (the command, then the reload of its result): with a
    cap of one call, the second is refused at run time, after the estimate let it through."""
    async with running_gateway(backend.url, servers.redis_url, max_backend_calls=1) as capped:
        answer = await ask(
            capped,
            'mutation { createStore(input: {name: "Capped", location: "Here"}) { store { id } } }',
        )
        assert calls(capped) == 1
        again = await ask(capped, "{ stores { id name } }")
    body = answer.json()
    assert body["data"] is None
    (refused,) = body["errors"]
    assert refused["extensions"] == {"code": "TOO_MANY_BACKEND_CALLS", "limit": 1}
    assert refused["path"] == ["createStore"]
    assert {"name": "Capped"} in [{"name": s["name"]} for s in again.json()["data"]["stores"]]


async def test_dataloader_calls_are_counted_too(backend: RunningBackend, servers: Servers) -> None:
    """References resolved through a DataLoader are batched in a task of their own: they spend
    from the same operation's budget."""
    mall = Mall(backend.http, lambda module: backend.url)
    store_id, product_id = await mall.store_with_product()
    query = f'{{ catalog(storeId: "{store_id}") {{ id store {{ name }} }} }}'
    async with running_gateway(backend.url, servers.redis_url, max_backend_calls=1) as capped:
        body = (await ask(capped, query)).json()
        assert calls(capped) == 1
    assert body["data"] is None  # a product's store is not nullable: the error bubbles up
    (refused,) = body["errors"]
    assert refused["extensions"] == {"code": "TOO_MANY_BACKEND_CALLS", "limit": 1}
    assert refused["path"] == ["catalog", 0, "store"]
    async with running_gateway(backend.url, servers.redis_url, max_backend_calls=2) as enough:
        fits = (await ask(enough, query)).json()
    assert fits == {"data": {"catalog": [{"id": product_id, "store": {"name": "Waldorf Books"}}]}}
