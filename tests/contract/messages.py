"""Message pacts: how a ``Msg`` becomes a Pact interaction, and how a consumer is fed one."""

from __future__ import annotations

from typing import Any

from pact import Pact

from backend.platform.consumer import DLQ_SUFFIX
from backend.platform.messages import ENVELOPE_FIELD, Message
from tests.contract.message_pacts import Msg
from tests.support.backend import RunningBackend
from tests.support.waiting import eventually


def describe(pact: Pact, message: Msg) -> None:
    (
        pact.upon_receiving(message.description, "Async")
        .given(message.state)
        .with_body(message.envelope(), "application/json")
        .with_metadata({"topic": message.topic, "message": message.name})
        .set_pending(pending=message.older)
    )


def as_bytes(body: object) -> bytes:
    """A message body as Pact hands it over (bytes, text or its own string type)."""
    assert body is not None, "a message without contents"
    return body if isinstance(body, bytes) else str(body).encode()


def examples(pact: Pact) -> dict[str, tuple[bytes, dict[str, Any]]]:
    """The pact's example of each message (as Pact renders it), by message id."""
    found: dict[str, tuple[bytes, dict[str, Any]]] = {}

    def collect(body: str | bytes | None, metadata: dict[str, Any]) -> None:
        raw = as_bytes(body)
        found[Message.from_json(raw).id] = (raw, metadata)

    pact.verify(collect, "Async")
    return found


async def feed(backend: RunningBackend, consumer: str, raw: bytes) -> None:
    """Put ``raw`` on its stream as the relay would, and wait until ``consumer``'s real
    consumer has handled it (its inbox has it) or dead-lettered it (a failure, shown)."""
    message = Message.from_json(raw)
    handlers = {
        name
        for subscription in backend.host.parts[consumer].subscriptions
        if subscription.topic == message.subject
        for name in subscription.handlers
    }
    assert message.name in handlers, f"{consumer} handles no {message.name} on {message.subject}"
    await backend.host.redis.xadd(message.subject, {ENVELOPE_FIELD: raw})

    async def outcome() -> str | None:
        rows = await backend.sql(
            f"SELECT 1 FROM {consumer}.inbox WHERE message_id = %s", (message.id,)
        )
        if rows:
            return "handled"
        for _, fields in await backend.host.redis.xrange(message.subject + DLQ_SUFFIX):
            if Message.from_json(fields[ENVELOPE_FIELD.encode()]).id == message.id:
                return f"dead-lettered: {fields.get(b'error', b'').decode()}"
        return None

    result = await eventually(outcome, lambda found: found is not None)
    assert result == "handled", f"{consumer} did not handle {message.name}: {result}"
