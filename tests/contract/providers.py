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
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pact import Verifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from backend.modules import all_modules
from backend.platform.principal import Principal, forward
from tests.contract.broker import add_sources
from tests.contract.pactfiles import plain_output
from tests.contract.provider_states import STATES
from tests.support.auth import INTERNAL_TOKEN, backend_headers, principal
from tests.support.backend import RunningBackend, running_backend
from tests.support.mall import Mall
from tests.support.serving import serve


@dataclass
class Provider:
    backend: RunningBackend
    mall: Mall
    state_url: str = ""
    since_ms: int = 0
    """When the last state set-up began: the messages to verify were published after it."""
    state_errors: list[str] = field(default_factory=list)
    """States that could not be set up. The endpoint answers them with 200 and no ids (the
    interaction then fails at once), since the verifier retries a failed state change slowly."""


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
        try:
            ids = await state(provider.mall)
        except Exception as exc:
            provider.state_errors.append(f"{body['state']}: {type(exc).__name__}: {exc}")
            return JSONResponse({})
        role = (body.get("params") or {}).get("role", "admin")
        if "principal" not in ids:
            ids["principal"] = forward(acting_for(role), INTERNAL_TOKEN)
        ids["credential"] = INTERNAL_TOKEN  # the test backend's, not a secret
        return JSONResponse(ids)

    return Starlette(routes=[Route("/_pact/state", change, methods=["POST"])])


@contextlib.asynccontextmanager
async def provider(database_url: str, redis_url: str) -> AsyncIterator[Provider]:
    modules = list(all_modules().values())
    async with (
        running_backend(database_url, redis_url, modules) as backend,
        httpx.AsyncClient(timeout=10, headers=backend_headers()) as http,
    ):
        running = Provider(backend, Mall(http, lambda module: backend.url))
        async with serve(state_app(running)) as url:
            running.state_url = f"{url}/_pact/state"
            yield running


def acting_for(role: str) -> Principal:
    """The principal the gateway forwards for ``role``: an admin by default; ``customer`` is a
    customer who owns nothing, ``bot`` a bot without a list."""
    if role == "customer":
        return principal("customer", customer_id=str(uuid.uuid4()))
    return principal(role, bot_id=str(uuid.uuid4()) if role == "bot" else None)


def verifier(name: str, provider: Provider, pacts: list[Path], url: str | None = None) -> Verifier:
    """A verifier of ``pacts`` against the backend (or whatever serves ``url`` in front of it).

    The service credential comes from the provider state, not from a custom header: a custom
    header goes on every request, also the one that must arrive without a credential, and
    splitting the run with filters would keep the verifier from publishing its results."""
    checked = (
        Verifier(name, host="127.0.0.1")
        .add_transport(url=url or provider.backend.url)
        .state_handler(provider.state_url, teardown=False, body=True)
        .set_coloured_output(enabled=False)
    )
    return add_sources(checked, pacts)


async def verify(checked: Verifier, provider: Provider | None = None) -> str:
    """Run the verifier off the event loop; its report, or a failure showing the report (and
    the states that could not be set up)."""
    if provider is not None:
        provider.state_errors.clear()
    try:
        await asyncio.to_thread(checked.verify)
    except RuntimeError:
        errors = provider.state_errors if provider is not None else []
        states = "".join(f"\nstate set-up failed: {error}" for error in errors)
        report = plain_output(checked.output(strip_ansi=True))
        raise AssertionError(f"pact verification failed:{states}\n{report}") from None
    return plain_output(checked.output(strip_ansi=True))


def on_loop(loop: asyncio.AbstractEventLoop, work: Callable[[], Awaitable[Any]]) -> Any:
    """Run ``work`` on ``loop`` from a verifier thread, and wait for its result."""
    return asyncio.run_coroutine_threadsafe(work(), loop).result(timeout=60)  # type: ignore[arg-type]
