"""The notifications module's HTTP API under /api/notifications: the log of what was sent."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from backend.notifications.application import NotificationsService
from backend.platform.api import Endpoint
from backend.platform.errors import BadRequest

DEFAULT_LIMIT, MAX_LIMIT = 100, 500


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


def endpoints(service: NotificationsService) -> list[Endpoint]:
    async def list_notifications(request: Request, body: None) -> Any:
        customer_id = request.query_params.get("customer_id", "").strip()
        if not customer_id:
            raise BadRequest("customer_id is required")
        limit = _limit(request.query_params.get("limit"))
        return {"notifications": await service.list_notifications(customer_id, limit)}

    return [
        Endpoint(
            "GET",
            "",
            list_notifications,
            "A customer's notifications, newest first (?customer_id=…&limit=…)",
        )
    ]
