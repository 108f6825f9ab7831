"""``make test-services``: the fault suite once more, on the machine's own PostgreSQL and Redis
(15 and 7 here: what users deploy on RDS and ElastiCache), when they answer.

``python -m tests.faults.services DATABASE_URL REDIS_URL``: the tests that stop no server run on
a fresh database of that server and on that Redis database (flushed: give one you can throw
away); those that stop one still start their own.
"""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg
import redis


def reachable(database_url: str, redis_url: str) -> str:
    """Why the servers cannot be used ("" when they can)."""
    try:
        psycopg.connect(database_url, connect_timeout=3).close()
    except psycopg.Error as exc:
        return f"PostgreSQL at {database_url}: {exc}"
    try:
        redis.Redis.from_url(redis_url, socket_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis at {redis_url}: {exc}"
    return ""


def main(database_url: str, redis_url: str) -> int:
    if problem := reachable(database_url, redis_url):
        print(f"test-services: not run, the servers do not answer ({problem})")
        return 0
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
    command = [sys.executable, "-m", "pytest", "tests/faults", "-q"]
    return subprocess.run(command, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
