"""The stores module: the mall's stores and their catalogs (event-sourced)."""

from __future__ import annotations

from pathlib import Path

from backend.platform.api import build_routes
from backend.platform.module import Module, ModuleContext, ModuleParts
from backend.stores.api import endpoints
from backend.stores.application import StoresService
from backend.stores.messages import contract


def build(ctx: ModuleContext) -> ModuleParts:
    return ModuleParts(routes=build_routes("stores", endpoints(StoresService(ctx))))


module = Module(
    name="stores",
    build=build,
    migrations=Path(__file__).parent / "migrations",
    contract=contract,
)
