"""The mutation benchmark's anchor: one Strawberry mutation that returns a constant, served as
the gateway is (Strawberry's ASGI app on a Starlette route, uvicorn with uvloop and the same
HTTP protocol implementation). ``python -m tests.bench.noop_server --port P``"""

from __future__ import annotations

import argparse
import os
from typing import Any

import strawberry
import uvicorn
from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from backend.platform.principal import Principal
from gateway.auth import AuthenticationFailed, Authenticator, TokenSettings

NOOP = "mutation { noop }"


@strawberry.type
class Query:
    @strawberry.field
    def ok(self) -> bool:
        return True


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def noop(self) -> int:
        return 1


class AuthenticatedGraphQL(GraphQL[Principal, None]):
    """Authenticates each request's bearer token as the gateway does (``gateway.auth``), so the
    anchor pays for authentication like the case it anchors."""

    def __init__(self, schema: strawberry.Schema, authenticator: Authenticator) -> None:
        super().__init__(schema)
        self.authenticator = authenticator

    async def get_context(self, request: Request | WebSocket, response: Any) -> Principal:
        try:
            return await self.authenticator.principal(request.headers.get("authorization"))
        except AuthenticationFailed as exc:
            raise HTTPException(401, str(exc)) from None


def create_app() -> Starlette:
    authenticator = Authenticator(TokenSettings(secret=os.environ["MALLBOTS_JWT_SECRET"]))
    graphql = AuthenticatedGraphQL(strawberry.Schema(query=Query, mutation=Mutation), authenticator)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[Route("/healthz", healthz), Route("/graphql", graphql, methods=["GET", "POST"])]
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.noop_server")
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    config = uvicorn.Config(
        create_app(), host="127.0.0.1", port=port, loop="uvloop", log_level="warning",
        lifespan="on",
    )  # fmt: skip
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
