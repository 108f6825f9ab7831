"""The happy path again with every module in its own process, talking only through Redis and
HTTP (MALLBOTS_SERVICE_URLS), as one Deployment per module runs on Kubernetes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
import redis

from backend.modules import MODULE_NAMES
from backend.platform.embedded import free_port
from tests.conftest import Servers
from tests.e2e.test_flows import happy_path
from tests.support.auth import INTERNAL_TOKEN, backend_headers
from tests.support.backend import drop_database, fresh_database
from tests.support.mall import Mall


@pytest.fixture(scope="module")
async def urls(servers: Servers) -> Iterator[dict[str, str]]:
    database_url = await fresh_database(servers.database_url)
    redis.Redis.from_url(servers.redis_url).flushdb()
    ports = {name: free_port() for name in MODULE_NAMES}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": servers.redis_url,
        "MALLBOTS_SERVICE_URLS": ",".join(f"{n}={u}" for n, u in urls.items()),
        "MALLBOTS_RETRY_BASE_SECONDS": "0.05",
        "MALLBOTS_RELAY_POLL_SECONDS": "0.1",
        "MALLBOTS_PROJECTION_POLL_SECONDS": "0.1",
        "MALLBOTS_DB_POOL_SIZE": "3",
        "MALLBOTS_INTERNAL_TOKEN": INTERNAL_TOKEN,
    }
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "backend.cli",
                "backend",
                "--modules",
                name,
                "--port",
                str(port),
            ],
            env=env,
        )
        for name, port in ports.items()
    ]
    try:
        deadline = time.monotonic() + 90
        for url in urls.values():
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert all(p.poll() is None for p in processes), "a module process died"
                assert time.monotonic() < deadline, f"{url} did not start"
                time.sleep(0.1)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        await drop_database(database_url)


async def test_the_whole_mall_flow_with_one_process_per_module(urls: dict[str, str]) -> None:
    for name, url in urls.items():
        health = httpx.get(f"{url}/healthz").json()
        assert health["modules"] == [name]
    async with httpx.AsyncClient(timeout=10, headers=backend_headers()) as http:
        await happy_path(Mall(http, lambda module: urls[module]))
