"""Persisted operations: an allow-list of the documents the web client was built with.

The manifest is a JSON object ``{"<sha256 hex of the document>": "<document>"}``, as the web
client's build writes it (``gateway/web/dist/persisted-operations.json``, the default file). A
client sends either the document, or only its hash in Apollo's automatic-persisted-queries
format, ``"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}``, and the
gateway runs the manifest's document.

Modes (``MALLBOTS_PERSISTED_OPERATIONS``):

- ``off``: any document runs (a hash alone is still looked up in the manifest if one is loaded);
- ``log``: any document runs, and each document missing from the manifest is logged once
  (its hash and operation name), to see what a client sends before enforcing;
- ``enforce``: only the manifest's documents run; others are refused with
  ``PERSISTED_OPERATION_REQUIRED`` before they are parsed.

A hash the manifest does not know is ``PERSISTED_QUERY_NOT_FOUND``; a hash sent with a document
that does not match it is ``BAD_REQUEST``.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson
from graphql import GraphQLError

from gateway.errors import graphql_error
from gateway.refusals import RefusingExtension

log = logging.getLogger(__name__)

DEFAULT_FILE = Path(__file__).parent / "web" / "dist" / "persisted-operations.json"
MODES = ("off", "log", "enforce")
_NAMED = re.compile(r"\b(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)")
_LOGGED_AT_MOST = 1000
"""Unknown documents logged per process in ``log`` mode (then silently counted)."""


def sha256_hex(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def load_manifest(path: Path) -> dict[str, str]:
    """The manifest at ``path``, each entry checked: its key is the hash of its document."""
    try:
        raw = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as error:
        raise ValueError(f"cannot read the persisted operations of {path}: {error}") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{path} must hold a JSON object of sha256 hash to document")
    for key, document in raw.items():
        if not isinstance(document, str) or sha256_hex(document) != key.lower():
            raise ValueError(f"{path}: the entry {key!r} is not the sha256 hash of its document")
    return {key.lower(): document for key, document in raw.items()}


class PersistedOperations:
    """The manifest and the mode; :meth:`resolve` decides on each operation's document."""

    def __init__(self, mode: str, manifest: Mapping[str, str]) -> None:
        if mode not in MODES:
            raise ValueError(f"persisted operations mode must be one of {MODES}, got {mode!r}")
        self.mode = mode
        self.manifest = dict(manifest)
        self.unknown_seen: set[str] = set()

    @classmethod
    def from_settings(cls, mode: str, file: str | None) -> PersistedOperations:
        path = Path(file) if file else DEFAULT_FILE
        if mode == "off" and not path.is_file():
            return cls(mode, {})
        try:
            return cls(mode, load_manifest(path))
        except ValueError:
            if mode != "off":
                raise
            log.warning("persisted operations off: %s is not a valid manifest", path)
            return cls(mode, {})

    def resolve(
        self, query: str | None, extensions: Mapping[str, Any] | None, operation_name: str | None
    ) -> str | None:
        """The document to run (``query``, or the manifest's for the hash sent)."""
        persisted = (extensions or {}).get("persistedQuery")
        sent_hash = persisted.get("sha256Hash") if isinstance(persisted, Mapping) else None
        if sent_hash is not None and not isinstance(sent_hash, str):
            raise graphql_error("persistedQuery.sha256Hash must be a string", "BAD_REQUEST")
        if query is None:
            if sent_hash is None:
                return None
            found = self.manifest.get(sent_hash.lower())
            if found is None:
                raise graphql_error("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
            return found
        if self.mode == "off" and sent_hash is None:
            return query  # nothing to check: no hash is worth computing
        digest = sha256_hex(query)
        if sent_hash is not None and sent_hash.lower() != digest:
            raise graphql_error(
                "the persisted query's hash does not match its document", "BAD_REQUEST"
            )
        if self.mode == "off" or digest in self.manifest:
            return query
        if self.mode == "enforce":
            raise graphql_error(
                "only persisted operations may run; this document is not in the manifest",
                "PERSISTED_OPERATION_REQUIRED",
            )
        if digest not in self.unknown_seen and len(self.unknown_seen) < _LOGGED_AT_MOST:
            self.unknown_seen.add(digest)
            log.info(
                "operation not in the persisted manifest: sha256 %s, name %s",
                digest,
                str(operation_name)[:100] if operation_name else _name_in(query),
            )
        return query


def _name_in(document: str) -> str:
    """The first operation's name, for the log (the document is not parsed yet)."""
    found = _NAMED.search(document)
    return found.group(1) if found else "(anonymous)"


class PersistedOperationsExtension(RefusingExtension):
    def __init__(self, operations: PersistedOperations) -> None:
        self.operations = operations

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.query = self.operations.resolve(
                context.query, context.operation_extensions, context.operation_name
            )
        except GraphQLError as error:
            self.refuse(error)
        yield
