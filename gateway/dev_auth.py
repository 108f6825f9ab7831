"""Development log-in: pick a demo user and get a token for it (``MALLBOTS_ENV=development``
only; production tokens come from the deployer's identity provider).

``GET /auth/dev/users`` lists the mall's customers, store managers (one per store), bots and an
admin; ``POST /auth/dev/token`` with one of those objects answers ``{"token": "<jwt>"}``, signed
with the development secret.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from backend.platform.principal import InvalidPrincipal, Principal
from gateway.auth import mint
from gateway.backend import BackendClient
from gateway.config import GatewaySettings

ADMIN = Principal("admin", subject="dev-admin")

_ROLE_IDS = {"customer": "customer_id", "bot": "bot_id"}


def _error(status: int, message: str, code: str) -> Response:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status)


async def demo_users(backend: BackendClient) -> list[dict[str, Any]]:
    """Everyone a developer may log in as, read from the backend as an admin."""
    headers = backend.principal_headers(ADMIN)
    customers = await backend.request("GET", "/customers", headers=headers)
    stores = await backend.request("GET", "/stores", headers=headers)
    bots = await backend.request("GET", "/depot/bots", headers=headers)
    return [
        *(
            {"label": c["name"], "role": "customer", "customer_id": c["id"]}
            for c in customers["customers"]
        ),
        *(
            {"label": f"Manager of {s['name']}", "role": "store_manager", "store_ids": [s["id"]]}
            for s in stores["stores"]
        ),
        *({"label": b["name"], "role": "bot", "bot_id": b["id"]} for b in bots["bots"]),
        {"label": "Admin", "role": "admin"},
    ]


def principal_of(user: Any) -> Principal:
    """The principal a ``/auth/dev/token`` body asks for; ``InvalidPrincipal`` if malformed."""
    if not isinstance(user, dict):
        raise InvalidPrincipal("the body must be a JSON object")
    role = user.get("role")
    if role in ("service", "anonymous"):
        raise InvalidPrincipal(f"no token is made for the {role} role")
    needed = _ROLE_IDS.get(str(role))
    if needed is not None and not user.get(needed):
        raise InvalidPrincipal(f"a {role} token needs {needed}")
    claims = {k: v for k, v in user.items() if k in ("role", "customer_id", "store_ids", "bot_id")}
    subject = "-".join(["dev", str(role), *([str(user[needed])] if needed else [])])
    return Principal.from_claims({**claims, "sub": subject})


def routes(settings: GatewaySettings, state: dict[str, Any]) -> list[Route]:
    secret = settings.tokens.secret

    async def users(request: Request) -> Response:
        return JSONResponse({"users": await demo_users(state["backend"])})

    async def token(request: Request) -> Response:
        if secret is None:
            return _error(503, "no development secret (MALLBOTS_JWT_SECRET) is set", "UNAVAILABLE")
        try:
            principal = principal_of(orjson.loads(await request.body()))
        except orjson.JSONDecodeError:
            return _error(400, "the body is not valid JSON", "BAD_REQUEST")
        except InvalidPrincipal as exc:
            return _error(400, str(exc), "BAD_REQUEST")
        return JSONResponse({"token": mint(secret, principal, namespace=settings.tokens.namespace)})

    return [
        Route("/auth/dev/users", users, methods=["GET"]),
        Route("/auth/dev/token", token, methods=["POST"]),
    ]
