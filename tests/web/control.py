"""A small HTTP server that lets the browser tests act on the stack around the page: restart the
gateway (on the same port), or move an order forward through the backend while the gateway is
down. It listens on 127.0.0.1 only, for the length of the test."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.gateway import RunningGateway
from tests.support.mall import Mall
from tests.support.serving import serve
from tests.support.waiting import eventually


class RestartableGateway:
    """A gateway that can be stopped and started again on the same port."""

    def __init__(self, start: Callable[[], AbstractAsyncContextManager[RunningGateway]]) -> None:
        self._start = start
        self._stack: contextlib.AsyncExitStack | None = None
        self.running: RunningGateway | None = None

    async def start(self) -> RunningGateway:
        stack = contextlib.AsyncExitStack()
        self.running = await stack.enter_async_context(self._start())
        self._stack = stack
        return self.running

    async def stop(self) -> None:
        if self._stack is not None:
            stack, self._stack = self._stack, None
            await stack.aclose()


async def complete_order(mall: Mall, order_id: str, bot_id: str) -> None:
    """What the bot and the customer do after APPROVED, through the backend: the bot takes and
    completes the order's shopping list (READY), then the invoice is paid (COMPLETED)."""
    order = await mall.order_reaches(order_id, "approved")
    list_id = order["shopping_id"]
    await mall.call("PUT", "depot", f"/shopping/{list_id}/assign", {"bot_id": bot_id})
    await mall.call("PUT", "depot", f"/shopping/{list_id}/complete", {})
    await mall.order_reaches(order_id, "ready")
    await eventually(
        lambda: mall.http.get(f"{mall.base_of('payments')}/api/payments/invoices/{order_id}"),
        lambda r: r.status_code == 200,
        timeout=30,
    )
    await mall.call("PUT", "payments", f"/invoices/{order_id}/pay", {})
    await mall.order_reaches(order_id, "completed")


@contextlib.asynccontextmanager
async def control_server(
    gateway: RestartableGateway, mall: Mall, bot_id: str
) -> AsyncIterator[str]:
    """Serve the controls; yield their base URL."""

    async def stop(request: Request) -> Response:
        await gateway.stop()
        return JSONResponse({"gateway": "stopped"})

    async def start(request: Request) -> Response:
        await gateway.start()
        return JSONResponse({"gateway": "started"})

    async def complete(request: Request) -> Response:
        await complete_order(mall, request.path_params["order_id"], bot_id)
        return JSONResponse({"order": "completed"})

    app = Starlette(
        routes=[
            Route("/gateway/stop", stop, methods=["POST"]),
            Route("/gateway/start", start, methods=["POST"]),
            Route("/orders/{order_id}/complete", complete, methods=["POST"]),
        ]
    )
    async with serve(app, lifespan="off") as url:
        yield url
