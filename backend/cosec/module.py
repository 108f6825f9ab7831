"""The cosec module: the create-order saga's orchestrator (saga id = order id)."""

from __future__ import annotations

from pathlib import Path

from backend.cosec.api import endpoints
from backend.cosec.application import CosecService
from backend.cosec.handlers import subscriptions
from backend.cosec.messages import contract
from backend.platform.api import build_routes
from backend.platform.module import Module, ModuleContext, ModuleParts


def build(ctx: ModuleContext) -> ModuleParts:
    service = CosecService(ctx)
    return ModuleParts(
        routes=build_routes("cosec", endpoints(service)),
        subscriptions=subscriptions(service),
        background=[service.watch],
    )


module = Module(
    name="cosec",
    build=build,
    migrations=Path(__file__).parent / "migrations",
    contract=contract,
)
