"""The producer side of the message pacts: the envelope a module really published.

The verifier asks for a message by its description after setting up the interaction's state
(real commands over HTTP, through the whole flow); the answer is the newest entry on the topic
with that name, published since the state began, exactly as the outbox relay wrote it to Redis.
A reply is the one caused by the command it answers, which tells the participants apart.
"""

from __future__ import annotations

from typing import Any

from backend.platform.messages import ENVELOPE_FIELD, Message
from tests.contract.message_pacts import MESSAGES, Msg
from tests.contract.providers import Provider
from tests.support.waiting import eventually

TOPIC_OF = {m.name: m.topic for m in MESSAGES if m.kind != "reply"}


async def since(provider: Provider, topic: str, name: str) -> list[tuple[bytes, Message]]:
    """The entries named ``name`` on ``topic`` since the last state began, oldest first."""
    entries = await provider.backend.host.redis.xrange(topic, min=f"{provider.since_ms}-0")
    found = []
    for _, fields in entries:
        raw = fields[ENVELOPE_FIELD.encode()]
        message = Message.from_json(raw)
        if message.name == name:
            found.append((raw, message))
    return found


async def produced(provider: Provider, wanted: Msg) -> tuple[bytes, Message] | None:
    candidates = await since(provider, wanted.topic, wanted.name)
    if wanted.reply_to:
        commands = await since(provider, TOPIC_OF[wanted.reply_to], wanted.reply_to)
        ids = {command.id for _, command in commands}
        candidates = [c for c in candidates if c[1].metadata.get("causation_id") in ids]
    return candidates[-1] if candidates else None


async def produce(provider: Provider, producer: str, description: str) -> dict[str, Any]:
    """The Pact message of the interaction ``description``, as ``producer`` published it."""
    wanted = next(m for m in MESSAGES if m.producer == producer and m.description == description)
    found = await eventually(lambda: produced(provider, wanted), lambda entry: entry is not None)
    assert found is not None
    raw, message = found
    return {
        "contents": raw,
        "metadata": {"topic": message.subject, "message": message.name},
        "content_type": "application/json",
    }
