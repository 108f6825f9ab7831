"""A tiny module used to test the platform: an event-sourced counter, a consumer, a projection."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.platform.aggregate import Aggregate, DomainEvent, Repository
from backend.platform.consumer import Subscription
from backend.platform.errors import BadRequest
from backend.platform.eventstore import RecordedEvent
from backend.platform.http import JSONResponse
from backend.platform.messages import Contract, Message, Payload, decode_payload, new_message
from backend.platform.module import Module, ModuleContext, ModuleParts
from backend.platform.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Incremented(DomainEvent):
    event_type = "counter.Incremented"
    by: int


class Counter(Aggregate):
    stream_type = "counter.Counter"

    def __init__(self, id: str) -> None:
        super().__init__(id)
        self.total = 0

    def increment(self, by: int) -> None:
        if by < 1:
            raise BadRequest("the increment must be positive")
        self.record(Incremented(by))

    def apply(self, event: DomainEvent) -> None:
        match event:
            case Incremented(by=by):
                self.total += by

    def restore(self, state: dict[str, Any]) -> None:
        self.total = state["total"]


@dataclass(frozen=True)
class CounterIncremented(Payload):
    message_name = "counter.CounterIncremented"
    counter_id: str
    total: int


def topic_of(schema: str) -> str:
    return f"test.{schema}.events"


def contract(schema: str) -> Contract:
    c = Contract(schema)
    c.register(topic_of(schema), "event", CounterIncremented)
    return c


def repository(ctx: ModuleContext) -> Repository[Counter]:
    return Repository(ctx.store, Counter, [Incremented], snapshot_every=ctx.settings.snapshot_every)


async def increment(ctx: ModuleContext, counter_id: str, by: int = 1) -> int:
    repo = repository(ctx)

    async def command(uow: UnitOfWork) -> int:
        counter = await repo.load(uow, counter_id) or Counter(counter_id)
        counter.increment(by)
        repo.save(uow, counter)
        uow.publish(new_message(topic_of(ctx.name), CounterIncremented(counter_id, counter.total)))
        return counter.total

    return await ctx.run_command(command)


async def record_effect(uow: UnitOfWork, message: Message) -> None:
    """The consumer's effect; MALLBOTS_TEST_FAIL_COUNTER makes it fail for that counter."""
    payload = decode_payload(message, CounterIncremented)
    if os.environ.get("MALLBOTS_TEST_FAIL_COUNTER") == payload.counter_id:
        raise RuntimeError(f"handler refused counter {payload.counter_id}")
    await uow.execute(
        f"INSERT INTO {uow.store.table('effects')} (message_id, counter_id, total)"
        " VALUES (%s, %s, %s)",
        (message.id, payload.counter_id, payload.total),
    )


class Totals:
    name = "totals"

    async def handle(self, uow: UnitOfWork, event: RecordedEvent) -> None:
        await uow.execute(
            f"INSERT INTO {uow.store.table('totals')} AS t (counter_id, total, events)"
            " VALUES (%s, %s, 1) ON CONFLICT (counter_id) DO UPDATE"
            " SET total = t.total + EXCLUDED.total, events = t.events + 1",
            (event.stream_id, event.payload["by"]),
        )

    async def reset(self, uow: UnitOfWork) -> None:
        await uow.execute(f"DELETE FROM {uow.store.table('totals')}")


def counter_module(schema: str, *, consume: bool = True, project: bool = True) -> Module:
    def build(ctx: ModuleContext) -> ModuleParts:
        async def post_increment(request: Request) -> Response:
            total = await increment(ctx, request.path_params["id"])
            return JSONResponse({"total": total})

        subs = [
            Subscription(
                topic_of(schema),
                frozenset({CounterIncremented.message_name}),
                {CounterIncremented.message_name: record_effect},
            )
        ]
        return ModuleParts(
            routes=[Route("/counters/{id}/increment", post_increment, methods=["POST"])],
            subscriptions=subs if consume else [],
            projections=[Totals()] if project else [],
        )

    return Module(
        name=schema,
        build=build,
        migrations=Path(__file__).parent / "counter_migrations",
        contract=contract(schema),
    )


def modules_from_env() -> list[Module]:
    """For ``MALLBOTS_EXTRA_MODULES=tests.support.counter:modules_from_env`` in CLI tests."""
    return [counter_module(os.environ["MALLBOTS_TEST_COUNTER_SCHEMA"])]
