"""The baskets module: customers' shopping baskets (event-sourced)."""

from __future__ import annotations

from pathlib import Path

from backend.baskets.api import endpoints
from backend.baskets.application import BasketsService
from backend.baskets.handlers import subscriptions
from backend.baskets.messages import contract
from backend.platform.api import build_routes
from backend.platform.module import Module, ModuleContext, ModuleParts


def build(ctx: ModuleContext) -> ModuleParts:
    return ModuleParts(
        routes=build_routes("baskets", endpoints(BasketsService(ctx))),
        subscriptions=subscriptions(),
    )


module = Module(
    name="baskets",
    build=build,
    migrations=Path(__file__).parent / "migrations",
    contract=contract,
)
