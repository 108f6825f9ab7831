"""A silent participant never strands a saga: its command is sent again (the same message, so
the participant's inbox drops a repeat), and past the step's deadline the saga compensates.

Only cosec runs, with short timeouts; the test plays every participant.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from backend.cosec.module import module as cosec
from backend.customers.messages import COMMAND_TOPIC as CUSTOMERS
from backend.depot.messages import REPLY_TOPIC
from backend.ordering.messages import COMMAND_TOPIC as ORDERING
from backend.platform.messages import ENVELOPE_FIELD, OUTCOME_SUCCESS
from backend.platform.saga import Success, reply_to
from tests.conftest import Servers
from tests.modules.test_cosec import (
    answer,
    commands,
    finished,
    handled,
    order_created,
    publish,
    saga,
    steps,
)
from tests.support.backend import RunningBackend, running_backend
from tests.support.waiting import eventually

SHORT_TIMEOUTS = {
    "saga_resend_seconds": 0.4,
    "saga_deadline_seconds": 1.5,
    "saga_timer_seconds": 0.1,
}
"""Resend every 0.4 s, give up after 1.5 s, the timer every 0.1 s."""


@pytest.fixture
async def backend(servers: Servers) -> AsyncIterator[RunningBackend]:
    """Each test has its own backend: two at a time would share the cosec consumer group."""
    async with running_backend(
        servers.database_url, servers.redis_url, [cosec], **SHORT_TIMEOUTS
    ) as running:
        yield running


async def test_a_silent_step_is_sent_again_then_compensated_and_the_order_rejected(
    backend: RunningBackend,
) -> None:
    order_id = str(uuid.uuid4())
    await publish(backend, order_created(order_id))
    sent = await eventually(lambda: commands(backend, CUSTOMERS, order_id), lambda c: len(c) >= 2)
    assert {c.id for c in sent} == {sent[0].id}, "a re-sent command is the same message"
    assert sent[0].metadata["COMMAND_SAGA_STEP"] == "1"
    assert sent[0].metadata["COMMAND_SAGA_COMMAND_ID"] == sent[0].id

    reject = await eventually(lambda: commands(backend, ORDERING, order_id), bool)
    assert reject[0].name == "ordersapi.RejectOrder"
    state = await saga(backend, order_id)
    assert state["compensating"] and not state["done"]
    first = state["history"][0]
    assert (first["command"], first["outcome"]) == ("customersapi.AuthorizeCustomer", "FAILURE")
    assert first["error"] == "no reply within 2 s"
    assert first["sends"] >= 2

    late = reply_to(sent[0], Success(), OUTCOME_SUCCESS)  # the participant wakes up, too late
    await handled(backend, REPLY_TOPIC, await publish(backend, late))
    assert steps(await saga(backend, order_id))[-1] == (
        0, "compensation", "ordersapi.RejectOrder", "PENDING"
    )  # fmt: skip

    await answer(backend, reject[0])
    done = await finished(backend, order_id)
    assert steps(done) == [
        (1, "forward", "customersapi.AuthorizeCustomer", "FAILURE"),
        (0, "compensation", "ordersapi.RejectOrder", "SUCCESS"),
    ]


async def test_a_reply_that_came_in_time_but_waits_unread_is_no_silence(
    servers: Servers,
) -> None:
    """After an outage of cosec, replies that came before a step's deadline wait in the stream:
    its timer must not give the step up on them. Here the reply is held pending by a stalled
    consumer of cosec's group (as a crashed process leaves it) past the deadline; the timer
    keeps re-sending, and once the reply is read the saga goes on, uncompensated."""
    async with running_backend(
        servers.database_url,
        servers.redis_url,
        [cosec],
        **SHORT_TIMEOUTS,
        claim_idle_seconds=3600,  # the stalled consumer's entry stays its own
    ) as backend:
        redis = backend.host.redis
        order_id = str(uuid.uuid4())
        await publish(backend, order_created(order_id))
        (authorize,) = (await eventually(lambda: commands(backend, CUSTOMERS, order_id), bool))[:1]
        reply = reply_to(authorize, Success(), OUTCOME_SUCCESS)
        async with redis.pipeline(transaction=True) as both:  # the blocked consumer comes after
            both.xadd(REPLY_TOPIC, {ENVELOPE_FIELD: reply.to_json()})
            both.xreadgroup("cosec", "stalled", {REPLY_TOPIC: ">"}, count=100)
            added, claimed = await both.execute()
        entry = added.decode()
        assert [e.decode() for _, entries in claimed for e, _ in entries] == [entry]
        # Past the deadline (1.5 s), the command is still only re-sent.
        sent = await eventually(
            lambda: commands(backend, CUSTOMERS, order_id), lambda c: len(c) >= 6, timeout=20
        )
        state = await saga(backend, order_id)
        assert not state["compensating"] and state["step"] == 1
        assert await commands(backend, ORDERING, order_id) == []
        assert {c.id for c in sent} == {authorize.id}  # the same command, 0.4 s apart
        # The reply is read at last (the stalled consumer's entry given back, the reply again).
        await redis.xack(REPLY_TOPIC, "cosec", entry)
        await handled(backend, REPLY_TOPIC, await publish(backend, reply))
        moved = await eventually(lambda: saga(backend, order_id), lambda s: s["step"] == 2)
    assert not moved["compensating"]
    assert steps(moved)[0] == (1, "forward", "customersapi.AuthorizeCustomer", "SUCCESS")


async def test_a_cleanly_stopped_process_leaves_no_consumer_behind(servers: Servers) -> None:
    """Each process start names a consumer of its own; one that stops cleanly, with nothing
    pending, deletes it (else the names of gone processes pile up in every group)."""
    async with running_backend(servers.database_url, servers.redis_url, [cosec]) as backend:
        consumer = backend.host.consumers["cosec"]
        order_id = str(uuid.uuid4())
        topic = order_created(order_id).subject
        await handled(backend, topic, await publish(backend, order_created(order_id)))
        redis = backend.host.redis
        names = [c["name"].decode() for c in await redis.xinfo_consumers(topic, "cosec")]
        assert consumer.name in names
    client = aioredis.from_url(servers.redis_url)
    try:
        left = [c["name"].decode() for c in await client.xinfo_consumers(topic, "cosec")]
    finally:
        await client.aclose()
    assert consumer.name not in left


async def test_sagas_list_stuck_shows_what_each_waits_on_past_the_timeout(
    servers: Servers,
) -> None:
    async with running_backend(
        servers.database_url, servers.redis_url, [cosec], saga_resend_seconds=3600
    ) as backend:  # its own timer stays quiet
        await list_stuck(backend)


async def list_stuck(backend: RunningBackend) -> None:
    silent, answered = str(uuid.uuid4()), str(uuid.uuid4())
    await publish(backend, order_created(silent))
    await publish(backend, order_created(answered))
    for order_id in (silent, answered):
        await eventually(lambda o=order_id: commands(backend, CUSTOMERS, o), bool)  # type: ignore[misc]
    (authorize,) = (await commands(backend, CUSTOMERS, answered))[:1]
    await answer(backend, authorize)
    await eventually(lambda: saga(backend, answered), lambda s: s["step"] == 2)

    env = {**os.environ, "DATABASE_URL": backend.database_url, "MALLBOTS_SAGA_RESEND_SECONDS": "0"}

    def listing() -> str:
        return subprocess.run(
            [sys.executable, "-m", "backend.cli", "sagas", "list", "--stuck"],
            env=env, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip

    out = listing()
    assert f"{silent}  step=1  forward customersapi.AuthorizeCustomer" in out
    assert f"{answered}  step=2  forward depotapi.CreateShoppingListCommand" in out
    env["MALLBOTS_SAGA_RESEND_SECONDS"] = "3600"
    assert listing().endswith("0 stuck saga(s)\n")
