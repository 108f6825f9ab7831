"""The notifications module: SMS to customers about their orders, and a log of every one."""

from __future__ import annotations

from pathlib import Path

from backend.customers import messages as customers
from backend.notifications.api import endpoints
from backend.notifications.application import NotificationsService
from backend.notifications.handlers import handlers
from backend.notifications.messages import contract
from backend.notifications.sender import LoggingSmsSender, SmsSender
from backend.ordering import messages as ordering
from backend.platform.api import build_routes
from backend.platform.handlers import subscriptions
from backend.platform.module import Module, ModuleContext, ModuleParts


def make_module(sender: SmsSender | None = None) -> Module:
    """The module with ``sender`` as its SMS gateway (by default one that only logs)."""

    def build(ctx: ModuleContext) -> ModuleParts:
        service = NotificationsService(ctx, sender or LoggingSmsSender())
        return ModuleParts(
            routes=build_routes("notifications", endpoints(service)),
            subscriptions=subscriptions(
                handlers(service), customers.contract, ordering.contract, contract
            ),
        )

    return Module(
        name="notifications",
        build=build,
        migrations=Path(__file__).parent / "migrations",
        contract=contract,
    )


module = make_module()
