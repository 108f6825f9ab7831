"""The depot module over HTTP and Redis on real PostgreSQL, with the real stores module."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from backend.cosec.messages import SAGA_NAME
from backend.depot.messages import (
    COMMAND_TOPIC,
    PROJECTION,
    REPLY_TOPIC,
    SHOPPING_LIST_TOPIC,
    CancelShoppingList,
    CreateShoppingList,
    InitiateShopping,
    ShoppingItem,
)
from backend.depot.module import module as depot
from backend.ordering.messages import ORDER_TOPIC, OrderCanceled
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
    Payload,
    new_message,
    projection_topic,
)
from backend.stores.messages import PRODUCT_TOPIC, STORE_TOPIC, StoreRebranded
from backend.stores.module import module as stores
from tests.conftest import Servers
from tests.support.backend import RunningBackend, running_backend
from tests.support.waiting import eventually


@pytest.fixture(scope="module")
async def backend(servers: Servers) -> AsyncIterator[RunningBackend]:
    async with running_backend(servers.database_url, servers.redis_url, [stores, depot]) as running:
        yield running


# --- helpers ---------------------------------------------------------------------------------


async def publish(backend: RunningBackend, message: Message) -> None:
    await backend.host.redis.xadd(message.subject, {ENVELOPE_FIELD: message.to_json()})


async def read(backend: RunningBackend, topic: str) -> list[Message]:
    entries = await backend.host.redis.xrange(topic)
    return [Message.from_json(fields[ENVELOPE_FIELD.encode()]) for _, fields in entries]


def saga_command(payload: Payload, saga_id: str) -> Message:
    return new_message(
        COMMAND_TOPIC,
        payload,
        metadata={
            COMMAND_REPLY_CHANNEL: REPLY_TOPIC,
            COMMAND_SAGA_ID: saga_id,
            COMMAND_SAGA_NAME: SAGA_NAME,
        },
    )


async def replies(backend: RunningBackend, saga_id: str) -> list[Message]:
    return [m for m in await read(backend, REPLY_TOPIC) if m.metadata[REPLY_SAGA_ID] == saga_id]


async def command_and_reply(backend: RunningBackend, payload: Payload) -> Message:
    """Send a saga command and wait for its one reply."""
    saga_id = str(uuid.uuid4())
    await publish(backend, saga_command(payload, saga_id))
    (reply,) = await eventually(lambda: replies(backend, saga_id), lambda rs: len(rs) == 1)
    assert reply.metadata[REPLY_SAGA_NAME] == SAGA_NAME
    return reply


async def create_store(backend: RunningBackend, name: str, location: str) -> str:
    response = await backend.http.post("/api/stores", json={"name": name, "location": location})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def add_product(backend: RunningBackend, store_id: str, name: str) -> str:
    response = await backend.http.post(
        f"/api/stores/{store_id}/products", json={"name": name, "price": "9.99"}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def catalog(backend: RunningBackend) -> dict[str, str]:
    """A fresh store with two products, and a second store with one: their ids."""
    books = await create_store(backend, "Waldorf Books", "West Upper Level")
    toys = await create_store(backend, "Toy Box", "East Lower Level")
    return {
        "books": books,
        "toys": toys,
        "novel": await add_product(backend, books, "EDA with Golang"),
        "atlas": await add_product(backend, books, "Atlas"),
        "robot": await add_product(backend, toys, "Robot"),
    }


async def create_list(
    backend: RunningBackend, ids: dict[str, str], order_id: str | None = None
) -> str:
    reply = await command_and_reply(
        backend,
        CreateShoppingList(
            order_id or str(uuid.uuid4()), [ShoppingItem(ids["novel"], ids["books"], 1)]
        ),
    )
    assert reply.metadata[REPLY_OUTCOME] == "SUCCESS", reply
    return str(reply.payload["id"])


async def available_list(backend: RunningBackend, ids: dict[str, str]) -> str:
    list_id = await create_list(backend, ids)
    reply = await command_and_reply(backend, InitiateShopping(list_id))
    assert reply.metadata[REPLY_OUTCOME] == "SUCCESS", reply
    return list_id


async def get_list(backend: RunningBackend, list_id: str) -> Any:
    response = await backend.http.get(f"/api/depot/shopping/{list_id}")
    assert response.status_code == 200, response.text
    return response.json()["shopping_list"]


async def register_bot(backend: RunningBackend, name: str = "Robbie") -> str:
    response = await backend.http.post("/api/depot/bots", json={"name": name})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def get_bot(backend: RunningBackend, bot_id: str) -> Any:
    response = await backend.http.get(f"/api/depot/bots/{bot_id}")
    assert response.status_code == 200, response.text
    return response.json()["bot"]


async def assign(backend: RunningBackend, list_id: str, bot_id: str) -> Any:
    return await backend.http.put(f"/api/depot/shopping/{list_id}/assign", json={"bot_id": bot_id})


async def drained(backend: RunningBackend, topic: str) -> None:
    """Wait until the depot's group has read the last entry of ``topic`` and acknowledged all."""

    async def done() -> bool:
        last = await backend.host.redis.xrevrange(topic, count=1)
        groups = await backend.host.redis.xinfo_groups(topic)
        (group,) = [g for g in groups if g["name"] == b"depot"]
        return bool(last) and group["last-delivered-id"] == last[0][0] and group["pending"] == 0

    await eventually(done, bool)


async def projected_statuses(backend: RunningBackend, list_id: str) -> list[str]:
    updates = await read(backend, projection_topic(PROJECTION))
    return [m.payload["state"]["status"] for m in updates if m.payload["key"] == list_id]


# --- saga commands ---------------------------------------------------------------------------


async def test_create_shopping_list_groups_items_into_stops(backend: RunningBackend) -> None:
    ids = await catalog(backend)
    order_id = str(uuid.uuid4())
    reply = await command_and_reply(
        backend,
        CreateShoppingList(
            order_id,
            [
                ShoppingItem(ids["novel"], ids["books"], 2),
                ShoppingItem(ids["robot"], ids["toys"], 1),
                ShoppingItem(ids["novel"], ids["books"], 3),
                ShoppingItem(ids["atlas"], ids["books"], 1),
            ],
        ),
    )
    assert reply.name == "depotapi.CreatedShoppingListReply"
    assert reply.metadata[REPLY_OUTCOME] == "SUCCESS"
    list_id = reply.payload["id"]
    uuid.UUID(list_id)

    shopping_list = await get_list(backend, list_id)
    assert shopping_list["order_id"] == order_id
    assert shopping_list["status"] == "pending"
    assert shopping_list["assigned_bot_id"] is None
    assert shopping_list["stops"] == [
        {
            "store_id": ids["books"],
            "store_name": "Waldorf Books",
            "store_location": "West Upper Level",
            "items": [
                {"product_id": ids["novel"], "product_name": "EDA with Golang", "quantity": 5},
                {"product_id": ids["atlas"], "product_name": "Atlas", "quantity": 1},
            ],
        },
        {
            "store_id": ids["toys"],
            "store_name": "Toy Box",
            "store_location": "East Lower Level",
            "items": [{"product_id": ids["robot"], "product_name": "Robot", "quantity": 1}],
        },
    ]
    updates = await eventually(
        lambda: read(backend, projection_topic(PROJECTION)),
        lambda ms: any(m.payload["key"] == list_id for m in ms),
    )
    (update,) = [m for m in updates if m.payload["key"] == list_id]
    assert update.payload["state"] == shopping_list


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ("store", "store with id: `{id}` does not exist"),
        ("product", "product with id: `{id}` does not exist"),
    ],
)
async def test_unknown_store_or_product_fails_the_command_and_writes_nothing(
    backend: RunningBackend, which: str, message: str
) -> None:
    ids = await catalog(backend)
    unknown = str(uuid.uuid4())
    item = (
        ShoppingItem(ids["novel"], unknown, 1)
        if which == "store"
        else ShoppingItem(unknown, ids["books"], 1)
    )
    order_id = str(uuid.uuid4())
    reply = await command_and_reply(
        backend, CreateShoppingList(order_id, [ShoppingItem(ids["robot"], ids["toys"], 1), item])
    )
    assert reply.name == "reply.Failure"
    assert reply.metadata[REPLY_OUTCOME] == "FAILURE"
    assert reply.payload == {"code": "NOT_FOUND", "error": message.format(id=unknown)}
    rows = await backend.sql("SELECT id FROM depot.shopping_lists WHERE order_id = %s", (order_id,))
    assert rows == []


async def test_invalid_items_fail_the_command(backend: RunningBackend) -> None:
    ids = await catalog(backend)
    cases = [
        ([ShoppingItem(ids["novel"], ids["books"], 0)], "the item quantity must be positive"),
        ([ShoppingItem(ids["novel"], ids["books"], -2)], "the item quantity must be positive"),
        ([ShoppingItem(ids["novel"], ids["books"], 10**12)], "the item quantity is too large"),
        ([], "the shopping list has no items"),
        (
            [ShoppingItem(ids["robot"], ids["books"], 1)],
            f"product with id: `{ids['robot']}` is not sold by store `{ids['books']}`",
        ),
    ]
    for items, message in cases:
        order_id = str(uuid.uuid4())
        reply = await command_and_reply(backend, CreateShoppingList(order_id, items))
        assert reply.metadata[REPLY_OUTCOME] == "FAILURE"
        assert reply.payload == {"code": "BAD_REQUEST", "error": message}
        assert (
            await backend.sql(
                "SELECT id FROM depot.shopping_lists WHERE order_id = %s", (order_id,)
            )
            == []
        )


async def test_a_duplicate_create_command_makes_one_list_and_one_reply(
    backend: RunningBackend,
) -> None:
    ids = await catalog(backend)
    order_id, saga_id = str(uuid.uuid4()), str(uuid.uuid4())
    command = saga_command(
        CreateShoppingList(order_id, [ShoppingItem(ids["novel"], ids["books"], 1)]), saga_id
    )
    await publish(backend, command)
    await publish(backend, command)
    # A marker command behind the duplicates: once it is answered, both copies were handled.
    marker = await command_and_reply(backend, InitiateShopping(str(uuid.uuid4())))
    assert marker.metadata[REPLY_OUTCOME] == "FAILURE"
    assert len(await replies(backend, saga_id)) == 1
    rows = await backend.sql("SELECT id FROM depot.shopping_lists WHERE order_id = %s", (order_id,))
    assert len(rows) == 1


async def test_an_order_gets_one_live_list_even_if_asked_twice(backend: RunningBackend) -> None:
    ids = await catalog(backend)
    order_id = str(uuid.uuid4())
    first = await create_list(backend, ids, order_id)
    again = await create_list(backend, ids, order_id)
    assert again == first
    rows = await backend.sql("SELECT id FROM depot.shopping_lists WHERE order_id = %s", (order_id,))
    assert rows == [(first,)]


async def test_initiate_makes_the_list_available_once(backend: RunningBackend) -> None:
    ids = await catalog(backend)
    list_id = await available_list(backend, ids)
    assert (await get_list(backend, list_id))["status"] == "available"
    again = await command_and_reply(backend, InitiateShopping(list_id))
    assert again.metadata[REPLY_OUTCOME] == "FAILURE"
    assert again.payload == {
        "code": "BAD_REQUEST",
        "error": "the shopping list cannot be initiated",
    }
    unknown = str(uuid.uuid4())
    missing = await command_and_reply(backend, InitiateShopping(unknown))
    assert missing.payload == {
        "code": "NOT_FOUND",
        "error": f"shopping list with id: `{unknown}` does not exist",
    }


async def test_cancel_command_is_a_repeatable_compensation(backend: RunningBackend) -> None:
    ids = await catalog(backend)
    list_id = await available_list(backend, ids)
    for _ in range(2):
        reply = await command_and_reply(backend, CancelShoppingList(list_id))
        assert (reply.name, reply.metadata[REPLY_OUTCOME]) == ("reply.Success", "SUCCESS")
    assert (await get_list(backend, list_id))["status"] == "canceled"
    statuses = await eventually(
        lambda: projected_statuses(backend, list_id), lambda s: "canceled" in s
    )
    assert statuses == ["pending", "available", "canceled"]
    unknown = str(uuid.uuid4())
    missing = await command_and_reply(backend, CancelShoppingList(unknown))
    assert missing.metadata[REPLY_OUTCOME] == "FAILURE"
    assert missing.payload["code"] == "NOT_FOUND"


async def test_cancel_command_on_a_completed_list_fails(backend: RunningBackend) -> None:
    ids = await catalog(backend)
    list_id = await available_list(backend, ids)
    bot_id = await register_bot(backend)
    assert (await assign(backend, list_id, bot_id)).status_code == 200
    assert (await backend.http.put(f"/api/depot/shopping/{list_id}/complete", json={})).is_success
    reply = await command_and_reply(backend, CancelShoppingList(list_id))
    assert reply.payload == {"code": "BAD_REQUEST", "error": "the shopping list cannot be canceled"}
    assert (await get_list(backend, list_id))["status"] == "completed"


async def test_a_malformed_command_is_dead_lettered_without_a_reply(
    backend: RunningBackend,
) -> None:
    saga_id = str(uuid.uuid4())
    good = saga_command(InitiateShopping("x"), saga_id)
    bad = dataclasses.replace(
        good, name=CreateShoppingList.message_name, payload={"order_id": "o1"}
    )
    await publish(backend, bad)
    letters = await eventually(
        lambda: read(backend, COMMAND_TOPIC + DLQ_SUFFIX),
        lambda ms: any(m.id == bad.id for m in ms),
    )
    assert any(m.id == bad.id for m in letters)
    assert await replies(backend, saga_id) == []


async def test_stores_outage_retries_instead_of_failing_the_saga(backend: RunningBackend) -> None:
    """A cache miss while stores is unreachable must not reject the order: the command is
    retried for as long as the outage lasts (past max_deliveries, never dead-lettered), and
    answered once stores is back."""
    ids = await catalog(backend)
    # Once the consumer has seen the store events, an emptied cache stays empty.
    await drained(backend, STORE_TOPIC)
    await drained(backend, PRODUCT_TOPIC)
    await backend.sql("DELETE FROM depot.stores_cache WHERE id = %s", (ids["toys"],))
    services = backend.context("depot").services
    services.urls["stores"] = "http://127.0.0.1:9"
    saga_id = str(uuid.uuid4())
    command = saga_command(
        CreateShoppingList(str(uuid.uuid4()), [ShoppingItem(ids["robot"], ids["toys"], 1)]),
        saga_id,
    )
    consumer = backend.host.consumers["depot"]
    failed_before = consumer.counts["transient"]
    try:
        await publish(backend, command)
        await eventually(
            lambda: asyncio.sleep(0, consumer.counts["transient"] - failed_before),
            lambda failed: failed > backend.host.settings.max_deliveries,
        )
        assert await replies(backend, saga_id) == []
        letters = await backend.host.redis.xrange(COMMAND_TOPIC + DLQ_SUFFIX)
        assert not [f for _, f in letters if command.id.encode() in f[ENVELOPE_FIELD.encode()]]
    finally:
        del services.urls["stores"]
    (reply,) = await eventually(lambda: replies(backend, saga_id), lambda rs: len(rs) == 1)
    assert reply.metadata[REPLY_OUTCOME] == "SUCCESS"


# --- bots and the HTTP commands --------------------------------------------------------------


async def test_a_bot_shops_an_available_list_to_completion(backend: RunningBackend) -> None:
    ids = await catalog(backend)
    older = await available_list(backend, ids)
    newer = await available_list(backend, ids)
    available = (await backend.http.get("/api/depot/shopping/available")).json()["shopping_lists"]
    positions = [s["id"] for s in available]
    assert positions.index(older) < positions.index(newer), "oldest first"
    assert all(s["status"] == "available" for s in available)

    bot_id = await register_bot(backend, "Robbie")
    assert await get_bot(backend, bot_id) == {
        "id": bot_id,
        "name": "Robbie",
        "status": "idle",
        "shopping_list_id": None,
    }
    assert (await assign(backend, older, bot_id)).json() == {}
    assert await get_bot(backend, bot_id) == {
        "id": bot_id,
        "name": "Robbie",
        "status": "busy",
        "shopping_list_id": older,
    }
    shopping_list = await get_list(backend, older)
    assert (shopping_list["status"], shopping_list["assigned_bot_id"]) == ("assigned", bot_id)
    available = (await backend.http.get("/api/depot/shopping/available")).json()["shopping_lists"]
    assert older not in [s["id"] for s in available]

    busy = await assign(backend, newer, bot_id)
    assert (busy.status_code, busy.json()) == (
        409,
        {"code": "CONFLICT", "message": "the bot already has a shopping list"},
    )
    assert (await get_list(backend, newer))["status"] == "available"
    taken = await assign(backend, older, await register_bot(backend, "Other"))
    assert (taken.status_code, taken.json()["message"]) == (
        400,
        "the shopping list cannot be assigned",
    )

    response = await backend.http.put(f"/api/depot/shopping/{older}/complete", json={})
    assert (response.status_code, response.json()) == (200, {})
    assert (await get_list(backend, older))["status"] == "completed"
    assert (await get_bot(backend, bot_id))["status"] == "idle"
    again = await backend.http.put(f"/api/depot/shopping/{older}/complete", json={})
    assert (again.status_code, again.json()["message"]) == (
        400,
        "the shopping list cannot be completed",
    )
    completed = await eventually(
        lambda: read(backend, SHOPPING_LIST_TOPIC),
        lambda ms: any(m.payload["id"] == older for m in ms),
    )
    mine = [m for m in completed if m.payload["id"] == older]
    assert [(m.name, m.payload) for m in mine] == [
        (
            "depotapi.ShoppingListCompleted",
            {"id": older, "order_id": shopping_list["order_id"]},
        )
    ]
    statuses = await eventually(
        lambda: projected_statuses(backend, older), lambda s: "completed" in s
    )
    assert statuses == ["pending", "available", "assigned", "completed"]

    # The freed bot takes the next list.
    assert (await assign(backend, newer, bot_id)).status_code == 200


async def test_bots_are_listed(backend: RunningBackend) -> None:
    bot_id = await register_bot(backend, "Listed Bot")
    bots = (await backend.http.get("/api/depot/bots")).json()["bots"]
    assert {"id": bot_id, "name": "Listed Bot", "status": "idle", "shopping_list_id": None} in bots


async def test_only_an_available_list_can_be_assigned(backend: RunningBackend) -> None:
    ids = await catalog(backend)
    pending = await create_list(backend, ids)
    bot_id = await register_bot(backend)
    response = await assign(backend, pending, bot_id)
    assert (response.status_code, response.json()["message"]) == (
        400,
        "the shopping list cannot be assigned",
    )
    assert (await get_bot(backend, bot_id))["status"] == "idle"
    complete = await backend.http.put(f"/api/depot/shopping/{pending}/complete", json={})
    assert (complete.status_code, complete.json()["message"]) == (
        400,
        "the shopping list cannot be completed",
    )


async def test_cancelling_an_assigned_list_frees_its_bot(backend: RunningBackend) -> None:
    ids = await catalog(backend)
    list_id = await available_list(backend, ids)
    bot_id = await register_bot(backend)
    assert (await assign(backend, list_id, bot_id)).status_code == 200
    response = await backend.http.post(f"/api/depot/shopping/{list_id}/cancel", json={})
    assert (response.status_code, response.json()) == (200, {})
    shopping_list = await get_list(backend, list_id)
    assert shopping_list["status"] == "canceled"
    assert (await get_bot(backend, bot_id))["status"] == "idle"
    again = await backend.http.post(f"/api/depot/shopping/{list_id}/cancel", json={})
    assert (again.status_code, again.json()["message"]) == (
        400,
        "the shopping list cannot be canceled",
    )
    assert (await assign(backend, list_id, bot_id)).status_code == 400


async def test_idempotency_keys_return_the_first_result(backend: RunningBackend) -> None:
    body = {"name": "Keyed", "idempotency_key": f"bot-{uuid.uuid4()}"}
    first = await backend.http.post("/api/depot/bots", json=body)
    second = await backend.http.post("/api/depot/bots", json=body)
    assert first.json() == second.json()
    assert await backend.sql("SELECT count(*) FROM depot.bots WHERE name = 'Keyed'") == [(1,)]

    ids = await catalog(backend)
    list_id = await available_list(backend, ids)
    bot_id = first.json()["id"]
    key = {"bot_id": bot_id, "idempotency_key": "assign-1"}
    for _ in range(2):
        response = await backend.http.put(f"/api/depot/shopping/{list_id}/assign", json=key)
        assert (response.status_code, response.json()) == (200, {})
    assert (await get_list(backend, list_id))["status"] == "assigned"


async def test_concurrent_assignments_give_a_bot_one_list(backend: RunningBackend) -> None:
    ids = await catalog(backend)
    lists = [await available_list(backend, ids) for _ in range(4)]
    bot_id = await register_bot(backend)
    responses = await asyncio.gather(*(assign(backend, list_id, bot_id) for list_id in lists))
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]
    assigned = await backend.sql(
        "SELECT id FROM depot.shopping_lists WHERE assigned_bot_id = %s", (bot_id,)
    )
    assert len(assigned) == 1
    assert (await get_bot(backend, bot_id))["shopping_list_id"] == assigned[0][0]


# --- consumed events -------------------------------------------------------------------------


def order_canceled(shopping_id: str) -> Message:
    return new_message(
        ORDER_TOPIC, OrderCanceled(str(uuid.uuid4()), "customer-1", "payment-1", shopping_id)
    )


async def inbox_has(backend: RunningBackend, message_id: str) -> list[tuple[Any, ...]]:
    return await backend.sql("SELECT 1 FROM depot.inbox WHERE message_id = %s", (message_id,))


async def test_a_cancelled_order_cancels_its_list_and_frees_the_bot(
    backend: RunningBackend,
) -> None:
    ids = await catalog(backend)
    list_id = await available_list(backend, ids)
    bot_id = await register_bot(backend)
    assert (await assign(backend, list_id, bot_id)).status_code == 200
    message = order_canceled(list_id)
    await publish(backend, message)
    await publish(backend, message)
    await eventually(lambda: get_list(backend, list_id), lambda s: s["status"] == "canceled")
    assert (await get_bot(backend, bot_id))["status"] == "idle"
    statuses = await eventually(
        lambda: projected_statuses(backend, list_id), lambda s: "canceled" in s
    )
    assert statuses == ["pending", "available", "assigned", "canceled"], "cancelled once"


async def test_a_cancelled_order_leaves_done_or_unknown_lists_alone(
    backend: RunningBackend,
) -> None:
    ids = await catalog(backend)
    completed = await available_list(backend, ids)
    bot_id = await register_bot(backend)
    assert (await assign(backend, completed, bot_id)).status_code == 200
    assert (await backend.http.put(f"/api/depot/shopping/{completed}/complete", json={})).is_success
    before = await get_list(backend, completed)
    messages = [order_canceled(completed), order_canceled(""), order_canceled(str(uuid.uuid4()))]
    for message in messages:
        await publish(backend, message)
    await drained(backend, ORDER_TOPIC)
    for message in messages:
        assert await inbox_has(backend, message.id) == [(1,)]
    assert await get_list(backend, completed) == before


async def test_store_and_product_events_feed_the_caches(backend: RunningBackend) -> None:
    ids = await catalog(backend)

    async def cached_store() -> list[tuple[Any, ...]]:
        return await backend.sql(
            "SELECT name, location FROM depot.stores_cache WHERE id = %s", (ids["books"],)
        )

    async def cached_product() -> list[tuple[Any, ...]]:
        return await backend.sql(
            "SELECT store_id, name FROM depot.products_cache WHERE id = %s AND NOT removed",
            (ids["novel"],),
        )

    await eventually(cached_store, lambda rows: rows == [("Waldorf Books", "West Upper Level")])
    await eventually(cached_product, lambda rows: rows == [(ids["books"], "EDA with Golang")])
    assert (
        await backend.http.put(f"/api/stores/{ids['books']}/rebrand", json={"name": "Books+"})
    ).is_success
    assert (
        await backend.http.put(
            f"/api/stores/products/{ids['novel']}/rebrand", json={"name": "EDA in Go"}
        )
    ).is_success
    await eventually(cached_store, lambda rows: rows == [("Books+", "West Upper Level")])
    await eventually(cached_product, lambda rows: rows == [(ids["books"], "EDA in Go")])
    list_id = await create_list(backend, ids)
    stop = (await get_list(backend, list_id))["stops"][0]
    assert (stop["store_name"], stop["items"][0]["product_name"]) == ("Books+", "EDA in Go")

    assert (
        await backend.http.request("DELETE", f"/api/stores/products/{ids['novel']}", json={})
    ).is_success
    await eventually(cached_product, lambda rows: rows == [])  # a tombstone is left
    reply = await command_and_reply(
        backend,
        CreateShoppingList(str(uuid.uuid4()), [ShoppingItem(ids["novel"], ids["books"], 1)]),
    )
    assert reply.payload == {
        "code": "NOT_FOUND",
        "error": f"product with id: `{ids['novel']}` does not exist",
    }


async def test_a_cache_miss_falls_back_to_the_stores_module(backend: RunningBackend) -> None:
    ids = await catalog(backend)
    await drained(backend, STORE_TOPIC)
    await drained(backend, PRODUCT_TOPIC)
    await backend.sql("DELETE FROM depot.products_cache WHERE id = %s", (ids["robot"],))
    await backend.sql("DELETE FROM depot.stores_cache WHERE id = %s", (ids["toys"],))
    reply = await command_and_reply(
        backend, CreateShoppingList(str(uuid.uuid4()), [ShoppingItem(ids["robot"], ids["toys"], 4)])
    )
    assert reply.metadata[REPLY_OUTCOME] == "SUCCESS"
    stop = (await get_list(backend, reply.payload["id"]))["stops"][0]
    assert (stop["store_name"], stop["store_location"]) == ("Toy Box", "East Lower Level")
    assert stop["items"] == [{"product_id": ids["robot"], "product_name": "Robot", "quantity": 4}]
    assert await backend.sql(
        "SELECT name FROM depot.products_cache WHERE id = %s", (ids["robot"],)
    ) == [("Robot",)]
    assert await backend.sql(
        "SELECT name, location FROM depot.stores_cache WHERE id = %s", (ids["toys"],)
    ) == [("Toy Box", "East Lower Level")]


async def test_a_duplicate_store_event_has_one_effect(backend: RunningBackend) -> None:
    store_id = await create_store(backend, "Dup Store", "Here")
    await eventually(
        lambda: backend.sql("SELECT name FROM depot.stores_cache WHERE id = %s", (store_id,)),
        lambda rows: rows == [("Dup Store",)],
    )
    first = new_message(STORE_TOPIC, StoreRebranded(store_id, "First"))
    second = new_message(STORE_TOPIC, StoreRebranded(store_id, "Second"))
    await publish(backend, first)
    await publish(backend, second)
    await publish(backend, first)  # redelivered after a newer event: the inbox drops it
    await drained(backend, STORE_TOPIC)
    assert await backend.sql("SELECT name FROM depot.stores_cache WHERE id = %s", (store_id,)) == [
        ("Second",)
    ]


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("POST", "/api/depot/bots", {}, 400, "invalid request: name: missing"),
        ("POST", "/api/depot/bots", {"name": 7}, 400, "invalid request: name: expected a string"),
        (
            "POST",
            "/api/depot/bots",
            {"name": "x" * 201},
            400,
            "invalid request: name: longer than 200 characters",
        ),
        ("POST", "/api/depot/bots", {"name": "  "}, 400, "the bot name cannot be blank"),
        ("GET", "/api/depot/bots/nope", None, 404, "bot with id: `nope` does not exist"),
        (
            "GET",
            "/api/depot/shopping/nope",
            None,
            404,
            "shopping list with id: `nope` does not exist",
        ),
        ("PUT", "/api/depot/shopping/nope/assign", {}, 400, "invalid request: bot_id: missing"),
        (
            "PUT",
            "/api/depot/shopping/nope/assign",
            {"bot_id": ["b"]},
            400,
            "invalid request: bot_id: expected a string",
        ),
        (
            "PUT",
            "/api/depot/shopping/nope/assign",
            {"bot_id": ""},
            400,
            "invalid request: bot_id: empty",
        ),
        (
            "PUT",
            "/api/depot/shopping/nope/assign",
            {"bot_id": "b"},
            404,
            "shopping list with id: `nope` does not exist",
        ),
        (
            "PUT",
            "/api/depot/shopping/nope/complete",
            {},
            404,
            "shopping list with id: `nope` does not exist",
        ),
        (
            "PUT",
            "/api/depot/shopping/nope/complete",
            {"idempotency_key": 5},
            400,
            "invalid request: idempotency_key: expected a string",
        ),
        (
            "POST",
            "/api/depot/shopping/nope/cancel",
            {},
            404,
            "shopping list with id: `nope` does not exist",
        ),
        (
            "POST",
            "/api/depot/shopping/nope/cancel",
            [],
            400,
            "invalid request: Idempotent: expected an object",
        ),
    ],
)
async def test_bad_input_is_a_clear_4xx_and_writes_nothing(
    backend: RunningBackend, method: str, path: str, body: object, status: int, message: str
) -> None:
    snapshot = (
        "SELECT (SELECT count(*) FROM depot.bots), (SELECT count(*) FROM depot.shopping_lists)"
    )
    before = await backend.sql(snapshot)
    response = await backend.http.request(method, path, json=body)
    assert response.status_code == status
    assert response.json()["message"] == message
    assert await backend.sql(snapshot) == before


async def test_assigning_to_an_unknown_bot_is_not_found(backend: RunningBackend) -> None:
    ids = await catalog(backend)
    list_id = await available_list(backend, ids)
    response = await assign(backend, list_id, "no-such-bot")
    assert (response.status_code, response.json()["message"]) == (
        404,
        "bot with id: `no-such-bot` does not exist",
    )
    assert (await get_list(backend, list_id))["status"] == "available"


async def test_bad_json_is_refused(backend: RunningBackend) -> None:
    response = await backend.http.post(
        "/api/depot/bots", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.json() == {
        "code": "BAD_REQUEST",
        "message": "the request body is not valid JSON",
    }


async def test_openapi_document_lists_every_operation(backend: RunningBackend) -> None:
    document = (await backend.http.get("/api/depot/openapi.json")).json()
    assert set(document["paths"]) == {
        "/api/depot/bots",
        "/api/depot/bots/{id}",
        "/api/depot/shopping/available",
        "/api/depot/shopping/{id}",
        "/api/depot/shopping/{id}/assign",
        "/api/depot/shopping/{id}/complete",
        "/api/depot/shopping/{id}/cancel",
    }
    assert set(document["paths"]["/api/depot/bots"]) == {"get", "post"}
