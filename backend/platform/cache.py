"""A module's copy of another module's entities that converges whatever the delivery order.

Events of one aggregate can be handled out of order: a failed delivery is retried while later
entries are handled, replicas of a consumer group split a stream, and a read-through fall-back
(a cache miss answered by the owner's HTTP API) can race with the events. So every field of a
cached row remembers the version of the aggregate that set it (column ``versions``, a JSON
object), and a write sets a field only when it carries a newer version. Producers put the
aggregate's version in the envelope (``with_version``). A fall-back read carries version 0: it
fills fields no event has set yet and never overrides one.

A row is *complete* when every field declared ``required`` has been set; ``get`` returns only
complete rows, so a row made by a late event alone (a rename before the creation) reads as a miss.

The table has a primary key ``id``, the cached columns (NOT NULL ones need a placeholder),
``versions jsonb NOT NULL DEFAULT '{}'`` and ``updated_at timestamptz`` (set on each change).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from psycopg import sql
from psycopg.types.json import Jsonb

from backend.platform.messages import MalformedMessage, Message, Payload, decode_payload
from backend.platform.unit_of_work import UnitOfWork

VERSION_HEADER = "aggregate_version"
"""Envelope metadata: the version of the aggregate after the event the message reports."""

READ_VERSION = 0
"""The version of what a fall-back read returned: older than any event (versions start at 1)."""


def with_version(version: int) -> dict[str, str]:
    """Metadata for ``new_message``: the aggregate's version after the reported event."""
    return {VERSION_HEADER: str(version)}


def message_version(message: Message) -> int | None:
    """The aggregate version a message carries; None for a producer that does not send one. A
    version that is not a whole number makes the message malformed (dead-lettered): read as
    "no version", it would overwrite newer fields."""
    raw = message.metadata.get(VERSION_HEADER)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise MalformedMessage(f"{VERSION_HEADER} is not a whole number: {raw[:40]!r}") from None


class Executes(Protocol):
    """A unit of work, or a pooled connection outside any (a read-through after a network call)."""

    async def execute(self, query: str, params: Any = None) -> Any: ...


@dataclass(frozen=True)
class Field:
    """A cached column: ``placeholder`` is stored until something sets it (NOT NULL columns);
    ``required`` fields must be set for the row to count as present."""

    name: str
    placeholder: Any = None
    required: bool = True


class VersionedCache:
    def __init__(self, table: str, fields: Sequence[Field]) -> None:
        self.table = table
        self.fields = {f.name: f for f in fields}
        self._table = sql.SQL(table)
        self._statements: dict[tuple[str, ...], str] = {}
        self._select = (
            sql.SQL("SELECT {columns}, versions FROM {table} WHERE id = %s")
            .format(columns=sql.SQL(", ").join(map(sql.Identifier, self.fields)), table=self._table)
            .as_string()
        )

    async def apply(
        self, uow: Executes, key: str, version: int | None, values: Mapping[str, Any]
    ) -> None:
        """Set ``values`` on row ``key``, each field only if ``version`` is newer than the one
        that set it. ``version`` None (a producer without versions): set them, as before, at
        the fall-back read's version (a read does not override them, any versioned event does)."""
        unknown = set(values) - set(self.fields)
        if unknown:
            raise ValueError(f"{self.table} caches no field {sorted(unknown)}")
        stamp = READ_VERSION if version is None else version
        params: dict[str, Any] = {"id": key, "v": stamp, "always": version is None}
        params["versions"] = Jsonb(dict.fromkeys(values, stamp))
        for i, name in enumerate(self.fields):
            params[f"f{i}"] = values.get(name, self.fields[name].placeholder)
        await uow.execute(self._upsert(tuple(values)), params)

    def _upsert(self, given: tuple[str, ...]) -> str:
        """The upsert of the fields ``given`` (one statement per set of fields, prepared)."""
        if given in self._statements:
            return self._statements[given]
        column, old = sql.Identifier, self._version_of
        updates = [
            sql.SQL(
                "{c} = CASE WHEN %(always)s OR {old} < %(v)s THEN EXCLUDED.{c} ELSE t.{c} END"
            ).format(c=column(n), old=old(n))
            for n in given
        ]
        bumps = [
            sql.SQL("jsonb_build_object({k}, GREATEST({old}, %(v)s))").format(
                k=sql.Literal(n), old=old(n)
            )
            for n in given
        ]
        query = sql.SQL(
            "INSERT INTO {table} AS t (id, {columns}, versions)"
            " VALUES (%(id)s, {params}, %(versions)s)"
            " ON CONFLICT (id) DO UPDATE SET {updates}, versions = t.versions || {bumps},"
            " updated_at = now()"
        ).format(
            table=self._table,
            columns=sql.SQL(", ").join(map(column, self.fields)),
            params=sql.SQL(", ").join(sql.Placeholder(f"f{i}") for i in range(len(self.fields))),
            updates=sql.SQL(", ").join(updates),
            bumps=sql.SQL(" || ").join(bumps),
        )
        self._statements[given] = query.as_string()
        return self._statements[given]

    def complete(self, alias: str) -> str:
        """An SQL condition on the table (as ``alias``): the row has every required field."""
        names = ",".join(f.name for f in self.fields.values() if f.required)
        return f"{alias}.versions ?& '{{{names}}}'::text[]"

    async def get(self, conn: Executes, key: str) -> dict[str, Any] | None:
        """The cached row ``key`` (its fields by name) if it is complete, else None. ``conn`` is
        a connection (reads need no transaction) or a unit of work."""
        cur = await conn.execute(self._select, (key,))
        row = await cur.fetchone()
        if row is None:
            return None
        *values, versions = row
        if any(f.required and f.name not in versions for f in self.fields.values()):
            return None
        return dict(zip(self.fields, values, strict=True))

    async def read_through(
        self,
        uow: UnitOfWork,
        key: str,
        fetch: Callable[[], Awaitable[Mapping[str, Any] | None]],
    ) -> dict[str, Any] | None:
        """The cached row, else what ``fetch`` returns from the owner (None: it does not know
        ``key``), cached at the fall-back version; then the row as the cache now has it.

        For a caller inside a unit of work that has not written yet: ``fetch`` (a network call)
        then runs before the transaction begins. Callers outside one use ``get`` and ``apply``
        on a pooled connection and fetch with no connection held.
        """
        found = await self.get(uow.conn, key)
        if found is not None:
            return found
        fetched = await fetch()
        if fetched is None:
            return None
        await self.apply(uow, key, READ_VERSION, {k: fetched[k] for k in self.fields})
        values = await (await uow.execute(self._select, (key,))).fetchone()
        return None if values is None else dict(zip(self.fields, values[:-1], strict=True))

    def _version_of(self, name: str) -> sql.Composable:
        return sql.SQL("COALESCE((t.versions ->> {k})::bigint, -1)").format(k=sql.Literal(name))


def caching(
    cache: VersionedCache, event: type[Payload], values: Callable[[Any], Mapping[str, Any]]
) -> Callable[[UnitOfWork, Message], Awaitable[None]]:
    """The handler of an event that updates ``cache``: the row of the payload's ``id`` gets
    ``values(payload)`` at the aggregate version the message carries."""

    async def handle(uow: UnitOfWork, message: Message) -> None:
        payload: Any = decode_payload(message, event)
        await cache.apply(uow, payload.id, message_version(message), dict(values(payload)))

    return handle
