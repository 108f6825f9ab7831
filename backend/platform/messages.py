"""The message envelope on Redis Streams, and the registry of message types of a contract."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from backend.platform import codec
from observability import tracing

# Saga headers, as in the reference (section 2.2).
COMMAND_REPLY_CHANNEL = "COMMAND_REPLY_CHANNEL"
COMMAND_SAGA_ID = "COMMAND_SAGA_ID"
COMMAND_SAGA_NAME = "COMMAND_SAGA_NAME"
REPLY_OUTCOME = "REPLY_OUTCOME"
REPLY_SAGA_ID = "REPLY_SAGA_ID"
REPLY_SAGA_NAME = "REPLY_SAGA_NAME"
OUTCOME_SUCCESS = "SUCCESS"
OUTCOME_FAILURE = "FAILURE"

ENVELOPE_FIELD = "message"
"""The one field of a stream entry: the envelope as JSON text."""


class MalformedMessage(ValueError):
    """A stream entry that can never be handled: bad JSON, unknown name, missing fields."""


@dataclass(frozen=True)
class Message:
    """One integration event, command or reply, as it travels."""

    id: str
    name: str
    subject: str
    occurred_at: str
    schema_version: int
    payload: Mapping[str, Any]
    metadata: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return codec.dumps(
            {
                "id": self.id,
                "name": self.name,
                "subject": self.subject,
                "occurred_at": self.occurred_at,
                "schema_version": self.schema_version,
                "payload": self.payload,
                "metadata": self.metadata,
            }
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Message:
        try:
            data = codec.loads(text)
        except ValueError as exc:
            raise MalformedMessage(f"message is not JSON: {exc}") from None
        try:
            message = codec.from_plain(cls, data)
        except codec.DecodeError as exc:
            raise MalformedMessage(f"bad envelope: {exc}") from None
        if not isinstance(message.payload, dict) or not isinstance(message.metadata, dict):
            raise MalformedMessage("bad envelope: payload and metadata must be objects")
        return message

    @property
    def correlation_id(self) -> str:
        return self.metadata.get("correlation_id", self.id)


Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class Payload:
    """Base of message payload dataclasses: each names its message and schema version.

    ``upcasters`` lift a payload of an older version one step (``{1: v1_to_v2}``), so that a
    reader of the current version still handles messages its producers sent before they were
    upgraded (they stay on the stream, and a producer may be upgraded after its consumers)."""

    message_name: ClassVar[str]
    schema_version: ClassVar[int] = 1
    upcasters: ClassVar[Mapping[int, Upcaster]] = {}


def new_message(
    topic: str,
    payload: Payload,
    *,
    cause: Message | None = None,
    metadata: Mapping[str, str] | None = None,
) -> Message:
    """A fresh envelope; correlation and trace context are carried over from ``cause``."""
    meta: dict[str, str] = {}
    if cause is not None:
        meta["correlation_id"] = cause.correlation_id
        meta["causation_id"] = cause.id
        for key in ("traceparent", "tracestate"):
            if key in cause.metadata:
                meta[key] = cause.metadata[key]
    tracing.inject(meta)  # the current span, when tracing is on, is this message's parent
    if metadata:
        meta.update(metadata)
    message_id = str(uuid.uuid4())
    meta.setdefault("correlation_id", message_id)
    return Message(
        id=message_id,
        name=payload.message_name,
        subject=topic,
        occurred_at=dt.datetime.now(dt.UTC).isoformat(),
        schema_version=payload.schema_version,
        payload=codec.to_plain(payload),
        metadata=meta,
    )


@dataclass(frozen=True)
class MessageType:
    name: str
    topic: str
    payload: type[Payload]
    kind: str  # "event", "command" or "reply"
    description: str = ""


class Contract:
    """The message types a module publishes: its half of every integration (``messages.py``)."""

    def __init__(self, module: str) -> None:
        self.module = module
        self._types: dict[str, MessageType] = {}
        self.projections: set[str] = set()

    def register(self, topic: str, kind: str, *payloads: type[Payload]) -> None:
        for payload in payloads:
            doc = (payload.__doc__ or "").strip()
            self._types[payload.message_name] = MessageType(
                payload.message_name, topic, payload, kind, doc
            )

    def register_projection(self, name: str) -> None:
        """This module publishes updates of read model ``name`` to its projection stream."""
        self.projections.add(name)

    def types(self) -> Iterable[MessageType]:
        return self._types.values()

    def topics(self) -> set[str]:
        return {t.topic for t in self._types.values()}

    def get(self, name: str) -> MessageType | None:
        return self._types.get(name)


def decode_payload(message: Message, payload_type: type[Any]) -> Any:
    """The typed payload of ``message``, upcast first if it has an older schema version; a
    payload that does not fit is a malformed message."""
    plain, version = dict(message.payload), message.schema_version
    upcasters: Mapping[int, Upcaster] = getattr(payload_type, "upcasters", {})
    while version < getattr(payload_type, "schema_version", 1) and version in upcasters:
        plain, version = upcasters[version](plain), version + 1
    try:
        return codec.from_plain(payload_type, plain)
    except codec.DecodeError as exc:
        raise MalformedMessage(f"{message.name}: {exc}") from None


PROJECTION_TOPIC_PREFIX = "mallbots.projections."


@dataclass(frozen=True)
class ProjectionUpdated(Payload):
    """The new state of one read-model entry; the gateway pushes it to subscribers."""

    message_name = "projections.Updated"
    projection: str
    key: str
    state: Mapping[str, Any]


def projection_topic(projection: str) -> str:
    return PROJECTION_TOPIC_PREFIX + projection


def projection_update(
    projection: str, key: str, state: Mapping[str, Any], *, cause: Message | None = None
) -> Message:
    """A message for ``mallbots.projections.<projection>``; its stream id is the cursor."""
    return new_message(
        projection_topic(projection), ProjectionUpdated(projection, key, state), cause=cause
    )
