"""Live delivery: each update rendered once per distinct operation, then written to every socket.

Strawberry delivers a subscription's events one at a time through each operation: graphql-core
executes the selection over the event, Strawberry wraps the result, runs its extension hooks and
encodes the message, once per subscriber and update. A thousand subscribers of the same basket
cost a thousand executions of one selection over one value, and about 110 µs of the gateway's
time each (measured, see ``docs/benchmarks.md``).

So on WebSocket transports, once a subscription has sent its first payload through Strawberry
(the current state, or what it missed after ``after``), it follows its live updates here:

- the selection is executed once per update and *operation* (query, operation name and
  variables), as graphql-core would execute it per event (a per-event executor of the
  subscription), with fresh DataLoaders, and encoded once;
- every subscriber of that operation writes the same payload in a frame of its own protocol with
  its own operation id, straight to its WebSocket.

Each subscriber still waits in its own task (Strawberry's operation task), so one slow client
only holds up itself: its bounded buffer in the hub fills and it is dropped with
``SUBSCRIBER_TOO_SLOW``. The order of payloads is kept: the generator resumes here only after
Strawberry has sent the payload it yielded last. SSE subscriptions keep Strawberry's path.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import orjson
from graphql import ExecutionResult, Executor, execute_subscription_event
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.schema import BaseSchema
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from backend.platform.principal import Principal
from gateway import telemetry
from gateway.budget import open_budget
from gateway.context import Context
from gateway.hub import HubStopped, Subscriber, Update

Payload = str | asyncio.Task[str]
"""What an update's ``rendered`` memo holds per operation: the payload, or the task making it."""


@dataclasses.dataclass
class LiveSink:
    """Where one subscription operation's live payloads go: its WebSocket, as its protocol's
    data frame, with its operation id."""

    websocket: WebSocket
    operation_id: str
    message_type: str
    """``next`` (graphql-transport-ws) or ``data`` (graphql-ws)."""
    key: str
    """The operation: subscribers with the same key share each update's rendered payload."""
    executor: Executor[Any] | None = None
    """The subscription's graphql-core executor (set when its first event is executed)."""

    def __post_init__(self) -> None:
        head = orjson.dumps({"id": self.operation_id, "type": self.message_type}).decode()
        self._head = head[:-1] + ',"payload":'

    async def send(self, payload: str) -> bool:
        """Write one frame; False once either side has closed the connection."""
        socket = self.websocket
        if (socket.client_state, socket.application_state) != _OPEN:
            return False
        try:
            await socket.send_text(self._head + payload + "}")
        except WebSocketDisconnect:
            return False
        return True


_OPEN = (WebSocketState.CONNECTED, WebSocketState.CONNECTED)
"""A connection's (client, application) states while both sides keep it open."""

_SINK: ContextVar[LiveSink | None] = ContextVar("mallbots_live_sink", default=None)


def operation_key(
    query: str, operation_name: str | None, variables: object, principal: Principal
) -> str:
    """What decides a live payload: the operation and who asks. Nested fields are authorized
    by principal, so subscribers share a rendered payload only with their own principal."""
    return orjson.dumps(
        [query, operation_name, variables, principal.key], option=orjson.OPT_SORT_KEYS
    ).decode()


def remember_executor(executor: Executor[Any]) -> None:
    """Called as graphql-core executes a subscription's first event: live payloads are later
    executed with per-event copies of the same executor (its schema, document, variables and
    middleware)."""
    sink = _SINK.get()
    if sink is not None and sink.executor is None:
        sink.executor = executor


def transport() -> str:
    """The transport of the subscription running in this task (for its metrics)."""
    sink = _SINK.get()
    return telemetry.transport_of(sink.message_type if sink is not None else None)


def current_sink() -> LiveSink | None:
    """The live sink of the subscription running in this task, if its transport has one."""
    sink = _SINK.get()
    return sink if sink is not None and sink.executor is not None else None


async def deliver(
    sink: LiveSink,
    subscriber: Subscriber,
    convert: Callable[[Update], Any],
    schema: BaseSchema,
    check_session: Callable[[], None],
) -> None:
    """Send each live update of ``subscriber`` until the hub stops; raises what
    :meth:`Subscriber.next` raises (a subscriber too slow), and what ``check_session`` raises
    before each update (the connection outlived its token). After the connection is gone, waits
    to be cancelled: the transport's handler cancels every operation of a closed connection."""
    executor = sink.executor
    assert executor is not None
    while True:
        try:
            update = await subscriber.next()
        except HubStopped:
            return
        check_session()
        memo = update.rendered.get(sink.key)
        if memo is None:
            memo = update.rendered[sink.key] = _render(executor, convert(update), schema)
        with telemetry.push(update.projection, update.cursor, update.metadata):
            payload = memo if isinstance(memo, str) else await asyncio.shield(memo)
            sent = await sink.send(payload)
        if not sent:
            await asyncio.Event().wait()


def _render(executor: Executor[Any], value: Any, schema: BaseSchema) -> Payload:
    """The ``payload`` of a data message for ``value``: encoded now if the selection resolved
    without waiting, else a task that others of the same operation await with this one."""
    per_event = executor.build_per_event_executor(value)
    context = per_event.context_value
    if isinstance(context, Context):  # a copy: renders of two updates may overlap
        per_event.context_value = dataclasses.replace(context, _loaders={})
        open_budget(context.max_backend_calls)  # the session was checked by ``deliver``
    result = execute_subscription_event(per_event)
    if isinstance(result, ExecutionResult):
        return _encode(result, schema)

    async def encoded() -> str:
        return _encode(await result, schema)

    return asyncio.ensure_future(encoded())


def _encode(result: ExecutionResult, schema: BaseSchema) -> str:
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        schema.process_errors(list(result.errors))
        payload["errors"] = [error.formatted for error in result.errors]
    return orjson.dumps(payload).decode()


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, with each subscription's live payloads sent by :func:`deliver`."""

    async def handle(self) -> None:
        async with telemetry.websocket_connection("graphql-transport-ws"):
            await super().handle()

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        websocket = _starlette_socket(self.websocket)
        _SINK.set(
            LiveSink(
                websocket,
                operation.id,
                "next",
                operation_key(
                    operation.query,
                    operation.operation_name,
                    operation.variables,
                    self.context.principal,
                ),
            )
        )
        await super().run_operation(operation)


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    """graphql-ws (legacy), with each subscription's live payloads sent by :func:`deliver`."""

    async def handle(self) -> None:
        async with telemetry.websocket_connection("graphql-ws"):
            await super().handle()

    async def handle_async_results(
        self,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
    ) -> None:
        websocket = _starlette_socket(self.websocket)
        key = operation_key(query, operation_name, variables, self.context.principal)
        _SINK.set(LiveSink(websocket, operation_id, "data", key))
        await super().handle_async_results(operation_id, query, operation_name, variables)


def _starlette_socket(adapter: object) -> WebSocket:
    assert isinstance(adapter, ASGIWebSocketAdapter)
    socket: WebSocket = adapter.ws
    return socket
