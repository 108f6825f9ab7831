"""Each backend module verifies, as provider, every committed pact that names it: the gateway's
HTTP calls and projection updates, and the messages its consumers expect from it.

One backend with every module serves all providers; one verifier run per provider replays its
pacts' HTTP interactions against the backend and asks for each message, which the module produces
through its real commands and outbox.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import Servers
from tests.contract.http_calls import PROVIDERS as HTTP_PROVIDERS
from tests.contract.message_pacts import PRODUCERS
from tests.contract.pactfiles import PACTS, committed_pacts, file_name, participant
from tests.contract.producing import produce
from tests.contract.providers import Provider, on_loop, provider, serve, verifier, verify

MODULES = tuple(dict.fromkeys((*HTTP_PROVIDERS, *PRODUCERS)))


@pytest.fixture(scope="module")
async def served(servers: Servers) -> AsyncIterator[Provider]:
    async with provider(servers.database_url, servers.redis_url) as running:
        yield running


@pytest.mark.parametrize("module", MODULES)
async def test_module_honours_its_pacts(module: str, served: Provider) -> None:
    name = participant(module)
    pacts = committed_pacts(name)
    assert pacts, f"no committed pact names {name} as provider"
    checked = verifier(name, served, pacts)
    if module in PRODUCERS:
        loop = asyncio.get_running_loop()

        def message(name: str, metadata: dict[str, Any] | None) -> Any:
            return on_loop(loop, lambda: produce(served, module, name))

        checked.message_handler(message)
    report = await verify(checked, served)
    assert "(OK)" in report
    # Only the pending interactions may fail (an older schema version, which the providers do
    # not send any more): a real failure raised in verify().
    assert "FAILED" not in report or "non-fatal pact failures on pending" in report
    if module in HTTP_PROVIDERS:
        assert "has status code 401 (OK)" in report


def renaming(upstream: str, old: bytes, new: bytes) -> Any:
    """An ASGI proxy to ``upstream`` that renames a JSON member in every answer: a provider
    whose field drifted from the pact."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"] if k != b"host"}
        url = f"{upstream}{scope['path']}?{scope['query_string'].decode()}"
        async with httpx.AsyncClient() as client:
            answer = await client.request(scope["method"], url, content=body, headers=headers)
        content = answer.content.replace(b'"' + old + b'":', b'"' + new + b'":')
        await send(
            {
                "type": "http.response.start",
                "status": answer.status_code,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": content})

    return app


async def test_a_drifted_provider_field_fails_verification_readably(served: Provider) -> None:
    name = participant("stores")
    async with serve(renaming(served.backend.url, b"location", b"place")) as url:
        checked = verifier(name, served, [PACTS / file_name("gateway", name)], url)
        checked.filter("^get a store$")
        with pytest.raises(AssertionError) as failed:
            await verify(checked)
    report = str(failed.value)
    assert "get a store" in report
    assert "has a matching body (FAILED)" in report
    assert "$.store -> Actual map is missing the following keys: location" in report
