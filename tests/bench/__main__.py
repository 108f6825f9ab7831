"""`make bench`: every benchmark case with its anchor, on embedded servers (or the given URLs).

``python -m tests.bench [--smoke]``: --smoke runs each case at a tiny size (used by the test
suite so the benchmarks never rot) and writes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

from backend.platform.embedded import embedded_servers, remove_tree
from tests.bench.aggregate import load_rows
from tests.bench.eventstore import append_rows
from tests.bench.gateway import gateway_rows
from tests.bench.latency import latency_rows
from tests.bench.projection import rebuild_rows
from tests.bench.report import Row, table, write_markdown

NOTES = """## Notes

- Event-store append: one prepared statement per command inserts the events, moves the stream
  version and writes the outbox row (autocommit, one round trip). The raw anchor writes the same
  rows with plain INSERTs in an explicit transaction; the library anchor is `eventsourcing`'s
  PostgreSQL recorder, whose table lock serialises writers.
- Commit → handler: the relay is woken in-process right after the commit and publishes with
  pipelined XADD; the consumer blocks on XREADGROUP. The book's relay polls every 500 ms.
- Gateway cases: the backend (every module) and the gateway each run in a process of their own,
  started as in production (`python -m backend.cli backend|gateway`: uvloop, default settings),
  on a fresh database; the benchmark process is only the client. All of them, PostgreSQL and
  Redis share the machine's cores, so client CPU counts against the servers (the clients are
  lean for that reason: raw keep-alive HTTP/1.1, and WebSockets on the `websockets` package's
  sans-I/O protocol, about 20 µs of client CPU per received frame).
- Mutation: each client is one keep-alive connection sending its next `addBasketItem` (its own
  basket, cycling through 10 products) as soon as the last is answered; 1 s of warm-up, then 5 s
  measured. The anchor is a Strawberry schema whose one mutation returns a constant, served the
  same way (Starlette route, uvicorn, uvloop, the same HTTP implementation), driven by the same
  client at the same concurrency: the framework's ceiling.
- Checkout → APPROVED: one order at a time, from `checkoutBasket`'s HTTP response to the APPROVED
  payload of an `orderUpdated` subscription (graphql-transport-ws). The order is created
  asynchronously, so the client follows `customerOrdersUpdated` and on the order's first update
  subscribes to `orderUpdated` with the cursor before it as `after` (what it missed is replayed).
  Book floor: from checkout to APPROVED at a subscriber the change crosses 12 outboxes (baskets'
  BasketCheckedOut; ordering's OrderCreated; the saga's 5 commands AuthorizeCustomer,
  CreateShoppingList, ConfirmPayment, InitiateShopping, ApproveOrder; the 4 replies before
  ApproveOrder; ordering's APPROVED projection update). Polled every 500 ms, each hop waits
  U(0, 500 ms), so with no processing time at all the total is 500 ms × IrwinHall(12): mean and
  p50 12 × 250 = 3,000 ms, p99 ≈ 4,150 ms (exact CDF).
- Change → subscriber: every subscriber (one connection each) follows the same basket; a change
  is an `addItem` through the backend's HTTP API, and its commit time is the moment that HTTP
  response returns (the unit of work has committed by then; a GraphQL mutation returns later,
  after re-reading the basket). One change at a time, the next once every subscriber has it;
  frames are timestamped on arrival, before parsing. Memory is the gateway process's RSS growth
  while it opens the subscribers from 100 to 1,000 (first payload received, then idle) per
  subscriber opened. The anchor is a bare XADD → blocked XREAD on the same Redis.
"""


async def run(database_url: str, redis_url: str, smoke: bool) -> list[Row]:
    rows = await append_rows(database_url, smoke)
    rows += await latency_rows(database_url, redis_url, smoke)
    rows += await rebuild_rows(database_url, redis_url, smoke)
    rows += await load_rows(database_url, redis_url, smoke)
    rows += await gateway_rows(database_url, redis_url, smoke)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, no report file")
    args = parser.parse_args()
    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if database_url and redis_url:
        rows = asyncio.run(run(database_url, redis_url, args.smoke))
    else:
        root = Path(tempfile.mkdtemp(prefix="mallbots-bench-"))
        try:
            with embedded_servers(root, durable=True) as (db, rd):
                rows = asyncio.run(run(db, rd, args.smoke))
        finally:
            remove_tree(root)
    print(table(rows))
    if not args.smoke:
        write_markdown(Path("docs/benchmarks.md"), rows, NOTES)
        print("\nwritten to docs/benchmarks.md")


if __name__ == "__main__":
    main()
