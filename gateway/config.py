"""Typed settings of a gateway process, read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass

from backend.platform.config import env_float, env_int


@dataclass(frozen=True)
class GatewaySettings:
    backend_url: str = "http://127.0.0.1:8080"
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    development: bool = False
    introspection: bool = True
    backend_timeout_seconds: float = 5.0
    max_depth: int = 10
    max_complexity: int = 5000
    list_cost: int = 10
    """How many items a list without a ``first`` argument counts for in the complexity."""
    max_document_bytes: int = 20_000
    max_subscriptions_per_connection: int = 20
    trace_graphql_document: bool = False
    """Put the GraphQL document on operation spans (never the variables)."""
    trace_graphql_resolvers: bool = False
    """One span per resolved field (costly on wide selections)."""

    @classmethod
    def from_env(cls) -> GatewaySettings:
        env = os.environ.get("MALLBOTS_ENV", "production")
        return cls(
            backend_url=os.environ.get("MALLBOTS_BACKEND_URL", "http://127.0.0.1:8080"),
            redis_url=os.environ.get("REDIS_URL") or None,
            host=os.environ.get("MALLBOTS_GATEWAY_HOST", "127.0.0.1"),
            port=env_int("MALLBOTS_GATEWAY_PORT", 8000),
            development=env == "development",
            introspection=os.environ.get("MALLBOTS_GRAPHQL_INTROSPECTION", "true") != "false",
            backend_timeout_seconds=env_float("MALLBOTS_BACKEND_TIMEOUT_SECONDS", 5.0),
            max_depth=env_int("MALLBOTS_GRAPHQL_MAX_DEPTH", 10),
            max_complexity=env_int("MALLBOTS_GRAPHQL_MAX_COMPLEXITY", 5000),
            list_cost=env_int("MALLBOTS_GRAPHQL_LIST_COST", 10),
            max_document_bytes=env_int("MALLBOTS_GRAPHQL_MAX_DOCUMENT_BYTES", 20_000),
            max_subscriptions_per_connection=env_int("MALLBOTS_GRAPHQL_MAX_SUBSCRIPTIONS", 20),
            trace_graphql_document=os.environ.get("MALLBOTS_TRACE_GRAPHQL_DOCUMENT") == "true",
            trace_graphql_resolvers=os.environ.get("MALLBOTS_TRACE_GRAPHQL_RESOLVERS") == "true",
        )
