"""The GraphQL gateway's cases, on one backend process and one gateway process:

- :mod:`tests.bench.mutation`: ``addBasketItem`` latency and throughput vs a no-op mutation, and
  with rate limiting on vs off (on a stack of its own);
- :mod:`tests.bench.checkout`: checkout → APPROVED at an ``orderUpdated`` subscriber vs the
  book's polled outboxes;
- :mod:`tests.bench.subscribers`: change → 1/100/1,000 subscribers vs Redis XADD → XREAD, and
  the gateway's memory per idle subscriber.
"""

from __future__ import annotations

from tests.bench.checkout import checkout_rows
from tests.bench.mutation import mutation_rows, rate_limit_rows
from tests.bench.report import Row
from tests.bench.stack import mall_stack
from tests.bench.subscribers import subscriber_rows


async def gateway_rows(database_url: str, redis_url: str, smoke: bool) -> list[Row]:
    async with mall_stack(database_url, redis_url) as stack:
        rows = await mutation_rows(stack, smoke)
        rows += await checkout_rows(stack, smoke)
        rows += await subscriber_rows(stack, smoke)
    async with mall_stack(database_url, redis_url) as stack:
        rows += await rate_limit_rows(stack, smoke)
    return rows
