"""The gateway process SIGKILLed and started again while a client is subscribed: the client
resumes with ``after: <its last cursor>`` and gets every update it missed, in order, once."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx

from backend.modules import select_modules
from backend.platform.embedded import free_port
from gateway.config import GatewaySettings
from gateway.hub import parse_cursor
from tests.conftest import Servers
from tests.gateway.test_subscriptions import BASKET_UPDATED, subscription
from tests.support.auth import INTERNAL_TOKEN, JWT_SECRET
from tests.support.backend import running_backend
from tests.support.gateway import RunningGateway
from tests.support.mall import Mall


@contextlib.contextmanager
def gateway_process(
    backend_url: str, redis_url: str, port: int
) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MALLBOTS_")},
        "MALLBOTS_BACKEND_URL": backend_url,
        "REDIS_URL": redis_url,
        "MALLBOTS_GATEWAY_PORT": str(port),
        "MALLBOTS_JWT_SECRET": JWT_SECRET,
        "MALLBOTS_INTERNAL_TOKEN": INTERNAL_TOKEN,
        "MALLBOTS_ENV": "development",
        "MALLBOTS_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen([sys.executable, "-m", "backend.cli", "gateway"], env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            assert process.poll() is None, "the gateway died"
            assert time.monotonic() < deadline, "the gateway did not start"
            time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def quantities(payload: dict[str, object]) -> list[int]:
    basket = payload["basket"]
    assert isinstance(basket, dict)
    return [item["quantity"] for item in basket["items"]]


async def test_subscribers_resume_after_a_gateway_crash_and_miss_nothing(
    servers: Servers,
) -> None:
    port = free_port()
    gateway = RunningGateway(f"http://127.0.0.1:{port}", GatewaySettings(), None)
    async with running_backend(
        servers.database_url, servers.redis_url, select_modules(["all"])
    ) as backend:
        mall = Mall(backend.http, lambda module: backend.url)
        customer_id = await mall.customer("Subscriber")
        _, product_id = await mall.store_with_product()
        basket_id = await mall.basket(customer_id, product_id, quantity=1)
        body = {"product_id": product_id, "quantity": 1}

        with gateway_process(backend.url, servers.redis_url, port) as first:
            async with subscription(gateway, BASKET_UPDATED, id=basket_id) as feed:
                assert quantities(await feed.next()) == [1]
                await mall.call("PUT", "baskets", f"/{basket_id}/addItem", body)
                last = await feed.until(lambda b: quantities(b) == [2])
                first.send_signal(signal.SIGKILL)
                first.wait(timeout=30)
        for _ in range(3):  # while the gateway is down
            await mall.call("PUT", "baskets", f"/{basket_id}/addItem", body)

        with gateway_process(backend.url, servers.redis_url, port):
            after = last["cursor"]
            async with subscription(gateway, BASKET_UPDATED, id=basket_id, after=after) as feed:
                missed = [await feed.next() for _ in range(3)]
                assert [quantities(m) for m in missed] == [[3], [4], [5]]
                await mall.call("PUT", "baskets", f"/{basket_id}/addItem", body)
                live = await feed.next()
                assert quantities(live) == [6]
                cursors = [parse_cursor(m["cursor"]) for m in [last, *missed, live]]
                assert cursors == sorted(set(cursors))
                await feed.nothing_within(0.5)
