"""Typed settings of a gateway process, read once from the environment."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field

from backend.platform.config import env_float, env_int
from backend.platform.services import parse_service_urls
from gateway.auth import DEFAULT_NAMESPACE, TokenSettings

LOOPBACK = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class GatewaySettings:
    backend_url: str = "http://127.0.0.1:8080"
    service_urls: dict[str, str] = field(default_factory=dict)
    """Modules served elsewhere than ``backend_url``, by name (``MALLBOTS_SERVICE_URLS``): one
    process per module."""
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    development: bool = False
    tokens: TokenSettings = field(default_factory=TokenSettings)
    """How bearer tokens are verified (``MALLBOTS_JWT_*``)."""
    internal_token: str | None = None
    """The backend's service credential (``MALLBOTS_INTERNAL_TOKEN``)."""
    introspection: bool | None = None
    """None: as ``development``."""
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
    call_cost: int = 10
    """What a field that calls the backend (a root field, a per-row call) counts for."""
    max_aliases: int = 30
    max_root_fields: int = 20
    max_backend_calls: int = 50
    max_body_bytes: int = 100_000
    """Largest HTTP request body (query, variables and extensions together)."""
    max_ws_message_bytes: int = 100_000
    connection_init_timeout_seconds: float = 10.0
    cors_origins: tuple[str, ...] = ()
    """Origins allowed to call the gateway from a browser (CORS, and WebSocket handshakes)."""
    persisted_operations: str = "off"
    """``off``, ``log`` (unknown documents are logged) or ``enforce`` (only those run)."""
    persisted_operations_file: str | None = None
    rate_limit: bool = False
    """Token buckets in Redis per client IP and per principal (``from_env``: on)."""
    rate_limit_ip_per_second: float = 100.0
    rate_limit_ip_burst: int = 200
    rate_limit_principal_per_second: float = 50.0
    rate_limit_principal_burst: int = 100
    trusted_proxies: tuple[str, ...] = LOOPBACK
    """Addresses or networks whose ``X-Forwarded-For`` names the client (the rightmost address
    not among them): the load balancer in front of the gateway (``MALLBOTS_TRUSTED_PROXIES``)."""

    @property
    def introspection_enabled(self) -> bool:
        """Introspection is on in development unless switched off, off elsewhere unless on."""
        return self.development if self.introspection is None else self.introspection

    @classmethod
    def from_env(cls) -> GatewaySettings:
        env = os.environ.get("MALLBOTS_ENV", "production")
        return cls(
            backend_url=os.environ.get("MALLBOTS_BACKEND_URL", "http://127.0.0.1:8080"),
            service_urls=parse_service_urls(os.environ.get("MALLBOTS_SERVICE_URLS", "")),
            redis_url=os.environ.get("REDIS_URL") or None,
            host=os.environ.get("MALLBOTS_GATEWAY_HOST", "127.0.0.1"),
            port=env_int("MALLBOTS_GATEWAY_PORT", 8000),
            development=env == "development",
            tokens=token_settings_from_env(),
            internal_token=os.environ.get("MALLBOTS_INTERNAL_TOKEN") or None,
            introspection=env_bool("MALLBOTS_GRAPHQL_INTROSPECTION"),
            backend_timeout_seconds=env_float("MALLBOTS_BACKEND_TIMEOUT_SECONDS", 5.0),
            max_depth=env_int("MALLBOTS_GRAPHQL_MAX_DEPTH", 10),
            max_complexity=env_int("MALLBOTS_GRAPHQL_MAX_COMPLEXITY", 5000),
            list_cost=env_int("MALLBOTS_GRAPHQL_LIST_COST", 10),
            max_document_bytes=env_int("MALLBOTS_GRAPHQL_MAX_DOCUMENT_BYTES", 20_000),
            max_subscriptions_per_connection=env_int("MALLBOTS_GRAPHQL_MAX_SUBSCRIPTIONS", 20),
            trace_graphql_document=os.environ.get("MALLBOTS_TRACE_GRAPHQL_DOCUMENT") == "true",
            trace_graphql_resolvers=os.environ.get("MALLBOTS_TRACE_GRAPHQL_RESOLVERS") == "true",
            call_cost=env_int("MALLBOTS_GRAPHQL_CALL_COST", 10),
            max_aliases=env_int("MALLBOTS_GRAPHQL_MAX_ALIASES", 30),
            max_root_fields=env_int("MALLBOTS_GRAPHQL_MAX_ROOT_FIELDS", 20),
            max_backend_calls=env_int("MALLBOTS_GRAPHQL_MAX_BACKEND_CALLS", 50),
            max_body_bytes=env_int("MALLBOTS_GRAPHQL_MAX_BODY_BYTES", 100_000),
            max_ws_message_bytes=env_int("MALLBOTS_GRAPHQL_MAX_WS_MESSAGE_BYTES", 100_000),
            connection_init_timeout_seconds=env_float(
                "MALLBOTS_GRAPHQL_CONNECTION_INIT_TIMEOUT_SECONDS", 10.0
            ),
            cors_origins=tuple(
                o.strip()
                for o in os.environ.get("MALLBOTS_CORS_ORIGINS", "").split(",")
                if o.strip()
            ),
            persisted_operations=env_choice(
                "MALLBOTS_PERSISTED_OPERATIONS", ("off", "log", "enforce"), "off"
            ),
            persisted_operations_file=os.environ.get("MALLBOTS_PERSISTED_OPERATIONS_FILE") or None,
            rate_limit=env_bool("MALLBOTS_RATE_LIMIT") is not False,
            rate_limit_ip_per_second=env_float("MALLBOTS_RATE_LIMIT_IP_PER_SECOND", 100.0),
            rate_limit_ip_burst=env_int("MALLBOTS_RATE_LIMIT_IP_BURST", 200),
            rate_limit_principal_per_second=env_float(
                "MALLBOTS_RATE_LIMIT_PRINCIPAL_PER_SECOND", 50.0
            ),
            rate_limit_principal_burst=env_int("MALLBOTS_RATE_LIMIT_PRINCIPAL_BURST", 100),
            trusted_proxies=trusted_proxies_from_env(),
        )


def trusted_proxies_from_env() -> tuple[str, ...]:
    raw = os.environ.get("MALLBOTS_TRUSTED_PROXIES", ",".join(LOOPBACK))
    proxies = tuple(p.strip() for p in raw.split(",") if p.strip())
    for proxy in proxies:
        if proxy == "*":
            continue
        try:
            ipaddress.ip_network(proxy)
        except ValueError as exc:
            raise ValueError(
                f"MALLBOTS_TRUSTED_PROXIES must list addresses or networks, got {proxy!r}"
            ) from exc
    return proxies


def env_bool(name: str) -> bool | None:
    """``true``/``false`` (or on/off, 1/0) from the environment; None when unset."""
    raw = os.environ.get(name, "").strip().lower()
    if raw == "":
        return None
    if raw in ("true", "on", "1", "yes"):
        return True
    if raw in ("false", "off", "0", "no"):
        return False
    raise ValueError(f"{name} must be true or false, got {raw!r}")


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    raw = os.environ.get(name, "").strip().lower() or default
    if raw not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def token_settings_from_env() -> TokenSettings:
    algorithms = os.environ.get("MALLBOTS_JWT_ALGORITHMS", "HS256,RS256,ES256")
    lifespan = env_float("MALLBOTS_JWKS_LIFESPAN_SECONDS", 300.0)
    if lifespan <= 0:
        raise ValueError(f"MALLBOTS_JWKS_LIFESPAN_SECONDS must be above 0, got {lifespan:g}")
    return TokenSettings(
        secret=os.environ.get("MALLBOTS_JWT_SECRET") or None,
        jwks_url=os.environ.get("MALLBOTS_JWKS_URL") or None,
        issuer=os.environ.get("MALLBOTS_JWT_ISSUER") or None,
        audience=os.environ.get("MALLBOTS_JWT_AUDIENCE") or None,
        algorithms=tuple(a.strip() for a in algorithms.split(",") if a.strip()),
        namespace=os.environ.get("MALLBOTS_JWT_CLAIMS_NAMESPACE", DEFAULT_NAMESPACE),
        leeway_seconds=env_float("MALLBOTS_JWT_LEEWAY_SECONDS", 30.0),
        jwks_cooldown_seconds=env_float("MALLBOTS_JWKS_COOLDOWN_SECONDS", 10.0),
        jwks_lifespan_seconds=lifespan,
    )
