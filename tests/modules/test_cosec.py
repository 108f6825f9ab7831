"""The cosec module (create-order saga) on real PostgreSQL and Redis.

Only cosec runs: the test plays ordering (it publishes OrderCreated) and every participant (it
reads each command from its topic and adds the reply to the saga's reply channel).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from backend.cosec.application import CosecService
from backend.cosec.messages import SAGA_NAME
from backend.cosec.module import module as cosec
from backend.customers.messages import COMMAND_TOPIC as CUSTOMERS
from backend.depot.messages import COMMAND_TOPIC as DEPOT
from backend.depot.messages import REPLY_TOPIC, CreatedShoppingListReply
from backend.ordering.messages import COMMAND_TOPIC as ORDERING
from backend.ordering.messages import ORDER_TOPIC, OrderCreated, OrderItem
from backend.payments.messages import COMMAND_TOPIC as PAYMENTS
from backend.platform.consumer import DLQ_SUFFIX
from backend.platform.messages import (
    ENVELOPE_FIELD,
    OUTCOME_FAILURE,
    OUTCOME_SUCCESS,
    Message,
    Payload,
    new_message,
)
from backend.platform.saga import Failure, Success, reply_to
from backend.platform.streams import list_dead_letters
from tests.conftest import Servers
from tests.support.backend import RunningBackend, running_backend
from tests.support.waiting import eventually

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
SAGA_HEADERS = ("COMMAND_REPLY_CHANNEL", "COMMAND_SAGA_ID", "COMMAND_SAGA_NAME")


@pytest.fixture(scope="module")
async def backend(servers: Servers) -> AsyncIterator[RunningBackend]:
    async with running_backend(servers.database_url, servers.redis_url, [cosec]) as running:
        yield running


def order_created(order_id: str, customer_id: str = "customer-1") -> Message:
    items = [
        OrderItem("product-1", "store-1", Decimal("10.50"), 2),
        OrderItem("product-2", "store-2", Decimal("3.25"), 1),
    ]
    payload = OrderCreated(order_id, customer_id, f"payment-{order_id}", "", items)
    return new_message(ORDER_TOPIC, payload, metadata={"traceparent": TRACEPARENT})


async def publish(backend: RunningBackend, message: Message) -> str:
    """Add ``message`` to its topic as a producer would; return the stream entry id."""
    entry = await backend.host.redis.xadd(message.subject, {ENVELOPE_FIELD: message.to_json()})
    return entry.decode() if isinstance(entry, bytes) else str(entry)


async def answer(
    backend: RunningBackend, command: Message, payload: Payload | None = None, ok: bool = True
) -> Message:
    """Reply to ``command`` as its participant would (headers copied by ``reply_to``)."""
    payload = payload or (Success() if ok else Failure("BAD_REQUEST", "it went wrong"))
    reply = reply_to(command, payload, OUTCOME_SUCCESS if ok else OUTCOME_FAILURE)
    await publish(backend, reply)
    return reply


async def commands(backend: RunningBackend, topic: str, saga_id: str) -> list[Message]:
    """Every command of saga ``saga_id`` on ``topic``, in stream order (read with XREAD)."""
    response = await backend.host.redis.xread({topic: "0-0"})
    found = []
    for _, entries in response or []:
        for _, fields in entries:
            message = Message.from_json(fields[ENVELOPE_FIELD.encode()])
            if message.metadata.get("COMMAND_SAGA_ID") == saga_id:
                found.append(message)
    return found


async def command(backend: RunningBackend, topic: str, saga_id: str, number: int = 1) -> Message:
    """The ``number``-th command of the saga on ``topic``, once it is there (and no more)."""
    sent = await eventually(lambda: commands(backend, topic, saga_id), lambda c: len(c) >= number)
    assert len(sent) == number, [c.name for c in sent]
    return sent[-1]


def stream_id(text: str) -> tuple[int, int]:
    ms, _, seq = text.partition("-")
    return int(ms), int(seq)


async def handled(backend: RunningBackend, topic: str, entry_id: str) -> None:
    """Wait until cosec's group has read and acknowledged (or dead-lettered) ``entry_id``."""
    redis = backend.host.redis

    async def probe() -> bool:
        groups = {g["name"].decode(): g for g in await redis.xinfo_groups(topic)}
        last = groups["cosec"]["last-delivered-id"].decode()
        pending = await redis.xpending_range(topic, "cosec", min=entry_id, max=entry_id, count=1)
        return stream_id(last) >= stream_id(entry_id) and not pending

    await eventually(probe, bool)


async def relayed(backend: RunningBackend) -> None:
    """Wait until every command cosec has committed is on Redis (its outbox is empty)."""
    await eventually(
        lambda: backend.sql("SELECT count(*) FROM cosec.outbox"), lambda r: r[0][0] == 0
    )


async def saga(backend: RunningBackend, saga_id: str) -> dict[str, Any]:
    response = await backend.http.get(f"/api/cosec/sagas/{saga_id}")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def finished(backend: RunningBackend, saga_id: str) -> dict[str, Any]:
    return await eventually(lambda: saga(backend, saga_id), lambda s: s["done"])


def steps(state: dict[str, Any]) -> list[tuple[int, str, str, str]]:
    return [(h["step"], h["direction"], h["command"], h["outcome"]) for h in state["history"]]


async def start_saga(backend: RunningBackend) -> tuple[str, Message, Message]:
    """A new saga: its id, the OrderCreated that started it and the AuthorizeCustomer sent."""
    order_id = str(uuid.uuid4())
    created = order_created(order_id)
    await publish(backend, created)
    return order_id, created, await command(backend, CUSTOMERS, order_id)


async def test_happy_path_sends_every_command_with_saga_headers_and_approves(
    backend: RunningBackend,
) -> None:
    order_id, created, authorize = await start_saga(backend)
    assert authorize.name == "customersapi.AuthorizeCustomer"
    assert authorize.payload == {"id": "customer-1"}
    assert {k: authorize.metadata[k] for k in SAGA_HEADERS} == {
        "COMMAND_REPLY_CHANNEL": "mallbots.cosec.replies.CreateOrder",
        "COMMAND_SAGA_ID": order_id,
        "COMMAND_SAGA_NAME": "cosec.CreateOrder",
    }
    assert authorize.metadata["correlation_id"] == created.id
    assert authorize.metadata["causation_id"] == created.id
    assert authorize.metadata["traceparent"] == TRACEPARENT
    running = await saga(backend, order_id)
    assert (running["step"], running["done"], running["compensating"]) == (1, False, False)
    assert steps(running) == [(1, "forward", "customersapi.AuthorizeCustomer", "PENDING")]

    reply = await answer(backend, authorize)
    create = await command(backend, DEPOT, order_id)
    assert create.name == "depotapi.CreateShoppingListCommand"
    assert create.payload == {
        "order_id": order_id,
        "items": [
            {"product_id": "product-1", "store_id": "store-1", "quantity": 2},
            {"product_id": "product-2", "store_id": "store-2", "quantity": 1},
        ],
    }
    assert create.metadata["causation_id"] == reply.id
    assert create.metadata["correlation_id"] == created.id
    assert create.metadata["traceparent"] == TRACEPARENT
    assert create.metadata["COMMAND_SAGA_ID"] == order_id

    await answer(backend, create, CreatedShoppingListReply("list-1"))
    confirm = await command(backend, PAYMENTS, order_id)
    assert confirm.name == "paymentsapi.ConfirmPayment"
    assert confirm.payload == {
        "id": f"payment-{order_id}",
        "amount": "24.25",
        "order_id": order_id,
        "customer_id": "customer-1",
    }

    await answer(backend, confirm)
    initiate = await command(backend, DEPOT, order_id, 2)
    assert initiate.name == "depotapi.InitiateShoppingCommand"
    assert initiate.payload == {"id": "list-1"}

    await answer(backend, initiate)
    approve = await command(backend, ORDERING, order_id)
    assert approve.name == "ordersapi.ApproveOrder"
    assert approve.payload == {"id": order_id, "shopping_id": "list-1"}
    for sent in (confirm, initiate, approve):
        assert {k: sent.metadata[k] for k in SAGA_HEADERS} == {
            k: authorize.metadata[k] for k in SAGA_HEADERS
        }

    await answer(backend, approve)
    state = await finished(backend, order_id)
    assert {k: state[k] for k in ("id", "name", "step", "done", "compensating", "data")} == {
        "id": order_id,
        "name": SAGA_NAME,
        "step": 5,
        "done": True,
        "compensating": False,
        "data": {
            "order_id": order_id,
            "customer_id": "customer-1",
            "payment_id": f"payment-{order_id}",
            "shopping_id": "list-1",
            "items": [
                {"product_id": "product-1", "store_id": "store-1", "price": "10.50", "quantity": 2},
                {"product_id": "product-2", "store_id": "store-2", "price": "3.25", "quantity": 1},
            ],
            "total": "24.25",
        },
    }
    assert steps(state) == [
        (1, "forward", "customersapi.AuthorizeCustomer", "SUCCESS"),
        (2, "forward", "depotapi.CreateShoppingListCommand", "SUCCESS"),
        (3, "forward", "paymentsapi.ConfirmPayment", "SUCCESS"),
        (4, "forward", "depotapi.InitiateShoppingCommand", "SUCCESS"),
        (5, "forward", "ordersapi.ApproveOrder", "SUCCESS"),
    ]
    times = [dt.datetime.fromisoformat(h["at"]) for h in state["history"]]
    assert times == sorted(times)
    await relayed(backend)
    assert await commands(backend, ORDERING, order_id) == [approve], "nothing after the end"


async def test_failed_payment_cancels_the_shopping_list_then_rejects_the_order(
    backend: RunningBackend,
) -> None:
    order_id, _, authorize = await start_saga(backend)
    await answer(backend, authorize)
    create = await command(backend, DEPOT, order_id)
    await answer(backend, create, CreatedShoppingListReply("list-3"))
    confirm = await command(backend, PAYMENTS, order_id)
    await answer(backend, confirm, Failure("NOT_FOUND", "payment cannot be confirmed"), ok=False)

    cancel = await command(backend, DEPOT, order_id, 2)
    assert cancel.name == "depotapi.CancelShoppingListCommand"
    assert cancel.payload == {"id": "list-3"}
    assert cancel.metadata["COMMAND_SAGA_ID"] == order_id
    running = await saga(backend, order_id)
    assert (running["step"], running["done"], running["compensating"]) == (2, False, True)

    await answer(backend, cancel)
    reject = await command(backend, ORDERING, order_id)
    assert reject.name == "ordersapi.RejectOrder"
    assert reject.payload == {
        "id": order_id,
        "reason": "paymentsapi.ConfirmPayment failed: payment cannot be confirmed",
    }
    assert reject.metadata["COMMAND_REPLY_CHANNEL"] == REPLY_TOPIC

    await answer(backend, reject)
    state = await finished(backend, order_id)
    assert (state["step"], state["done"], state["compensating"]) == (0, True, True)
    assert steps(state) == [
        (1, "forward", "customersapi.AuthorizeCustomer", "SUCCESS"),
        (2, "forward", "depotapi.CreateShoppingListCommand", "SUCCESS"),
        (3, "forward", "paymentsapi.ConfirmPayment", "FAILURE"),
        (2, "compensation", "depotapi.CancelShoppingListCommand", "SUCCESS"),
        (0, "compensation", "ordersapi.RejectOrder", "SUCCESS"),
    ]
    assert [h["error"] for h in state["history"]] == ["", "", "payment cannot be confirmed", "", ""]
    await relayed(backend)
    assert len(await commands(backend, PAYMENTS, order_id)) == 1
    assert len(await commands(backend, DEPOT, order_id)) == 2, "no InitiateShopping"


async def test_failed_authorization_only_rejects_the_order(backend: RunningBackend) -> None:
    order_id, _, authorize = await start_saga(backend)
    await answer(
        backend, authorize, Failure("UNAUTHORIZED", "customer is not authorized"), ok=False
    )
    reject = await command(backend, ORDERING, order_id)
    assert reject.name == "ordersapi.RejectOrder"
    await answer(backend, reject)
    state = await finished(backend, order_id)
    assert steps(state) == [
        (1, "forward", "customersapi.AuthorizeCustomer", "FAILURE"),
        (0, "compensation", "ordersapi.RejectOrder", "SUCCESS"),
    ]
    await relayed(backend)
    assert await commands(backend, DEPOT, order_id) == []


async def test_a_repeated_order_created_starts_one_saga(backend: RunningBackend) -> None:
    order_id = str(uuid.uuid4())
    first = order_created(order_id)
    again = order_created(order_id, customer_id="someone-else")  # same order, another message
    await publish(backend, first)
    await publish(backend, first)  # the very same message twice
    await handled(backend, ORDER_TOPIC, await publish(backend, again))
    await relayed(backend)
    sent = await commands(backend, CUSTOMERS, order_id)
    assert [c.payload for c in sent] == [{"id": "customer-1"}]
    assert await backend.sql("SELECT count(*) FROM cosec.sagas WHERE id = %s", (order_id,)) == [
        (1,)
    ]
    state = await saga(backend, order_id)
    assert state["data"]["customer_id"] == "customer-1"
    assert len(state["history"]) == 1


async def test_a_repeated_reply_is_handled_once(backend: RunningBackend) -> None:
    order_id, _, authorize = await start_saga(backend)
    reply = reply_to(authorize, Success(), OUTCOME_SUCCESS)
    await publish(backend, reply)
    await handled(backend, REPLY_TOPIC, await publish(backend, reply))
    await relayed(backend)
    assert len(await commands(backend, DEPOT, order_id)) == 1
    assert await commands(backend, PAYMENTS, order_id) == []
    assert steps(await saga(backend, order_id)) == [
        (1, "forward", "customersapi.AuthorizeCustomer", "SUCCESS"),
        (2, "forward", "depotapi.CreateShoppingListCommand", "PENDING"),
    ]


async def test_replies_without_headers_or_for_another_saga_are_ignored(
    backend: RunningBackend,
) -> None:
    order_id, _, authorize = await start_saga(backend)
    before = await saga(backend, order_id)
    foreign = reply_to(authorize, Success(), OUTCOME_SUCCESS)
    strays = [
        new_message(REPLY_TOPIC, Success()),  # no headers at all
        new_message(
            REPLY_TOPIC,
            Success(),
            metadata={**foreign.metadata, "REPLY_SAGA_NAME": "other.Saga"},
        ),
        new_message(
            REPLY_TOPIC,
            Success(),
            metadata={**foreign.metadata, "REPLY_SAGA_ID": str(uuid.uuid4())},  # no such saga
        ),
    ]
    for stray in strays:
        last = await publish(backend, stray)
    await handled(backend, REPLY_TOPIC, last)
    await relayed(backend)
    assert await saga(backend, order_id) == before
    assert await commands(backend, DEPOT, order_id) == []
    dead = await list_dead_letters(backend.host.redis, REPLY_TOPIC + DLQ_SUFFIX)
    assert not {s.id for s in strays} & {Message.from_json(d.message).id for d in dead}

    await answer(backend, authorize)  # the saga still listens to its own replies
    assert (await command(backend, DEPOT, order_id)).name == "depotapi.CreateShoppingListCommand"


async def test_a_reply_without_an_outcome_is_dead_lettered(backend: RunningBackend) -> None:
    order_id, _, authorize = await start_saga(backend)
    good = reply_to(authorize, Success(), OUTCOME_SUCCESS)
    headers = {k: v for k, v in good.metadata.items() if k != "REPLY_OUTCOME"}
    bad = new_message(REPLY_TOPIC, Success(), metadata=headers)
    await publish(backend, bad)
    letters = await eventually(
        lambda: list_dead_letters(backend.host.redis, REPLY_TOPIC + DLQ_SUFFIX),
        lambda ds: any(Message.from_json(d.message).id == bad.id for d in ds),
    )
    letter = next(d for d in letters if Message.from_json(d.message).id == bad.id)
    assert letter.error == "reply has no valid REPLY_OUTCOME header: ''"
    assert steps(await saga(backend, order_id)) == [
        (1, "forward", "customersapi.AuthorizeCustomer", "PENDING")
    ]


async def test_a_failed_compensation_is_retried_then_dead_lettered(
    backend: RunningBackend,
) -> None:
    order_id, _, authorize = await start_saga(backend)
    await answer(backend, authorize, ok=False)
    reject = await command(backend, ORDERING, order_id)
    refusal = await answer(
        backend, reject, Failure("BAD_REQUEST", "the order cannot be rejected"), ok=False
    )
    letters = await eventually(
        lambda: list_dead_letters(backend.host.redis, REPLY_TOPIC + DLQ_SUFFIX),
        lambda ds: any(Message.from_json(d.message).id == refusal.id for d in ds),
    )
    letter = next(d for d in letters if Message.from_json(d.message).id == refusal.id)
    assert letter.deliveries == 3, "retried up to max_deliveries"
    assert letter.error == (
        f"CompensationFailed: saga cosec.CreateOrder {order_id}: compensation"
        " ordersapi.RejectOrder at step 0 failed: the order cannot be rejected"
    )
    state = await saga(backend, order_id)
    assert (state["step"], state["done"], state["compensating"]) == (0, False, True)
    assert steps(state)[-1] == (0, "compensation", "ordersapi.RejectOrder", "PENDING")

    await answer(backend, reject)  # the participant succeeds at last
    assert steps(await finished(backend, order_id))[-1][-1] == "SUCCESS"


async def test_a_malformed_order_created_is_dead_lettered_and_starts_nothing(
    backend: RunningBackend,
) -> None:
    order_id = str(uuid.uuid4())
    good = order_created(order_id)
    payload = {k: v for k, v in good.payload.items() if k != "customer_id"}
    bad = dataclasses.replace(good, payload=payload)
    await publish(backend, bad)
    letters = await eventually(
        lambda: list_dead_letters(backend.host.redis, ORDER_TOPIC + DLQ_SUFFIX),
        lambda ds: any(Message.from_json(d.message).id == bad.id for d in ds),
    )
    assert [d.error for d in letters if Message.from_json(d.message).id == bad.id] == [
        "ordersapi.OrderCreated: customer_id: missing"
    ]
    assert (await backend.http.get(f"/api/cosec/sagas/{order_id}")).status_code == 404


async def test_concurrent_replies_to_one_saga_are_serialised_by_the_row_lock(
    backend: RunningBackend,
) -> None:
    """Two answers to one AuthorizeCustomer handled at once in two transactions: the second
    waits for the first and then sees its changes: the saga is on step 2 by then, so the second
    answer (to step 1) is ignored, and CreateShoppingList is sent once and stays pending (without
    the lock both would move the saga from step 1; without matching replies to their step, the
    second would mark step 2 done without the depot ever answering)."""
    order_id, _, authorize = await start_saga(backend)
    ctx = backend.context("cosec")
    service = CosecService(ctx)
    first, second = (reply_to(authorize, Success(), OUTCOME_SUCCESS) for _ in range(2))

    async def handle_second() -> None:
        async with ctx.unit_of_work() as uow:
            await service.handle_reply(uow, second)

    async with ctx.unit_of_work() as uow:
        await service.handle_reply(uow, first)
        other = asyncio.create_task(handle_second())
        await eventually(
            lambda: backend.sql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock'"
            ),
            lambda rows: rows[0][0] == 1,
        )
    await other
    state = await saga(backend, order_id)
    assert steps(state) == [
        (1, "forward", "customersapi.AuthorizeCustomer", "SUCCESS"),
        (2, "forward", "depotapi.CreateShoppingListCommand", "PENDING"),
    ]
    await relayed(backend)
    assert len(await commands(backend, DEPOT, order_id)) == 1
    assert await commands(backend, PAYMENTS, order_id) == []


@pytest.mark.parametrize("saga_id", ["nope", "x" * 100, str(uuid.uuid4())])  # 100: MAX_ID
async def test_an_unknown_saga_is_not_found(backend: RunningBackend, saga_id: str) -> None:
    response = await backend.http.get(f"/api/cosec/sagas/{saga_id}")
    assert response.status_code == 404
    assert response.json() == {
        "code": "NOT_FOUND",
        "message": f"saga with id: `{saga_id}` does not exist",
    }


async def test_the_api_is_read_only_and_documented(backend: RunningBackend) -> None:
    before = await backend.sql("SELECT count(*) FROM cosec.sagas")
    response = await backend.http.post("/api/cosec/sagas/x", json={"step": 5})
    assert response.status_code == 405
    assert await backend.sql("SELECT count(*) FROM cosec.sagas") == before
    document = (await backend.http.get("/api/cosec/openapi.json")).json()
    assert set(document["paths"]) == {"/api/cosec/sagas/{id}"}
    assert set(document["paths"]["/api/cosec/sagas/{id}"]) == {"get"}
