"""A participant that never answers (the customers module's consumer is stopped): the saga sends
its command again, and past the step's deadline compensates, so the order is rejected instead of
staying pending for ever."""

from __future__ import annotations

import asyncio
import contextlib

from backend.modules import select_modules
from tests.conftest import Servers
from tests.support.backend import running_backend
from tests.support.mall import Mall


async def test_an_order_whose_participant_is_silent_is_rejected_past_the_deadline(
    servers: Servers,
) -> None:
    async with running_backend(
        servers.database_url,
        servers.redis_url,
        select_modules(["all"]),
        saga_resend_seconds=0.5,
        saga_deadline_seconds=2,
        saga_timer_seconds=0.2,
    ) as backend:
        mall = Mall(backend.http, lambda module: backend.url)
        _, product_id = await mall.store_with_product()
        customer_id = await mall.customer("Silent")
        basket_id = await mall.basket(customer_id, product_id, 1)
        payment_id = await mall.payment(customer_id, "99.98")
        (silenced,) = [t for t in backend.host._tasks if t.get_name() == "customers consumer"]
        silenced.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await silenced
        await mall.checkout(basket_id, payment_id)
        order = await mall.the_order_of(customer_id, "rejected")
        saga = await mall.saga_done(order["id"])
    first = saga["history"][0]
    assert (first["command"], first["outcome"], first["error"]) == (
        "customersapi.AuthorizeCustomer", "FAILURE", "no reply within 2 s"
    )  # fmt: skip
    assert first["sends"] >= 2, "sent again before the deadline"
    assert order["rejection_reason"] == (
        "customersapi.AuthorizeCustomer failed: no reply within 2 s"
    ), "the order says why it was rejected"
    assert [h["command"] for h in saga["history"]] == [
        "customersapi.AuthorizeCustomer", "ordersapi.RejectOrder"
    ]  # fmt: skip
