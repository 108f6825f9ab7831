"""Faults of a real deployment during concurrent checkouts: PostgreSQL down for longer than the
pool timeout, Redis down, the backend SIGKILLed again and again, one module's process gone for
20 s. Every order must end approved or rejected with consistent side effects, and nothing may be
left in a dead-letter queue.

Each test runs its own servers and processes (``stack.py``) and stops them; the delays are short
(``FAST``) so that the suite stays within a few minutes.
"""

from __future__ import annotations

import asyncio
import signal
import time

from backend.ordering.domain import order_id_for_basket
from tests.faults.stack import all_settled, assert_consistent, checkouts, client, fault_stack

CHECKOUTS = 8


async def test_postgres_down_longer_than_the_pool_timeout_strands_no_saga() -> None:
    async with fault_stack() as stack, client() as http:
        mall = stack.mall(http)
        orders = await checkouts(mall, CHECKOUTS)
        assert stack.postgres is not None
        stack.postgres.stop()  # the sagas are in flight; the pool times out after 10 s
        await asyncio.sleep(13)
        stack.postgres.restart()
        found = await all_settled(mall, orders)
        assert set(found.values()) == {"approved"}
        await assert_consistent(stack, found)


async def test_redis_down_during_checkouts_loses_nothing() -> None:
    async with fault_stack() as stack, client() as http:
        mall = stack.mall(http)
        orders = await checkouts(mall, CHECKOUTS)
        assert stack.redis is not None
        stack.redis.stop()  # outboxes fill up; consumers and relays retry
        await asyncio.sleep(4)
        stack.redis.restart()
        found = await all_settled(mall, orders)
        assert set(found.values()) == {"approved"}
        await assert_consistent(stack, found)


async def test_the_backend_sigkilled_again_and_again_ends_every_order() -> None:
    async with fault_stack(own_servers=False) as stack, client() as http:
        mall = stack.mall(http)
        orders = await checkouts(mall, CHECKOUTS)
        for _ in range(4):
            await asyncio.sleep(0.7)
            stack.kill("all", signal.SIGKILL)
            stack.start("all")
        found = await all_settled(mall, orders)
        assert set(found.values()) == {"approved"}
        await assert_consistent(stack, found)


async def test_one_module_stopped_for_20_s_in_per_module_mode() -> None:
    """The stores module is gone while the depot needs it (its caches were emptied): the depot's
    CreateShoppingList is retried for as long as the outage lasts, never dead-lettered."""
    async with fault_stack(per_module=True, own_servers=False) as stack, client() as http:
        mall = stack.mall(http)
        stopped_at = 0.0

        async def outage() -> None:
            nonlocal stopped_at
            await stack.sql("DELETE FROM depot.stores_cache")
            await stack.sql("DELETE FROM depot.products_cache")
            stack.kill("stores", signal.SIGTERM)
            stopped_at = time.monotonic()
            await asyncio.sleep(20)
            stack.start("stores")

        _, product_id = await mall.store_with_product()
        customers = [await mall.customer(f"Buyer #{n}") for n in range(CHECKOUTS)]
        baskets = [await mall.basket(c, product_id, 1) for c in customers]
        payments = [await mall.payment(c, "49.99") for c in customers]
        down = asyncio.create_task(outage())
        await asyncio.sleep(0.5)
        for basket_id, payment_id in zip(baskets, payments, strict=True):
            await mall.checkout(basket_id, payment_id)
        orders = [order_id_for_basket(b) for b in baskets]
        await down
        found = await all_settled(mall, orders)
        assert stopped_at and set(found.values()) == {"approved"}
        await assert_consistent(stack, found)
