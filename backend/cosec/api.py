"""The cosec module's HTTP API under /api/cosec: the state of a saga, for operators and clients."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from backend.cosec.application import CosecService
from backend.platform.api import Endpoint


def endpoints(service: CosecService) -> list[Endpoint]:
    async def get_saga(request: Request, body: None) -> Any:
        return await service.get_saga(request.path_params["id"])

    return [
        Endpoint("GET", "/sagas/{id}", get_saga,
                 "The create-order saga of an order (id = order id): step, data, history"),
    ]  # fmt: skip
