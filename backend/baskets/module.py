"""The baskets module: customers' shopping baskets (event-sourced)."""

from __future__ import annotations

from pathlib import Path

from backend.baskets.api import endpoints
from backend.baskets.application import BasketsService
from backend.baskets.caches import Caches
from backend.baskets.handlers import handlers
from backend.baskets.messages import contract
from backend.platform.api import build_routes
from backend.platform.handlers import subscriptions
from backend.platform.module import Module, ModuleContext, ModuleParts
from backend.stores import messages as stores


def build(ctx: ModuleContext) -> ModuleParts:
    caches = Caches.of(ctx.store)
    return ModuleParts(
        routes=build_routes("baskets", endpoints(BasketsService(ctx, caches))),
        subscriptions=subscriptions(handlers(caches), stores.contract),
    )


module = Module(
    name="baskets",
    build=build,
    migrations=Path(__file__).parent / "migrations",
    contract=contract,
)
