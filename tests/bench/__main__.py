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
"""


async def run(database_url: str, redis_url: str, smoke: bool) -> list[Row]:
    rows = await append_rows(database_url, smoke)
    rows += await latency_rows(database_url, redis_url, smoke)
    rows += await rebuild_rows(database_url, redis_url, smoke)
    rows += await load_rows(database_url, redis_url, smoke)
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
