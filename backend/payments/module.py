"""The payments module: authorized payments, their confirmation in the saga, and invoices."""

from __future__ import annotations

from pathlib import Path

from backend.payments.api import endpoints
from backend.payments.application import PaymentsService
from backend.payments.handlers import subscriptions
from backend.payments.messages import contract
from backend.platform.api import build_routes
from backend.platform.module import Module, ModuleContext, ModuleParts


def build(ctx: ModuleContext) -> ModuleParts:
    service = PaymentsService(ctx)
    return ModuleParts(
        routes=build_routes("payments", endpoints(service)),
        subscriptions=subscriptions(service),
    )


module = Module(
    name="payments",
    build=build,
    migrations=Path(__file__).parent / "migrations",
    contract=contract,
)
