"""The mutation benchmark's anchor: one Strawberry mutation that returns a constant, served as
the gateway is (Strawberry's ASGI app on a Starlette route, uvicorn with uvloop and the same
HTTP protocol implementation). ``python -m tests.bench.noop_server --port P``"""

from __future__ import annotations

import argparse

import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

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


def create_app() -> Starlette:
    graphql: GraphQL[None, None] = GraphQL(strawberry.Schema(query=Query, mutation=Mutation))

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
