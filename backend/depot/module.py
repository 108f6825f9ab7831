"""The depot module: shopping lists for the robot shoppers, and the bots that fetch them."""

from __future__ import annotations

from pathlib import Path

from backend.depot.api import endpoints
from backend.depot.application import DepotService
from backend.depot.handlers import handlers
from backend.depot.messages import contract
from backend.ordering import messages as ordering
from backend.platform.api import build_routes
from backend.platform.handlers import subscriptions
from backend.platform.module import Module, ModuleContext, ModuleParts
from backend.stores import messages as stores


def build(ctx: ModuleContext) -> ModuleParts:
    service = DepotService(ctx)
    return ModuleParts(
        routes=build_routes("depot", endpoints(service)),
        subscriptions=subscriptions(
            handlers(service), contract, stores.contract, ordering.contract
        ),
    )


module = Module(
    name="depot",
    build=build,
    migrations=Path(__file__).parent / "migrations",
    contract=contract,
)
