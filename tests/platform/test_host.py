"""The processes as users start them: `mallbots backend` and `mallbots dev` (make run)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

from backend.platform.embedded import free_port, remove_tree
from tests.conftest import Servers
from tests.support.auth import INTERNAL_TOKEN


def wait_for_http(url: str, process: subprocess.Popen[str], timeout: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, f"the process exited with {process.returncode}"
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def wait_for_seed(
    url: str, process: subprocess.Popen[str], headers: dict[str, str]
) -> list[dict[str, object]]:
    deadline = time.monotonic() + 60
    while True:
        stores: list[dict[str, object]] = httpx.get(url, headers=headers).json()["stores"]
        if stores or time.monotonic() > deadline:
            return stores
        assert process.poll() is None
        time.sleep(0.1)


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent to reap it has stopped)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_backend_serves_health_and_readiness(servers: Servers) -> None:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": servers.database_url,
        "REDIS_URL": servers.redis_url,
        "MALLBOTS_BACKEND_PORT": str(port),
        "MALLBOTS_INTERNAL_TOKEN": INTERNAL_TOKEN,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "backend", "--modules", "stores"],
        env=env,
        text=True,
    )
    try:
        health = wait_for_http(f"http://127.0.0.1:{port}/healthz", process)
        assert health.json() == {"status": "ok", "modules": ["stores"]}
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ok", "postgres": "ok", "redis": "ok"}
    finally:
        process.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal: exit status -SIGTERM
        assert process.wait(timeout=20) == -signal.SIGTERM


def test_readiness_reports_an_unreachable_redis(servers: Servers) -> None:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": servers.database_url,
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "MALLBOTS_BACKEND_PORT": str(port),
        "MALLBOTS_INTERNAL_TOKEN": INTERNAL_TOKEN,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "backend", "--modules", "stores"], env=env, text=True
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", process)
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz")
        assert ready.status_code == 503
        assert ready.json()["postgres"] == "ok"
        assert ready.json()["redis"].startswith("unavailable")
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_unknown_module_is_a_clear_error(servers: Servers) -> None:
    env = {**os.environ, "DATABASE_URL": servers.database_url, "REDIS_URL": servers.redis_url,
           "MALLBOTS_INTERNAL_TOKEN": INTERNAL_TOKEN}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "backend.cli", "backend", "--modules", "stores,shoes"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "unknown module(s): shoes" in result.stderr


def test_dev_runs_on_embedded_servers_keeps_data_and_leaves_no_orphans() -> None:
    data = Path(tempfile.mkdtemp(prefix="mallbots-dev-"))
    port, gateway_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {
        "MALLBOTS_DATA_DIR": str(data),
        "MALLBOTS_BACKEND_PORT": str(port),
        "MALLBOTS_GATEWAY_PORT": str(gateway_port),
    }
    base = f"http://127.0.0.1:{port}"
    try:
        first = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "dev"], env=env, text=True,
            stdout=subprocess.PIPE,
        )  # fmt: skip
        assert wait_for_http(f"{base}/healthz", first).status_code == 200
        # generated, for their owner only (servers.json: the URLs carry the servers' passwords)
        for secret in ("internal-token", "jwt-secret", "servers.json", "postgres/password"):
            assert (data / secret).stat().st_mode & 0o777 == 0o600
        servers = json.loads((data / "servers.json").read_text())
        assert f":{(data / 'postgres/password').read_text()}@" in servers["database_url"]
        assert f":{(data / 'redis/password').read_text()}@" in servers["redis_url"]
        service = {"authorization": f"Bearer {(data / 'internal-token').read_text()}"}
        seeded = wait_for_seed(f"{base}/api/stores", first, service)
        assert [s["name"] for s in seeded] == ["Waldorf Books"]
        graphql = f"http://127.0.0.1:{gateway_port}/graphql"
        wait_for_http(f"http://127.0.0.1:{gateway_port}/healthz", first)
        answer = httpx.post(graphql, json={"query": "{ stores { name } }"})
        assert answer.json() == {"data": {"stores": [{"name": "Waldorf Books"}]}}
        created = httpx.post(
            f"{base}/api/stores", json={"name": "Kept", "location": "L2"}, headers=service
        )
        assert created.status_code == 201
        store_id = created.json()["id"]

        def backend_child() -> psutil.Process:
            (child,) = [
                c for c in psutil.Process(first.pid).children() if "backend" in c.cmdline()[-1:]
            ]
            return child

        crashed = backend_child()
        crashed.kill()  # mallbots dev names it and starts it again
        crashed.wait(10)
        assert wait_for_http(f"{base}/healthz", first).status_code == 200
        assert backend_child().pid != crashed.pid
        assert first.poll() is None
        postgres_pid = int((data / "postgres/data/postmaster.pid").read_text().split()[0])
        redis_pid = int((data / "redis/redis.pid").read_text())
        first.send_signal(signal.SIGINT)
        output, _ = first.communicate(timeout=60)
        assert first.returncode == 0
        assert f"{base}/healthz" in output
        assert graphql in output
        assert "Admin token: ey" in output and "Demo customer token (Buyer #1): ey" in output
        assert not alive(postgres_pid) and not alive(redis_pid), "no orphan servers"
        assert not (data / "servers.json").exists()

        second = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "dev"], env=env, text=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_for_http(f"{base}/healthz", second)
            kept = httpx.get(f"{base}/api/stores/{store_id}", headers=service)
            assert kept.status_code == 200 and kept.json()["store"]["name"] == "Kept"
            time.sleep(1)  # give a second seeding (which must write nothing) time to run
            stores = httpx.get(f"{base}/api/stores", headers=service).json()["stores"]
            names = sorted(s["name"] for s in stores)
            assert names == ["Kept", "Waldorf Books"]
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=60) == 0
    finally:
        remove_tree(data)
