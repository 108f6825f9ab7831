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

import pytest

from tests.conftest import Servers
from tests.contract.http_calls import PROVIDERS as HTTP_PROVIDERS
from tests.contract.message_pacts import PRODUCERS
from tests.contract.pactfiles import committed_pacts, participant
from tests.contract.producing import produce
from tests.contract.providers import Provider, on_loop, provider, verifier, verify

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
    report = await verify(checked)
    assert "(OK)" in report and "FAILED" not in report
