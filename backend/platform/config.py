"""Typed settings of a backend process, read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from backend.platform.databases import module_database_urls
from backend.platform.services import parse_service_urls


def env_int(name: str, default: int) -> int:
    """A whole number from the environment; a malformed one is an error naming it."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from exc


def env_float(name: str, default: float) -> float:
    """A number from the environment; a malformed one is an error naming it."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    """Every knob of the backend; the README lists them with their defaults."""

    database_url: str | None = None
    database_urls: dict[str, str] = field(default_factory=dict)
    """Modules with a PostgreSQL server of their own (``MALLBOTS_DATABASE_URL_<MODULE>``)."""
    redis_url: str | None = None
    data_dir: Path = Path(".mallbots")
    host: str = "127.0.0.1"
    port: int = 8080
    db_pool_size: int = 10
    snapshot_every: int = 10
    command_retries: int = 5
    max_deliveries: int = 5
    retry_base_seconds: float = 0.2
    retry_max_seconds: float = 10.0
    transient_warn_seconds: float = 30.0
    claim_idle_seconds: float = 30.0
    saga_resend_seconds: float = 30.0
    saga_deadline_seconds: float = 300.0
    saga_timer_seconds: float = 5.0
    relay_poll_seconds: float = 0.25
    relay_batch: int = 500
    relay_lease_seconds: float = 10.0
    inbox_retention_seconds: float = 8 * 24 * 3600.0
    idempotency_retention_seconds: float = 24 * 3600.0
    dlq_retention_seconds: float = 7 * 24 * 3600.0
    projection_poll_seconds: float = 0.25
    projection_stream_maxlen: int = 10_000
    modules: tuple[str, ...] = field(default_factory=tuple)
    service_urls: dict[str, str] = field(default_factory=dict)
    internal_token: str | None = None
    """The service credential every ``/api`` request must carry (``MALLBOTS_INTERNAL_TOKEN``)."""

    @property
    def own_url(self) -> str:
        """The address other modules of this process reach it at."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    @classmethod
    def from_env(cls) -> Settings:
        modules = os.environ.get("MALLBOTS_MODULES", "all")
        return cls(
            database_url=os.environ.get("DATABASE_URL") or None,
            database_urls=module_database_urls(os.environ),
            redis_url=os.environ.get("REDIS_URL") or None,
            data_dir=Path(os.environ.get("MALLBOTS_DATA_DIR", ".mallbots")),
            host=os.environ.get("MALLBOTS_BACKEND_HOST", "127.0.0.1"),
            port=env_int("MALLBOTS_BACKEND_PORT", 8080),
            db_pool_size=env_int("MALLBOTS_DB_POOL_SIZE", 10),
            snapshot_every=env_int("MALLBOTS_SNAPSHOT_EVERY", 10),
            command_retries=env_int("MALLBOTS_COMMAND_RETRIES", 5),
            max_deliveries=env_int("MALLBOTS_MAX_DELIVERIES", 5),
            retry_base_seconds=env_float("MALLBOTS_RETRY_BASE_SECONDS", 0.2),
            retry_max_seconds=env_float("MALLBOTS_RETRY_MAX_SECONDS", 10.0),
            transient_warn_seconds=env_float("MALLBOTS_TRANSIENT_WARN_SECONDS", 30.0),
            claim_idle_seconds=env_float("MALLBOTS_CLAIM_IDLE_SECONDS", 30.0),
            saga_resend_seconds=env_float("MALLBOTS_SAGA_RESEND_SECONDS", 30.0),
            saga_deadline_seconds=env_float("MALLBOTS_SAGA_DEADLINE_SECONDS", 300.0),
            saga_timer_seconds=env_float("MALLBOTS_SAGA_TIMER_SECONDS", 5.0),
            relay_poll_seconds=env_float("MALLBOTS_RELAY_POLL_SECONDS", 0.25),
            relay_batch=env_int("MALLBOTS_RELAY_BATCH", 500),
            relay_lease_seconds=env_float("MALLBOTS_RELAY_LEASE_SECONDS", 10.0),
            inbox_retention_seconds=env_float("MALLBOTS_INBOX_RETENTION_SECONDS", 8 * 86400.0),
            idempotency_retention_seconds=env_float(
                "MALLBOTS_IDEMPOTENCY_RETENTION_SECONDS", 86400.0
            ),
            dlq_retention_seconds=env_float("MALLBOTS_DLQ_RETENTION_SECONDS", 7 * 86400.0),
            projection_poll_seconds=env_float("MALLBOTS_PROJECTION_POLL_SECONDS", 0.25),
            projection_stream_maxlen=env_int("MALLBOTS_PROJECTION_STREAM_MAXLEN", 10_000),
            modules=tuple(m.strip() for m in modules.split(",") if m.strip()),
            service_urls=parse_service_urls(os.environ.get("MALLBOTS_SERVICE_URLS", "")),
            internal_token=os.environ.get("MALLBOTS_INTERNAL_TOKEN") or None,
        )
