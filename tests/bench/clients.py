"""Lean benchmark clients, so the client is never what is measured.

- :class:`HTTPConnection`: one raw HTTP/1.1 keep-alive connection (no pool, no header objects):
  a request is one write and a response one ``readuntil`` plus one ``readexactly``.
- :class:`GraphQLSocket`: one graphql-transport-ws connection on the ``websockets`` package's
  sans-I/O protocol inside a plain asyncio protocol. Each message is timestamped in
  ``data_received``, before it is parsed, so a thousand of them cost one callback each (no task
  wake-up per message, as a ``recv()`` loop would need).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlsplit

import orjson
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

GRAPHQL_TRANSPORT_WS = Subprotocol("graphql-transport-ws")


class BenchError(RuntimeError):
    """A request or subscription of a benchmark failed: the run is void."""


class HTTPConnection:
    """One keep-alive HTTP/1.1 connection; requests on it run one after the other. A connection
    the server closed while it was idle (uvicorn does after 5 s) is opened again."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        host: str,
        port: int,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.host = host
        self.port = port
        self.extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        """Header lines sent with every request (a bearer token)."""

    @classmethod
    async def open(cls, url: str, headers: dict[str, str] | None = None) -> HTTPConnection:
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, host, port, headers)

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        """The status and body of one request (a JSON body, if any)."""
        if self.reader.at_eof() or self.writer.is_closing():
            await self.close()
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head_lines = (
            f"{method} {path} HTTP/1.1\r\nhost: {self.host}:{self.port}\r\n"
            f"content-type: application/json\r\ncontent-length: {len(body)}\r\n{self.extra}\r\n"
        )
        self.writer.write(head_lines.encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *lines = head[:-4].split(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length: int | None = None
        chunked = False
        for line in lines:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if length is not None:
            return status, await self.reader.readexactly(length)
        if chunked:
            return status, await self._chunks()
        raise BenchError(f"{method} {path}: a response without a length")

    async def _chunks(self) -> bytes:
        body = bytearray()
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return bytes(body)
            body += await self.reader.readexactly(size)
            await self.reader.readexactly(2)

    async def json(self, method: str, path: str, data: Any = None) -> Any:
        """The JSON answer of a request expected to succeed."""
        body = b"" if data is None else orjson.dumps(data)
        status, answer = await self.request(method, path, body)
        if status >= 400:
            raise BenchError(f"{method} {path}: {status} {answer[:300]!r}")
        return orjson.loads(answer)

    async def graphql(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        """The ``data`` of a GraphQL operation expected to succeed."""
        result = await self.json("POST", "/graphql", {"query": query, "variables": variables})
        if result.get("errors"):
            raise BenchError(f"GraphQL errors: {result['errors']}")
        return result["data"]

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


Sink = Callable[[float, dict[str, Any]], None]
"""Receives each ``next``/``error``/``complete`` message of a subscription with its arrival time
(``time.perf_counter()``)."""


class GraphQLSocket(asyncio.Protocol):
    """One graphql-transport-ws connection; subscriptions on it deliver to their sinks."""

    def __init__(self, url: str, init_payload: dict[str, str] | None = None) -> None:
        self.ws = ClientProtocol(parse_uri(url), subprotocols=[GRAPHQL_TRANSPORT_WS])
        self.init_payload = init_payload or {}
        """What ``connection_init`` carries (the bearer token)."""
        loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.ready: asyncio.Future[None] = loop.create_future()
        """Done once the server acknowledged ``connection_init``."""
        self.closed: asyncio.Future[None] = loop.create_future()
        self.sinks: dict[str, Sink] = {}
        self._ids = itertools.count(1)

    @classmethod
    async def connect(
        cls, url: str, timeout: float = 30.0, init_payload: dict[str, str] | None = None
    ) -> GraphQLSocket:
        uri = parse_uri(url)
        loop = asyncio.get_running_loop()
        _, socket = await loop.create_connection(lambda: cls(url, init_payload), uri.host, uri.port)
        await asyncio.wait_for(socket.ready, timeout)
        return socket

    def subscribe(self, query: str, variables: dict[str, Any], sink: Sink) -> str:
        """Start a subscription; its messages go to ``sink``. Returns its id."""
        operation_id = str(next(self._ids))
        self.sinks[operation_id] = sink
        payload = {"query": query, "variables": variables}
        self._send({"id": operation_id, "type": "subscribe", "payload": payload})
        return operation_id

    def complete(self, operation_id: str) -> None:
        """End a subscription from this side."""
        if self.sinks.pop(operation_id, None) is not None:
            self._send({"id": operation_id, "type": "complete"})

    async def close(self, timeout: float = 5.0) -> None:
        if self.transport is None or self.closed.done():
            return
        self.ws.send_close(1000)
        self._flush()
        try:
            await asyncio.wait_for(asyncio.shield(self.closed), timeout)
        except TimeoutError:
            self.transport.abort()

    # --- asyncio.Protocol ---

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.ws.send_request(self.ws.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self.ws.receive_data(data)
        for event in self.ws.events_received():
            if isinstance(event, Response):
                if self.ws.handshake_exc is not None:
                    self._fail(BenchError(f"WebSocket handshake failed: {self.ws.handshake_exc}"))
                else:
                    self._send({"type": "connection_init", "payload": self.init_payload})
            elif isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                if not event.fin:
                    self._fail(BenchError("a fragmented message (not expected from the server)"))
                    continue
                self._message(orjson.loads(event.data), now)
        self._flush()

    def eof_received(self) -> bool | None:
        self.ws.receive_eof()
        self._flush()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(BenchError(f"the connection was lost ({exc or 'closed'})"))
        if not self.closed.done():
            self.closed.set_result(None)

    # --- internals ---

    def _message(self, message: dict[str, Any], at: float) -> None:
        kind = message.get("type")
        if kind == "connection_ack":
            if not self.ready.done():
                self.ready.set_result(None)
        elif kind == "ping":
            self._send({"type": "pong"})
        elif kind in ("next", "error", "complete"):
            operation_id = str(message.get("id"))
            sink = (self.sinks.get if kind == "next" else self.sinks.pop)(operation_id, None)
            if sink is not None:
                sink(at, message)

    def _fail(self, error: BenchError) -> None:
        if not self.ready.done():
            self.ready.set_exception(error)
        now = time.perf_counter()
        for operation_id, sink in list(self.sinks.items()):
            sink(now, {"id": operation_id, "type": "error", "payload": [{"message": str(error)}]})
        self.sinks.clear()

    def _send(self, message: dict[str, Any]) -> None:
        self.ws.send_text(orjson.dumps(message))
        self._flush()

    def _flush(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        for data in self.ws.data_to_send():
            if data:
                self.transport.write(data)
            elif self.transport.can_write_eof():
                self.transport.write_eof()
        if self.ws.close_expected():
            self.transport.close()


class Feed:
    """A sink that queues a subscription's payloads, read one at a time with a deadline."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[float, dict[str, Any]]] = asyncio.Queue()

    def __call__(self, at: float, message: dict[str, Any]) -> None:
        self.queue.put_nowait((at, message))

    async def next(self, timeout: float = 30.0) -> tuple[float, Any]:
        """The arrival time and ``data`` of the next payload; raises if the subscription ended."""
        try:
            at, message = await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            raise BenchError(f"no subscription payload within {timeout} s") from None
        payload = message.get("payload")
        if message["type"] != "next" or not isinstance(payload, dict) or payload.get("errors"):
            raise BenchError(f"the subscription ended: {message}")
        return at, payload["data"]
