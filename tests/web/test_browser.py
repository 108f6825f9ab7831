"""End to end in headless Chromium (Debian's, driven by playwright-core): the web client served by
a real gateway in front of a real backend with every module, on the demo mall that `make run`
seeds, with the gateway enforcing the client's persisted-operations manifest. The browser
scenarios are gateway/web/e2e/*.test.ts (Vitest); this test runs the stack they need, then them,
and fails when they fail. They write the README's screenshots to docs/screenshots/."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from backend.modules import select_modules
from backend.platform.embedded import free_port
from backend.seed import seed
from tests.conftest import Servers
from tests.support.auth import INTERNAL_TOKEN
from tests.support.backend import RunningBackend, running_backend
from tests.support.gateway import running_gateway
from tests.support.mall import Mall
from tests.web.conftest import WEB
from tests.web.control import RestartableGateway, control_server

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")
async def backend(servers: Servers) -> AsyncIterator[RunningBackend]:
    async with running_backend(
        servers.database_url, servers.redis_url, select_modules(["all"])
    ) as running:
        yield running


@pytest.fixture(scope="module")
async def demo(backend: RunningBackend) -> dict[str, str]:
    """The demo mall of `make run`: its store, product, customer and bot ids."""
    return await seed(backend.url, INTERNAL_TOKEN)


@pytest.fixture(scope="module")
async def gateway(
    backend: RunningBackend, servers: Servers, web_build: Path
) -> AsyncIterator[RestartableGateway]:
    port = free_port()
    # Enforced: the client must send nothing but its build's persisted operations.
    gateway = RestartableGateway(
        lambda: running_gateway(
            backend.url,
            servers.redis_url,
            port=port,
            persisted_operations="enforce",
            persisted_operations_file=str(web_build / "persisted-operations.json"),
        )
    )
    await gateway.start()
    try:
        yield gateway
    finally:
        await gateway.stop()


@pytest.mark.timeout(420)
async def test_the_web_client_in_a_real_browser(
    gateway: RestartableGateway, backend: RunningBackend, demo: dict[str, str]
) -> None:
    assert Path(CHROMIUM).is_file(), "Debian's chromium is missing: make chromium"
    assert gateway.running is not None
    url = gateway.running.url
    async with httpx.AsyncClient() as http:
        other = await http.post(f"{url}/graphql", json={"query": "{ __typename }"})
    assert other.json()["errors"][0]["extensions"]["code"] == "PERSISTED_OPERATION_REQUIRED"
    mall = Mall(backend.http, lambda module: backend.url)
    async with control_server(gateway, mall, demo["bot"]) as control:
        text = await run_browser_tests(url, control)
    for scenario in (
        "order page follows it live to COMPLETED",
        "recovers every status",
        "fits a phone's width",
        "works from the keyboard",
        "not the customer's as not found",
        "WCAG 2 A/AA checks on every page",
        "gateway restarts",
    ):
        assert scenario in text, text
    for page in ("login", "shop", "orders", "order", "bot-console", "invoices"):
        assert (SCREENSHOTS / f"{page}.png").read_bytes().startswith(b"\x89PNG"), page


async def run_browser_tests(url: str, control: str) -> str:
    """`npm run test:e2e` against the stack; its output (the test fails if they fail)."""
    process = await asyncio.create_subprocess_exec(
        "npm", "run", "--silent", "test:e2e", "--", "--reporter=verbose",
        cwd=WEB,
        env={
            **os.environ,
            "MALLBOTS_WEB_URL": url,
            "MALLBOTS_E2E_CONTROL_URL": control,
            "MALLBOTS_SCREENSHOTS": str(SCREENSHOTS),
            "MALLBOTS_CHROMIUM": CHROMIUM,
            "CI": "1",
            "NO_COLOR": "1",
        },
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    text = output.decode(errors="replace")
    assert process.returncode == 0, text
    return text
