"""The deployed shape for the gateway benchmarks: the backend (every module) and the gateway each
in a process of its own, started as in production (``python -m backend.cli backend|gateway``,
uvloop, default settings), on a fresh database. The benchmark process is only the client."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import redis.asyncio as aioredis

from backend.platform.embedded import free_port
from tests.support.auth import INTERNAL_TOKEN, JWT_SECRET, backend_headers
from tests.support.backend import drop_database, fresh_database
from tests.support.mall import Mall

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    url: str

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/graphql"


@contextlib.asynccontextmanager
async def server_process(
    args: Sequence[str], env: dict[str, str], port: int, *, timeout: float = 90.0
) -> AsyncIterator[ServerProcess]:
    """Run ``python <args>`` serving on ``port`` until it answers ``/healthz``; stop it after."""
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env={**os.environ, "MALLBOTS_LOG_LEVEL": "WARNING", **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            await _healthy(process, f"python {' '.join(args)}", url, timeout, log)
            yield ServerProcess(process, url)
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    await asyncio.to_thread(process.wait, 15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    await asyncio.to_thread(process.wait)


async def _healthy(
    process: subprocess.Popen[bytes], what: str, url: str, timeout: float, log: IO[bytes]
) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if (await http.get(f"{url}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    log.seek(0)
    output = log.read()[-3000:].decode(errors="replace")
    raise RuntimeError(f"{what} did not start on {url}:\n{output}")


@dataclass
class MallStack:
    backend: ServerProcess
    gateway: ServerProcess
    mall: Mall
    """The backend's HTTP API, for setting up what a benchmark needs."""
    redis_url: str


@contextlib.asynccontextmanager
async def gateway_process(
    backend_url: str, redis_url: str, env: Mapping[str, str] | None = None
) -> AsyncIterator[ServerProcess]:
    """A gateway process in front of ``backend_url``, with ``env`` added to its environment."""
    port = free_port()
    gateway_env = {
        "MALLBOTS_BACKEND_URL": backend_url,
        "REDIS_URL": redis_url,
        "MALLBOTS_GATEWAY_PORT": str(port),
        "MALLBOTS_INTERNAL_TOKEN": INTERNAL_TOKEN,
        "MALLBOTS_JWT_SECRET": JWT_SECRET,
        # rate limiting on (its cost is measured), with limits the benchmarks never hit
        **{
            f"MALLBOTS_RATE_LIMIT_{who}_{what}": "1000000"
            for who in ("IP", "PRINCIPAL")
            for what in ("PER_SECOND", "BURST")
        },
        **(env or {}),
    }
    args = ["-m", "backend.cli", "gateway", "--port", str(port)]
    async with server_process(args, gateway_env, port) as gateway:
        yield gateway


@contextlib.asynccontextmanager
async def mall_stack(
    database_server_url: str, redis_url: str, env: Mapping[str, str] | None = None
) -> AsyncIterator[MallStack]:
    """Backend and gateway processes on a fresh database and a flushed Redis database (as
    ``tests.support.backend.running_backend`` does: old streams would feed the new consumers),
    with ``env`` added to both processes' environment."""
    database_url = await fresh_database(database_server_url)
    flush = aioredis.from_url(redis_url)
    await flush.flushdb()
    await flush.aclose()
    backend_port = free_port()
    backend_env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "MALLBOTS_MODULES": "all",
        "MALLBOTS_BACKEND_PORT": str(backend_port),  # also the address modules call each other at
        "MALLBOTS_INTERNAL_TOKEN": INTERNAL_TOKEN,
        **(env or {}),
    }
    try:
        backend_args = ["-m", "backend.cli", "backend"]
        async with (
            server_process(backend_args, backend_env, backend_port) as backend,
            gateway_process(backend.url, redis_url, env) as gateway,
            httpx.AsyncClient(timeout=30, headers=backend_headers()) as http,
        ):
            yield MallStack(backend, gateway, Mall(http, lambda _: backend.url), redis_url)
    finally:
        await drop_database(database_url)
