"""The registry of MallBots modules that a backend process can host."""

from __future__ import annotations

from backend.platform.module import Module


def all_modules() -> dict[str, Module]:
    """Every module, by name, in start order."""
    from backend.stores.module import module as stores

    return {m.name: m for m in (stores,)}


def select_modules(names: tuple[str, ...] | list[str]) -> list[Module]:
    """The modules named (``all`` for every one); an unknown name is an error naming it."""
    registry = all_modules()
    if not names or list(names) == ["all"]:
        return list(registry.values())
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise ValueError(
            f"unknown module(s): {', '.join(unknown)}; known: {', '.join(registry) or 'none'}"
        )
    return [registry[n] for n in names]
