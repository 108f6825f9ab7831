"""The customers module: registration, enable/disable, SMS number, saga authorization."""

from __future__ import annotations

from pathlib import Path

from backend.customers.api import endpoints
from backend.customers.application import CustomersService
from backend.customers.handlers import subscriptions
from backend.customers.messages import contract
from backend.platform.api import build_routes
from backend.platform.module import Module, ModuleContext, ModuleParts


def build(ctx: ModuleContext) -> ModuleParts:
    service = CustomersService(ctx)
    return ModuleParts(
        routes=build_routes("customers", endpoints(service)),
        subscriptions=subscriptions(service),
    )


module = Module(
    name="customers",
    build=build,
    migrations=Path(__file__).parent / "migrations",
    contract=contract,
)
