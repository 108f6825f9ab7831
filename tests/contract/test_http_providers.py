"""Each backend module verifies the gateway's pact as its provider."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import Servers
from tests.contract.http_calls import PROVIDERS
from tests.contract.pactfiles import PACTS, file_name, participant
from tests.contract.providers import Provider, provider, verifier, verify


@pytest.fixture(scope="module")
async def served(servers: Servers) -> AsyncIterator[Provider]:
    async with provider(servers.database_url, servers.redis_url) as running:
        yield running


@pytest.mark.parametrize("module", PROVIDERS)
async def test_module_honours_the_gateway_pact(module: str, served: Provider) -> None:
    name = participant(module)
    report = await verify(verifier(name, served, [PACTS / file_name("gateway", name)]))
    assert "has status code" in report
