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
from backend.platform.principal import PRINCIPAL_HEADER, Principal
from gateway.backend import BackendClient
from gateway.context import Context
from gateway.hub import decode
from gateway.schema.baskets import Basket
from gateway.schema.depot import ShoppingList
from gateway.schema.ordering import Order
from gateway.schema.stores import Product
from tests.contract.http_calls import CALLS, NO_CREDENTIAL, PROVIDERS, Call
from tests.contract.matching import (
    OTHER_CUSTOMER_ID,
    credential_header,
    example_id,
    example_of,
    matcher_of,
    path_matcher,
    principal_header,
    template,
)
from tests.contract.message_pacts import MESSAGES
from tests.contract.messages import as_bytes
from tests.contract.messages import describe as describe_message
from tests.contract.pactfiles import new_pact, participant, write_and_compare
from tests.support.auth import principal

CORRELATION_ID = "3f0c6a52-5d8e-4a71-9d3e-3c1f6a0e2b11"


CONSUMER_CREDENTIAL = "the-consumer-tests-service-credential"
"""The consumer side's service credential (the mock server only checks its form)."""


def describe(pact: Pact, call: Call) -> None:
    credential = call.state != NO_CREDENTIAL
    interaction = (
        pact.upon_receiving(call.description)
        .given(call.state, {"role": call.role} if credential else None)
        .with_request(call.method, path_matcher(f"/api{call.path}"))
        .with_header("x-correlation-id", match.regex(CORRELATION_ID, regex=r"^\S+$"))
    )
    if credential:
        interaction.with_header("Authorization", credential_header(CONSUMER_CREDENTIAL))
        interaction.with_header(PRINCIPAL_HEADER, principal_header())
    for name, value in call.query.items():
        interaction.with_query_parameter(name, matcher_of(value))
    if call.body is not None:
        interaction.with_body(matcher_of(call.body), "application/json")
    interaction.will_respond_with(call.status)
    if call.response is not None:
        interaction.with_body(call.response, "application/json")


def acting_for(role: str) -> Principal:
    if role in ("customer", "self"):
        return principal("customer", customer_id=OTHER_CUSTOMER_ID)
    return principal(role, bot_id=example_id("bot_id", 2) if role == "bot" else None)


async def send(clients: dict[bool, BackendClient], call: Call) -> None:
    """Make the call as the gateway's resolvers do (through a request's ``Context``, which
    forwards its principal), and read the answer as the gateway does."""
    credential = call.state != NO_CREDENTIAL
    path, body = template(call.path)[0], example_of(call.body)
    params = {k: example_of(v) for k, v in call.query.items()}
    if credential:
        context = Context(
            backend=clients[True],
            hub=None,
            correlation_id=CORRELATION_ID,
            principal=acting_for(call.role),
        )
        request = context.call(call.method, path, body, **params)
    else:  # a gateway started without MALLBOTS_INTERNAL_TOKEN: nothing to sign a principal with
        headers = {"x-correlation-id": CORRELATION_ID}
        request = clients[False].request(call.method, path, body, headers=headers)
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
        clients = {
            True: BackendClient(str(server.url), internal_token=CONSUMER_CREDENTIAL),
            False: BackendClient(str(server.url)),
        }
        try:
            for call in calls:
                await send(clients, call)
        finally:
            for client in clients.values():
                await client.aclose()
    failures = updates.verify(read_update, "Async", raises=False)
    assert not failures, [f"{f.description}: {f.error!r}" for f in failures]
    write_and_compare(tmp_path, pact, updates)
