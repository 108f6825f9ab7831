"""Limits on a GraphQL WebSocket connection, for both protocols (graphql-transport-ws and the
legacy graphql-ws): each message is at most ``max_bytes`` (larger: the connection is closed
with 1009, *message too big*), and ``connection_init`` must arrive within ``init_timeout``
seconds of the handshake (else closed with 4408, as graphql-transport-ws specifies; Strawberry
enforces that one only for graphql-transport-ws). The number of subscriptions per connection is
Strawberry's own ``max_subscriptions_per_connection``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from json import JSONDecodeError

from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived

TOO_BIG = 1009
INIT_TIMEOUT = 4408


def _too_big(text: str, max_bytes: int) -> bool:
    # A character is at most 4 bytes of UTF-8: encode only when the length alone cannot tell.
    if len(text) > max_bytes:
        return True
    return len(text) * 4 > max_bytes and len(text.encode()) > max_bytes


class LimitedWebSocketAdapter(ASGIWebSocketAdapter):
    max_bytes = 100_000
    init_timeout = 10.0

    async def iter_json(
        self, *, ignore_parsing_errors: bool = False
    ) -> AsyncGenerator[object, None]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.init_timeout
        initialised = False
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                if initialised:
                    text = await self.ws.receive_text()
                else:
                    try:
                        text = await asyncio.wait_for(
                            self.ws.receive_text(), max(deadline - loop.time(), 0)
                        )
                    except TimeoutError:
                        await self.close(INIT_TIMEOUT, "Connection initialisation timeout")
                        return
                if _too_big(text, self.max_bytes):
                    await self.close(TOO_BIG, f"a message may be at most {self.max_bytes} bytes")
                    return
                try:
                    message = self.view.decode_json(text)
                except JSONDecodeError as error:
                    if not ignore_parsing_errors:
                        raise NonJsonMessageReceived from error
                    continue
                if isinstance(message, dict) and message.get("type") == "connection_init":
                    initialised = True
                yield message
        except KeyError as error:
            raise NonTextMessageReceived from error
        except WebSocketDisconnect:
            pass


def limited_adapter(max_bytes: int, init_timeout: float) -> type[LimitedWebSocketAdapter]:
    """The adapter class for one gateway's settings."""
    return type(
        "ConfiguredWebSocketAdapter",
        (LimitedWebSocketAdapter,),
        {"max_bytes": max_bytes, "init_timeout": init_timeout},
    )
