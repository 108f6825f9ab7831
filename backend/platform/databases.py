"""Which PostgreSQL server each module uses: the shared ``DATABASE_URL``, or a server of its own.

``MALLBOTS_DATABASE_URL_<MODULE>`` (``MALLBOTS_DATABASE_URL_ORDERING``, say) moves one module off
the shared server when it outgrows it. A module keeps everything in its own schema (events,
outbox, inbox, read models) and reaches the others only through Redis and their HTTP APIs, so
nothing else changes: its relay, consumer and units of work simply use that server.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

MODULE_URL_PREFIX = "MALLBOTS_DATABASE_URL_"


def module_database_urls(environ: Mapping[str, str]) -> dict[str, str]:
    """The ``MALLBOTS_DATABASE_URL_<MODULE>`` settings, by module name (lowercase)."""
    return {
        name.removeprefix(MODULE_URL_PREFIX).lower(): url
        for name, url in environ.items()
        if name.startswith("MALLBOTS_DATABASE_URL_") and url
    }


@dataclass(frozen=True)
class ModuleDatabases:
    """The shared server's URL and the modules that have their own."""

    shared: str
    own: Mapping[str, str] = field(default_factory=dict)

    def of(self, module: str) -> str:
        return self.own.get(module, self.shared)

    def urls(self, modules: Iterable[str]) -> list[str]:
        """The shared URL first, then each other URL that one of ``modules`` uses, once."""
        found = [self.shared]
        for module in modules:
            if (url := self.of(module)) not in found:
                found.append(url)
        return found
