"""The customers module over HTTP and Redis, on real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from backend.customers.messages import COMMAND_TOPIC, CUSTOMER_TOPIC, AuthorizeCustomer
from backend.customers.module import module as customers
from backend.platform.consumer import DLQ_SUFFIX
from backend.platform.messages import (
    COMMAND_REPLY_CHANNEL,
    COMMAND_SAGA_ID,
    COMMAND_SAGA_NAME,
    ENVELOPE_FIELD,
    REPLY_OUTCOME,
    REPLY_SAGA_ID,
    REPLY_SAGA_NAME,
    Message,
    new_message,
)
from backend.platform.principal import Principal
from tests.conftest import Servers
from tests.support.auth import backend_headers
from tests.support.backend import RunningBackend, running_backend
from tests.support.waiting import eventually


@pytest.fixture(scope="module")
async def backend(servers: Servers) -> AsyncIterator[RunningBackend]:
    async with running_backend(servers.database_url, servers.redis_url, [customers]) as running:
        yield running


async def events_of(backend: RunningBackend, customer_id: str, count: int) -> list[Message]:
    """The customer's events on the customer topic, once there are ``count`` of them."""
    messages = await eventually(
        lambda: backend.published(CUSTOMER_TOPIC),
        lambda ms: len([m for m in ms if m.payload["id"] == customer_id]) >= count,
    )
    return [m for m in messages if m.payload["id"] == customer_id]


async def register(
    backend: RunningBackend, name: str = "John Smith", sms: str = "555-555-1212"
) -> str:
    response = await backend.http.post("/api/customers", json={"name": name, "sms_number": sms})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def get(backend: RunningBackend, customer_id: str) -> dict[str, Any]:
    response = await backend.http.get(f"/api/customers/{customer_id}")
    assert response.status_code == 200, response.text
    customer: dict[str, Any] = response.json()["customer"]
    return customer


async def test_register_and_get_a_customer(backend: RunningBackend) -> None:
    customer_id = await register(backend, " John Smith ")
    uuid.UUID(customer_id)
    assert await get(backend, customer_id) == {
        "id": customer_id,
        "name": "John Smith",
        "sms_number": "555-555-1212",
        "enabled": True,
    }
    (event,) = await events_of(backend, customer_id, 1)
    assert event.name == "customersapi.CustomerRegistered"
    assert event.payload == {"id": customer_id, "name": "John Smith", "sms_number": "555-555-1212"}


async def test_disable_enable_and_change_sms_publish_their_events(backend: RunningBackend) -> None:
    customer_id = await register(backend)
    for path, body in [
        ("disable", {}),
        ("enable", {}),
        ("change-sms", {"sms_number": "+1 555 000 1111"}),
        ("change-sms", {"sms_number": "+1 555 000 1111"}),  # same number: no event
    ]:
        response = await backend.http.put(f"/api/customers/{customer_id}/{path}", json=body)
        assert response.status_code == 200, response.text
        assert response.json() == {}
    customer = await get(backend, customer_id)
    assert (customer["sms_number"], customer["enabled"]) == ("+1 555 000 1111", True)

    events = await events_of(backend, customer_id, 4)
    assert [(m.name, m.payload) for m in events[1:]] == [
        ("customersapi.CustomerDisabled", {"id": customer_id}),
        ("customersapi.CustomerEnabled", {"id": customer_id}),
        ("customersapi.CustomerSmsChanged", {"id": customer_id, "sms_number": "+1 555 000 1111"}),
    ]


async def test_repeated_toggles_are_refused_and_publish_nothing(backend: RunningBackend) -> None:
    customer_id = await register(backend)
    again = await backend.http.put(f"/api/customers/{customer_id}/enable", json={})
    assert again.status_code == 400
    assert again.json() == {"code": "BAD_REQUEST", "message": "the customer is already enabled"}
    assert (await backend.http.put(f"/api/customers/{customer_id}/disable", json={})).is_success
    again = await backend.http.put(f"/api/customers/{customer_id}/disable", json={})
    assert again.status_code == 400
    assert again.json()["message"] == "the customer is already disabled"
    # A later change shows that the refused ones published nothing in between.
    assert (await backend.http.put(f"/api/customers/{customer_id}/enable", json={})).is_success
    events = await events_of(backend, customer_id, 3)
    assert [m.name for m in events] == [
        "customersapi.CustomerRegistered",
        "customersapi.CustomerDisabled",
        "customersapi.CustomerEnabled",
    ]


async def test_concurrent_disables_succeed_once(backend: RunningBackend) -> None:
    customer_id = await register(backend)
    # Grow the connection pool first, so that the six commands really overlap.
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(6):
            await stack.enter_async_context(backend.host.pool.connection())
    responses = await asyncio.gather(
        *(backend.http.put(f"/api/customers/{customer_id}/disable", json={}) for _ in range(6))
    )
    assert sorted(r.status_code for r in responses) == [200] + [400] * 5
    # Enabling afterwards puts one more event behind the disable(s) on the stream.
    assert (await backend.http.put(f"/api/customers/{customer_id}/enable", json={})).is_success
    events = await events_of(backend, customer_id, 3)
    assert [m.name for m in events] == [
        "customersapi.CustomerRegistered",
        "customersapi.CustomerDisabled",
        "customersapi.CustomerEnabled",
    ]


async def test_idempotency_key_returns_the_first_result(backend: RunningBackend) -> None:
    body = {"name": "Once Only", "sms_number": "555-0001", "idempotency_key": "reg-1"}
    first = await backend.http.post("/api/customers", json=body)
    second = await backend.http.post("/api/customers", json=body)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    rows = await backend.sql("SELECT id FROM customers.customers WHERE name = 'Once Only'")
    assert rows == [(first.json()["id"],)]

    customer_id = first.json()["id"]
    key = {"idempotency_key": "off-1"}
    first = await backend.http.put(f"/api/customers/{customer_id}/disable", json=key)
    second = await backend.http.put(f"/api/customers/{customer_id}/disable", json=key)
    assert first.status_code == second.status_code == 200
    events = await events_of(backend, customer_id, 2)
    assert [m.name for m in events].count("customersapi.CustomerDisabled") == 1


# --- the saga's AuthorizeCustomer command ---


async def authorize(
    backend: RunningBackend, customer_id: str, *, times: int = 1
) -> tuple[str, list[Message]]:
    """Send AuthorizeCustomer (the same message ``times`` times); its reply channel's content."""
    channel = f"test.replies.{uuid.uuid4().hex}"
    saga_id = str(uuid.uuid4())
    command = new_message(
        COMMAND_TOPIC,
        AuthorizeCustomer(customer_id),
        metadata={
            COMMAND_REPLY_CHANNEL: channel,
            COMMAND_SAGA_ID: saga_id,
            COMMAND_SAGA_NAME: "cosec.CreateOrder",
        },
    )
    redis = backend.context("customers").redis
    for _ in range(times):
        await redis.xadd(COMMAND_TOPIC, {ENVELOPE_FIELD: command.to_json()})
    replies = await eventually(lambda: backend.published(channel), lambda ms: len(ms) >= 1)
    for reply in replies:
        assert reply.metadata[REPLY_SAGA_ID] == saga_id
        assert reply.metadata[REPLY_SAGA_NAME] == "cosec.CreateOrder"
        assert reply.metadata["causation_id"] == command.id
    return channel, replies


async def test_an_enabled_customer_is_authorized(backend: RunningBackend) -> None:
    customer_id = await register(backend)
    _, (reply,) = await authorize(backend, customer_id)
    assert reply.name == "reply.Success"
    assert reply.metadata[REPLY_OUTCOME] == "SUCCESS"


async def test_a_disabled_customer_is_not_authorized(backend: RunningBackend) -> None:
    customer_id = await register(backend)
    assert (await backend.http.put(f"/api/customers/{customer_id}/disable", json={})).is_success
    _, (reply,) = await authorize(backend, customer_id)
    assert reply.name == "reply.Failure"
    assert reply.metadata[REPLY_OUTCOME] == "FAILURE"
    assert reply.payload == {"code": "UNAUTHORIZED", "error": "customer is not authorized"}


async def test_an_unknown_customer_is_not_found(backend: RunningBackend) -> None:
    _, (reply,) = await authorize(backend, "nobody")
    assert reply.name == "reply.Failure"
    assert reply.payload == {
        "code": "NOT_FOUND",
        "error": "customer with id: `nobody` does not exist",
    }


async def test_a_duplicate_command_is_answered_once(backend: RunningBackend) -> None:
    customer_id = await register(backend)
    channel, _ = await authorize(backend, customer_id, times=2)
    # A later command on the same stream is answered only after both copies were handled.
    _, (later,) = await authorize(backend, customer_id)
    assert later.name == "reply.Success"
    replies = await backend.published(channel)
    assert [r.name for r in replies] == ["reply.Success"]
    inbox = await backend.sql(
        "SELECT count(*) FROM customers.inbox WHERE message_id = %s",
        (replies[0].metadata["causation_id"],),
    )
    assert inbox == [(1,)]


async def test_a_malformed_command_is_dead_lettered(backend: RunningBackend) -> None:
    command = new_message(
        COMMAND_TOPIC,
        AuthorizeCustomer("x"),
        metadata={COMMAND_REPLY_CHANNEL: f"test.replies.{uuid.uuid4().hex}"},
    )
    broken = Message(**{**command.__dict__, "payload": {"customer": "x"}})
    redis = backend.context("customers").redis
    await redis.xadd(COMMAND_TOPIC, {ENVELOPE_FIELD: broken.to_json()})
    dead = await eventually(
        lambda: redis.xrange(COMMAND_TOPIC + DLQ_SUFFIX),
        lambda entries: any(
            Message.from_json(f[ENVELOPE_FIELD.encode()]).id == broken.id for _, f in entries
        ),
    )
    (entry,) = [f for _, f in dead if Message.from_json(f[ENVELOPE_FIELD.encode()]).id == broken.id]
    assert entry[b"error"] == b"customersapi.AuthorizeCustomer: id: missing"


# --- bad input ---


async def snapshot(backend: RunningBackend) -> list[tuple[Any, ...]]:
    """Every customer row, and the idempotency keys remembered."""
    return await backend.sql(
        "SELECT id, name, sms_number, enabled, updated_at FROM customers.customers"
        " UNION ALL SELECT key, NULL, NULL, NULL, created_at FROM customers.idempotency"
        " ORDER BY 1"
    )


@pytest.fixture(scope="module")
async def known_id(backend: RunningBackend) -> str:
    return await register(backend, "Known Customer", "555-7777")


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("POST", "/api/customers", {"name": "x"}, 400, "invalid request: sms_number: missing"),
        ("POST", "/api/customers", {"sms_number": "555-1212"}, 400,
         "invalid request: name: missing"),
        ("POST", "/api/customers", {"name": 5, "sms_number": "555-1212"}, 400,
         "invalid request: name: expected a string"),
        ("POST", "/api/customers", {"name": "x", "sms_number": 5551212}, 400,
         "invalid request: sms_number: expected a string"),
        ("POST", "/api/customers", {"name": "x" * 1001, "sms_number": "555-1212"}, 400,
         "invalid request: name: longer than 1000 characters"),
        ("POST", "/api/customers", {"name": "x" * 201, "sms_number": "555-1212"}, 400,
         "the customer name cannot be longer than 200 characters"),
        ("POST", "/api/customers", {"name": " ", "sms_number": "555-1212"}, 400,
         "the customer name cannot be blank"),
        ("POST", "/api/customers", {"name": "x", "sms_number": ""}, 400,
         "the SMS number cannot be blank"),
        ("POST", "/api/customers", {"name": "x", "sms_number": "1" * 40}, 400,
         "the SMS number is not valid"),
        ("POST", "/api/customers", [], 400,
         "invalid request: RegisterCustomer: expected an object"),
        ("POST", "/api/customers", {"name": "x", "sms_number": "555-1212", "idempotency_key": 7},
         400, "invalid request: idempotency_key: expected a string"),
        ("POST", "/api/customers", {"name": "", "sms_number": "555-1212", "idempotency_key": "k"},
         400, "the customer name cannot be blank"),
        ("PUT", "/api/customers/nope/enable", {"idempotency_key": "k"}, 404,
         "customer with id: `nope` does not exist"),
        ("GET", "/api/customers/nope", None, 404, "customer with id: `nope` does not exist"),
        ("PUT", "/api/customers/nope/enable", {}, 404, "customer with id: `nope` does not exist"),
        ("PUT", "/api/customers/nope/disable", {}, 404, "customer with id: `nope` does not exist"),
        ("PUT", "/api/customers/nope/change-sms", {"sms_number": "555-1212"}, 404,
         "customer with id: `nope` does not exist"),
        ("PUT", "/api/customers/{known}/change-sms", {}, 400,
         "invalid request: sms_number: missing"),
        ("PUT", "/api/customers/{known}/change-sms", {"sms_number": " "}, 400,
         "the SMS number cannot be blank"),
        ("PUT", "/api/customers/{known}/change-sms", {"sms_number": "call me"}, 400,
         "the SMS number is not valid"),
        ("PUT", "/api/customers/{known}/change-sms", {"sms_number": "5" * 1001}, 400,
         "invalid request: sms_number: longer than 1000 characters"),
        ("PUT", "/api/customers/{known}/enable", {}, 400, "the customer is already enabled"),
    ],
)  # fmt: skip
async def test_bad_input_is_a_clear_4xx_and_writes_nothing(
    backend: RunningBackend,
    known_id: str,
    method: str,
    path: str,
    body: object,
    status: int,
    message: str,
) -> None:
    before = await snapshot(backend)
    response = await backend.http.request(method, path.format(known=known_id), json=body)
    assert response.status_code == status, response.text
    assert response.json()["message"] == message
    assert await snapshot(backend) == before


async def test_bad_json_is_refused(backend: RunningBackend) -> None:
    response = await backend.http.post(
        "/api/customers", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "BAD_REQUEST",
        "message": "the request body is not valid JSON",
    }


async def test_openapi_document_lists_every_operation(backend: RunningBackend) -> None:
    document = (await backend.http.get("/api/customers/openapi.json")).json()
    assert set(document["paths"]) == {
        "/api/customers",
        "/api/customers/{id}",
        "/api/customers/{id}/enable",
        "/api/customers/{id}/disable",
        "/api/customers/{id}/change-sms",
    }
    schema = document["paths"]["/api/customers"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    assert schema["required"] == ["name", "sms_number"]


async def test_batch_read_of_customers_by_ids(backend: RunningBackend) -> None:
    first, second = await register(backend, "Batch One"), await register(backend, "Batch Two")
    response = await backend.http.get(
        "/api/customers", params={"ids": f"{second},unknown,{first},{second}"}
    )
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["customers"]] == [first, second]
    assert response.json()["customers"][0] == await get(backend, first)


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (" , ", "ids is required: ?ids=a,b,c"),
        (",".join(f"c{i}" for i in range(101)), "ids cannot list more than 100 ids"),
    ],
)
async def test_batch_read_refuses_bad_id_lists(
    backend: RunningBackend, ids: str, message: str
) -> None:
    response = await backend.http.get("/api/customers", params={"ids": ids})
    assert response.status_code == 400
    assert response.json() == {"code": "BAD_REQUEST", "message": message}


async def test_the_whole_list_is_for_admins_only(backend: RunningBackend) -> None:
    first = await register(backend, "Zed", "555-0001")
    listed = await backend.http.get("/api/customers")  # as another module: privileged
    assert first in [c["id"] for c in listed.json()["customers"]]
    as_admin = backend_headers(Principal("admin"))
    assert (await backend.http.get("/api/customers", headers=as_admin)).status_code == 200
    as_customer = backend_headers(Principal("customer", customer_id=first))
    refused = await backend.http.get("/api/customers", headers=as_customer)
    assert refused.status_code == 403
    assert refused.json()["code"] == "FORBIDDEN"
