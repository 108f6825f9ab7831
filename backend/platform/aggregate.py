"""Event-sourced aggregates: a small base class and a repository with snapshots."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

import psycopg

from backend.platform import codec
from backend.platform.eventstore import EventStore, NewEvent
from backend.platform.unit_of_work import UnitOfWork


class DomainEvent:
    """Base of an aggregate's event dataclasses; ``event_type`` is its stored name."""

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1


class Aggregate:
    """State rebuilt from events. Command methods check rules and ``record`` new events;
    ``apply`` changes state and is the only place that does."""

    stream_type: ClassVar[str]
    snapshot_version: ClassVar[int] = 1

    def __init__(self, id: str) -> None:
        self.id = id
        self.version = 0
        self.pending: list[DomainEvent] = []

    def record(self, event: DomainEvent) -> None:
        self.apply(event)
        self.pending.append(event)

    def apply(self, event: DomainEvent) -> None:
        raise NotImplementedError

    def snapshot(self) -> dict[str, Any]:
        """The state as JSON-ready data; the default suits plain attributes."""
        state: dict[str, Any] = codec.to_plain(
            {k: v for k, v in vars(self).items() if k != "pending"}
        )
        return state

    def restore(self, state: dict[str, Any]) -> None:
        raise NotImplementedError


log = logging.getLogger(__name__)

A = TypeVar("A", bound=Aggregate)


class Repository(Generic[A]):
    """Loads aggregates of one type (snapshot + tail) and saves their pending events.

    ``snapshot_every=0`` turns snapshots off, for reading and writing.
    """

    def __init__(
        self,
        store: EventStore,
        aggregate: type[A],
        events: Sequence[type[DomainEvent]],
        *,
        snapshot_every: int = 50,
    ) -> None:
        self.store = store
        self.aggregate = aggregate
        self.snapshot_every = snapshot_every
        self._event_types = {e.event_type: e for e in events}

    async def load(self, uow: UnitOfWork, id: str) -> A | None:
        """The aggregate at its latest version, or None when the stream has no events."""
        aggregate = self.aggregate(id)
        snap, events = await self.store.load_from_snapshot(
            uow.conn,
            aggregate.stream_type,
            id,
            aggregate.snapshot_version if self.snapshot_every > 0 else None,
        )
        if snap is not None:
            aggregate.restore(snap[1])
            aggregate.version = snap[0]
        for recorded in events:
            event_class = self._event_types[recorded.type]
            aggregate.apply(codec.from_plain(event_class, recorded.payload))
            aggregate.version = recorded.version
        aggregate.replayed = len(events)  # type: ignore[attr-defined]
        return aggregate if aggregate.version > 0 else None

    def save(
        self, uow: UnitOfWork, aggregate: A, metadata: Mapping[str, Any] | None = None
    ) -> None:
        """Queue the pending events in ``uow``; they are written when it commits."""
        if not aggregate.pending:
            return
        events = [
            NewEvent(e.event_type, codec.to_plain(e), e.schema_version)
            for e in aggregate.pending
            if dataclasses.is_dataclass(e)
        ]
        expected = aggregate.version
        new_version = expected + len(events)
        uow.append(aggregate.stream_type, aggregate.id, expected, events, metadata)
        aggregate.version = new_version
        aggregate.pending = []
        if (
            self.snapshot_every > 0
            and new_version // self.snapshot_every > expected // self.snapshot_every
        ):
            state = aggregate.snapshot()
            store, stream_type, id = self.store, aggregate.stream_type, aggregate.id
            version = aggregate.snapshot_version

            async def take_snapshot() -> None:
                # The events are committed; a snapshot is only a cache, so failing to write
                # one must not turn the command into an error.
                try:
                    await store.save_snapshot(
                        uow.conn, stream_type, id, new_version, version, state
                    )
                except psycopg.Error as exc:
                    log.warning("snapshot of %s %s not saved: %s", stream_type, id, exc)

            uow.after_commit(take_snapshot)
