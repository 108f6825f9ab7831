"""The registry of MallBots modules that a backend process can host."""

from __future__ import annotations

import importlib
import os

from backend.platform.module import Module

MODULE_NAMES = (
    "stores",
    "customers",
    "baskets",
    "ordering",
    "payments",
    "depot",
    "notifications",
    "search",
    "cosec",
)


def extra_modules() -> list[Module]:
    """Modules added by ``MALLBOTS_EXTRA_MODULES=package.module:attribute,…``: each attribute
    is a Module or a function returning a list of Modules. This is how a deployment adds its
    own modules to the host without changing MallBots."""
    found: list[Module] = []
    for spec in filter(None, os.environ.get("MALLBOTS_EXTRA_MODULES", "").split(",")):
        path, _, attribute = spec.strip().partition(":")
        if not attribute:
            raise ValueError(
                f"MALLBOTS_EXTRA_MODULES: expected package.module:attribute, got {spec!r}"
            )
        value = getattr(importlib.import_module(path), attribute)
        found.extend(value() if callable(value) else [value])
    return found


def all_modules() -> dict[str, Module]:
    """Every module, by name, in start order."""
    modules = [_builtin(name) for name in MODULE_NAMES]
    return {m.name: m for m in [*modules, *extra_modules()]}


def _builtin(name: str) -> Module:
    module: Module = importlib.import_module(f"backend.{name}.module").module
    return module


def select_modules(names: tuple[str, ...] | list[str]) -> list[Module]:
    """The modules named (``all`` for every one); an unknown name is an error naming it.
    Only the modules named are imported."""
    if not names or list(names) == ["all"]:
        return list(all_modules().values())
    extras = {m.name: m for m in extra_modules()}
    unknown = [n for n in names if n not in MODULE_NAMES and n not in extras]
    if unknown:
        known = ", ".join([*MODULE_NAMES, *extras])
        raise ValueError(f"unknown module(s): {', '.join(unknown)}; known: {known}")
    return [_builtin(n) if n in MODULE_NAMES else extras[n] for n in names]
