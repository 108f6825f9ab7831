"""The provider side: every module served by one real backend, states set up over HTTP, and
Pact's verifier replaying the committed pacts against it.

The verifier is blocking and calls back into Python from its own threads (state changes,
messages to produce); the backend runs on the test's event loop. So the verifier runs in a worker
thread and the callbacks hand their work to the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from pact import Verifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from backend.modules import all_modules
from backend.platform.embedded import free_port
from tests.contract.broker import add_sources
from tests.contract.pactfiles import plain_output
from tests.contract.provider_states import STATES
from tests.support.backend import RunningBackend, running_backend
from tests.support.mall import Mall

INTERNAL_TOKEN = "contract-tests-internal-token"
"""The service credential of the backend under verification (a test value, not a secret)."""


@dataclass
class Provider:
    backend: RunningBackend
    mall: Mall
    state_url: str = ""
    since_ms: int = 0
    """When the last state set-up began: the messages to verify were published after it."""


@contextlib.asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Serve an ASGI app on a free port of 127.0.0.1; its URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


def state_app(provider: Provider) -> Starlette:
    """Pact's state-change endpoint: sets a state up and answers the ids to inject."""

    async def change(request: Request) -> JSONResponse:
        body = await request.json()
        if body.get("action", "setup") != "setup":
            return JSONResponse({})
        state = STATES.get(body["state"])
        if state is None:
            return JSONResponse({"error": f"unknown provider state {body['state']!r}"}, 400)
        provider.since_ms = int(time.time() * 1000)
        return JSONResponse(await state(provider.mall))

    return Starlette(routes=[Route("/_pact/state", change, methods=["POST"])])


@contextlib.asynccontextmanager
async def provider(database_url: str, redis_url: str) -> AsyncIterator[Provider]:
    modules = list(all_modules().values())
    async with running_backend(
        database_url, redis_url, modules, internal_token=INTERNAL_TOKEN
    ) as backend:
        headers = {"authorization": f"Bearer {INTERNAL_TOKEN}"}
        async with httpx.AsyncClient(timeout=10, headers=headers) as http:
            running = Provider(backend, Mall(http, lambda module: backend.url))
            async with serve(state_app(running)) as url:
                running.state_url = f"{url}/_pact/state"
                yield running


def verifier(name: str, provider: Provider, pacts: list[Path], url: str | None = None) -> Verifier:
    """A verifier of ``pacts`` against the backend (or whatever serves ``url`` in front of it)."""
    checked = (
        Verifier(name, host="127.0.0.1")
        .add_transport(url=url or provider.backend.url)
        .state_handler(provider.state_url, teardown=False, body=True)
        .add_custom_header("Authorization", f"Bearer {INTERNAL_TOKEN}")
        .set_coloured_output(enabled=False)
    )
    return add_sources(checked, pacts)


async def verify(checked: Verifier) -> str:
    """Run the verifier off the event loop; its report, or a failure showing the report."""
    try:
        await asyncio.to_thread(checked.verify)
    except RuntimeError:
        raise AssertionError(
            "pact verification failed:\n" + plain_output(checked.output(strip_ansi=True))
        ) from None
    return plain_output(checked.output(strip_ansi=True))


def on_loop(loop: asyncio.AbstractEventLoop, work: Callable[[], Awaitable[Any]]) -> Any:
    """Run ``work`` on ``loop`` from a verifier thread, and wait for its result."""
    return asyncio.run_coroutine_threadsafe(work(), loop).result(timeout=60)  # type: ignore[arg-type]
