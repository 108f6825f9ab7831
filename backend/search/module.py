"""The search module: a read model of orders, searchable by customer, time, store, product,
total and status. It consumes other modules' events and publishes nothing."""

from __future__ import annotations

from pathlib import Path

from backend.customers import messages as customers
from backend.ordering import messages as ordering
from backend.platform.api import build_routes
from backend.platform.handlers import subscriptions
from backend.platform.module import Module, ModuleContext, ModuleParts
from backend.search.api import endpoints
from backend.search.application import SearchService
from backend.search.handlers import handlers
from backend.stores import messages as stores


def build(ctx: ModuleContext) -> ModuleParts:
    service = SearchService(ctx)
    return ModuleParts(
        routes=build_routes("search", endpoints(service)),
        subscriptions=subscriptions(
            handlers(service), customers.contract, stores.contract, ordering.contract
        ),
    )


module = Module(name="search", build=build, migrations=Path(__file__).parent / "migrations")
