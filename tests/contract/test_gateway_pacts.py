"""The gateway as consumer of each backend module: its real ``BackendClient`` against Pact's mock,
and its subscription hub's reading of the module's projection stream.

Each call of ``http_calls.CALLS`` is sent the way the gateway's resolver sends it; a success is
read with the gateway's own ``from_backend``, an error must map to the GraphQL code the gateway
gives it. The mock server fails the test on any request the pact does not describe, or any
interaction the gateway did not make. Each projection update is decoded by the hub and read as
the subscription reads it. The pact written must equal the committed one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLError
from pact import Pact, match

from backend.platform.messages import ENVELOPE_FIELD
from gateway.backend import BackendClient
from gateway.hub import decode
from gateway.schema.baskets import Basket
from gateway.schema.depot import ShoppingList
from gateway.schema.ordering import Order
from gateway.schema.stores import Product
from tests.contract.http_calls import CALLS, PROVIDERS, Call
from tests.contract.matching import example_of, matcher_of, path_matcher, template
from tests.contract.message_pacts import MESSAGES
from tests.contract.messages import as_bytes
from tests.contract.messages import describe as describe_message
from tests.contract.pactfiles import new_pact, participant, write_and_compare

CORRELATION_ID = "3f0c6a52-5d8e-4a71-9d3e-3c1f6a0e2b11"


def describe(pact: Pact, call: Call) -> None:
    interaction = (
        pact.upon_receiving(call.description)
        .given(call.state)
        .with_request(call.method, path_matcher(f"/api{call.path}"))
        .with_header("x-correlation-id", match.regex(CORRELATION_ID, regex=r"^\S+$"))
    )
    for name, value in call.query.items():
        interaction.with_query_parameter(name, matcher_of(value))
    if call.body is not None:
        interaction.with_body(matcher_of(call.body), "application/json")
    interaction.will_respond_with(call.status)
    if call.response is not None:
        interaction.with_body(call.response, "application/json")


async def send(client: BackendClient, call: Call) -> None:
    """Make the call as the gateway does, and read the answer as the gateway does."""
    request = client.request(
        call.method,
        template(call.path)[0],
        example_of(call.body),
        headers={"x-correlation-id": CORRELATION_ID},
        params={k: example_of(v) for k, v in call.query.items()} or None,
    )
    if call.code is not None:
        with pytest.raises(GraphQLError) as raised:
            await request
        assert raised.value.extensions["code"] == call.code, call.description
        return
    data = await request
    if call.decode is not None:
        call.decode(data)


SUBSCRIPTION_READS: dict[str, Callable[[dict[str, Any]], object]] = {
    "orders": Order.from_backend,
    "baskets": Basket.from_backend,
    "shopping_lists": ShoppingList.from_backend,
    "catalog": lambda state: Product.from_backend(
        {k: v for k, v in state.items() if k != "removed"}
    ),
}


def read_update(body: str | bytes | None, metadata: dict[str, Any]) -> None:
    """The hub's decoding of a projection stream entry, then the subscription's reading."""
    projection = str(metadata["topic"]).removeprefix("mallbots.projections.")
    update = decode(projection, "1-0", {ENVELOPE_FIELD.encode(): as_bytes(body)})
    assert update is not None, f"the hub skips this {projection} update"
    SUBSCRIPTION_READS[projection](dict(update.state))


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_gateway_pact(provider: str, tmp_path: Path) -> None:
    pact = new_pact("gateway", participant(provider))
    calls = [call for call in CALLS if call.provider == provider]
    for call in calls:
        describe(pact, call)
    updates = new_pact("gateway", participant(provider))
    for message in MESSAGES:
        if message.consumer == "gateway" and message.producer == provider:
            describe_message(updates, message)
    with pact.serve(addr="127.0.0.1") as server:
        client = BackendClient(str(server.url))
        try:
            for call in calls:
                await send(client, call)
        finally:
            await client.aclose()
    failures = updates.verify(read_update, "Async", raises=False)
    assert not failures, [f"{f.description}: {f.error!r}" for f in failures]
    write_and_compare(tmp_path, pact, updates)
