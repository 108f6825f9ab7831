"""Running the create-order saga: start it on OrderCreated, advance it on each reply, and wake
it when a participant is silent (``platform.saga_runner`` does the work)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

from backend.cosec import messages
from backend.cosec.domain import CREATE_ORDER, CreateOrderData
from backend.ordering.messages import OrderCreated
from backend.platform.auth import current_principal
from backend.platform.errors import NotFound
from backend.platform.messages import Message, decode_payload
from backend.platform.module import ModuleContext
from backend.platform.saga_runner import SagaRunner
from backend.platform.streams import handled_until
from backend.platform.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


class CosecService:
    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        definition = dataclasses.replace(
            CREATE_ORDER,
            resend_after=dt.timedelta(seconds=ctx.settings.saga_resend_seconds),
            deadline=dt.timedelta(seconds=ctx.settings.saga_deadline_seconds),
        )
        self.runner = SagaRunner(
            definition, CreateOrderData, ctx.store.table("sagas"), messages.contract
        )

    async def start_create_order(self, uow: UnitOfWork, message: Message) -> None:
        """Start the saga of a new order; a repeated OrderCreated for the same order is ignored."""
        order: OrderCreated = decode_payload(message, OrderCreated)
        if not await self.runner.start(uow, order.id, CreateOrderData.from_order(order), message):
            log.info("saga %s %s already started; OrderCreated %s ignored",
                     CREATE_ORDER.name, order.id, message.id)  # fmt: skip

    async def handle_reply(self, uow: UnitOfWork, message: Message) -> None:
        await self.runner.handle_reply(uow, message)

    async def watch(self) -> None:
        """The saga timer (a background job): re-send or compensate silent steps, deciding a
        deadline only on replies this module's consumer has read."""

        async def replies_handled_until() -> dt.datetime:
            return await handled_until(self.ctx.redis, CREATE_ORDER.reply_channel, self.ctx.name)

        await self.runner.watch(
            self.ctx.unit_of_work,
            self.ctx.pool.connection,
            self.ctx.settings.saga_timer_seconds,
            replies_handled_until,
        )

    async def stuck(self) -> list[str]:
        async with self.ctx.pool.connection() as conn:
            return await self.runner.stuck(conn)

    async def get_saga(self, saga_id: str) -> dict[str, Any]:
        async with self.ctx.pool.connection() as conn:
            saga = await self.runner.get(conn, saga_id)
        owner = (saga or {}).get("data", {}).get("customer_id")
        if saga is None or not current_principal().is_customer(owner):
            raise NotFound(f"saga with id: `{saga_id}` does not exist")
        return saga
