"""The depot module: shopping lists for the robot shoppers, and the bots that fetch them."""

from __future__ import annotations

from pathlib import Path

from backend.depot.api import endpoints
from backend.depot.application import DepotService
from backend.depot.handlers import subscriptions
from backend.depot.messages import contract
from backend.platform.api import build_routes
from backend.platform.module import Module, ModuleContext, ModuleParts


def build(ctx: ModuleContext) -> ModuleParts:
    service = DepotService(ctx)
    return ModuleParts(
        routes=build_routes("depot", endpoints(service)),
        subscriptions=subscriptions(service),
    )


module = Module(
    name="depot",
    build=build,
    migrations=Path(__file__).parent / "migrations",
    contract=contract,
)
