"""The depot module's HTTP API under /api/depot: bots and their shopping lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from backend.depot.application import DepotService
from backend.platform.api import Endpoint, Idempotent
from backend.platform.auth import require_bot, require_role
from backend.platform.validation import Id, IdempotencyKey, Name


@dataclass(frozen=True)
class RegisterBot:
    name: Name
    idempotency_key: IdempotencyKey | None = None


@dataclass(frozen=True)
class AssignShoppingList:
    bot_id: Id
    idempotency_key: IdempotencyKey | None = None


def endpoints(service: DepotService) -> list[Endpoint]:
    async def register_bot(request: Request, body: RegisterBot) -> Any:
        require_role("admin")
        return await service.register_bot(body.name, body.idempotency_key)

    async def list_bots(request: Request, body: None) -> Any:
        require_role("admin")
        return {"bots": await service.list_bots()}

    async def get_bot(request: Request, body: None) -> Any:
        require_bot(request.path_params["id"])
        return {"bot": await service.get_bot(request.path_params["id"])}

    async def available_shopping_lists(request: Request, body: None) -> Any:
        require_role("bot")
        return {"shopping_lists": await service.available_lists()}

    async def get_shopping_list(request: Request, body: None) -> Any:
        require_role("bot")
        return {"shopping_list": await service.get_list(request.path_params["id"])}

    async def assign_shopping_list(request: Request, body: AssignShoppingList) -> Any:
        require_bot(body.bot_id)
        return await service.assign(request.path_params["id"], body.bot_id, body.idempotency_key)

    async def complete_shopping_list(request: Request, body: Idempotent) -> Any:
        return await service.complete(request.path_params["id"], body.idempotency_key)

    async def cancel_shopping_list(request: Request, body: Idempotent) -> Any:
        require_role("admin")
        return await service.cancel(request.path_params["id"], body.idempotency_key)

    return [
        Endpoint("POST", "/bots", register_bot, "Register a bot", RegisterBot, status=201),
        Endpoint("GET", "/bots", list_bots, "List the bots"),
        Endpoint("GET", "/bots/{id}", get_bot, "Get a bot (idle or busy, and its list)"),
        Endpoint("GET", "/shopping/available", available_shopping_lists,
                 "Shopping lists waiting for a bot, oldest first"),
        Endpoint("GET", "/shopping/{id}", get_shopping_list, "Get a shopping list"),
        Endpoint("PUT", "/shopping/{id}/assign", assign_shopping_list,
                 "Assign an available shopping list to an idle bot", AssignShoppingList),
        Endpoint("PUT", "/shopping/{id}/complete", complete_shopping_list,
                 "Complete an assigned shopping list (the order becomes ready)", Idempotent),
        Endpoint("POST", "/shopping/{id}/cancel", cancel_shopping_list,
                 "Cancel a shopping list", Idempotent),
    ]  # fmt: skip
