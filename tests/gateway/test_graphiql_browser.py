"""GraphiQL in a real browser: Debian's headless Chromium, driven over the DevTools protocol,
loads /graphql from a development gateway (assets served locally, no CDN), types a query into
the editor, runs it, and shows the result."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from backend.stores.module import module as stores
from tests.conftest import Servers
from tests.support.backend import RunningBackend, running_backend
from tests.support.gateway import RunningGateway, running_gateway
from tests.support.waiting import eventually

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
    "--window-size=1280,800",
)


class DevTools:
    """A minimal client of the Chrome DevTools protocol over one page's WebSocket."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.ids = itertools.count(1)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self.ids)
        await self.socket.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(await self.socket.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message["result"]
                return result

    async def evaluate(self, expression: str) -> Any:
        answer = await self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in answer:
            raise RuntimeError(f"{expression}: {answer['exceptionDetails']}")
        return answer["result"].get("value")


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[DevTools]:
    """Headless Chromium with a fresh profile; DevTools on its first page."""
    profile = Path(tempfile.mkdtemp(prefix="mallbots-chromium-"))
    process = await asyncio.create_subprocess_exec(
        CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        active = profile / "DevToolsActivePort"

        async def port_file() -> str:
            return active.read_text() if active.exists() else ""

        port = (await eventually(port_file, lambda text: "\n" in text, timeout=30)).split()[0]
        async with httpx.AsyncClient() as http:
            targets = await eventually(
                lambda: http.get(f"http://127.0.0.1:{port}/json/list"),
                lambda r: any(t["type"] == "page" for t in r.json()),
            )
        page = next(t for t in targets.json() if t["type"] == "page")
        async with websockets.connect(page["webSocketDebuggerUrl"], max_size=None) as socket:
            yield DevTools(socket)
    finally:
        process.kill()
        await process.wait()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
async def backend(servers: Servers) -> AsyncIterator[RunningBackend]:
    async with running_backend(servers.database_url, servers.redis_url, [stores]) as running:
        yield running


@pytest.fixture(scope="module")
async def gateway(backend: RunningBackend, servers: Servers) -> AsyncIterator[RunningGateway]:
    async with running_gateway(backend.url, servers.redis_url) as running:
        yield running


QUERY_EDITOR = "document.querySelector('.graphiql-query-editor .CodeMirror')"
RESULT = "document.querySelector('.result-window .CodeMirror')"


async def test_graphiql_loads_and_runs_a_typed_query(
    gateway: RunningGateway, backend: RunningBackend, tmp_path: Path
) -> None:
    created = await backend.http.post(
        "/api/stores", json={"name": "Browser Books", "location": "Level 2"}
    )
    assert created.status_code == 201

    async with chromium() as browser:
        await browser.send("Page.enable")
        await browser.send("Page.navigate", url=gateway.graphql_url)
        title = await eventually(
            lambda: browser.evaluate("document.title"), lambda t: t == "MallBots GraphiQL"
        )
        assert title == "MallBots GraphiQL"
        await eventually(
            lambda: browser.evaluate(f"!!{QUERY_EDITOR} && !!{RESULT}"),
            lambda ready: ready is True,
        )

        await browser.evaluate(f"{QUERY_EDITOR}.CodeMirror.setValue('')")
        await browser.evaluate(f"{QUERY_EDITOR}.CodeMirror.focus()")
        await browser.send("Input.insertText", text="query Typed { stores { name location } }")
        typed = await browser.evaluate(f"{QUERY_EDITOR}.CodeMirror.getValue()")
        assert typed == "query Typed { stores { name location } }"
        await browser.evaluate("document.querySelector('.graphiql-execute-button').click()")

        shown = await eventually(
            lambda: browser.evaluate(f"{RESULT}.CodeMirror.getValue()"),
            lambda text: bool(text) and "Browser Books" in text,
        )
        assert json.loads(shown) == {
            "data": {"stores": [{"name": "Browser Books", "location": "Level 2"}]}
        }
        picture = await browser.send("Page.captureScreenshot", format="png")
        screenshot = tmp_path / "graphiql.png"
        screenshot.write_bytes(base64.b64decode(picture["data"]))
        assert screenshot.read_bytes().startswith(b"\x89PNG")


async def test_graphiql_in_development_comes_with_an_admin_token(gateway: RunningGateway) -> None:
    """The Headers tab is prefilled with an admin's bearer token, which the gateway accepts."""
    async with httpx.AsyncClient() as http:
        html = (await http.get(gateway.graphql_url, headers={"accept": "text/html"})).text
        literal = html.split("const DEFAULT_HEADERS = ", 1)[1].split(";\n", 1)[0]
        headers = json.loads(json.loads(literal))
        assert headers["Authorization"].startswith("Bearer ey")
        created = await http.post(
            gateway.graphql_url,
            json={"query": 'mutation { createStore(input: {name: "Admin", location: "L"}) '
                  "{ store { name } } }"},
            headers=headers,
        )  # fmt: skip
    assert created.json() == {"data": {"createStore": {"store": {"name": "Admin"}}}}
