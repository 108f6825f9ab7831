"""The ordering module: orders and their lifecycle (event-sourced)."""

from __future__ import annotations

from pathlib import Path

from backend.ordering.api import endpoints
from backend.ordering.application import OrderingService
from backend.ordering.handlers import subscriptions
from backend.ordering.messages import contract
from backend.platform.api import build_routes
from backend.platform.module import Module, ModuleContext, ModuleParts


def build(ctx: ModuleContext) -> ModuleParts:
    service = OrderingService(ctx)
    return ModuleParts(
        routes=build_routes("ordering", endpoints(service)),
        subscriptions=subscriptions(service),
    )


module = Module(
    name="ordering",
    build=build,
    migrations=Path(__file__).parent / "migrations",
    contract=contract,
)
