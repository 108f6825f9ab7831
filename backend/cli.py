"""The ``mallbots`` command line."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import redis.asyncio as aioredis

from backend.platform import credentials
from backend.platform.config import Settings

if TYPE_CHECKING:
    import uvicorn

log = logging.getLogger("mallbots")


class CliError(Exception):
    """A problem the user can fix; printed without a traceback."""


def servers_file(settings: Settings) -> Path:
    return settings.data_dir / "servers.json"


def resolve_urls(settings: Settings, *, redis: bool = True) -> tuple[str, str]:
    """DATABASE_URL and REDIS_URL, else the servers of a running ``mallbots dev``.
    With ``redis=False`` only the database is needed (the Redis URL may be empty)."""
    if settings.database_url and (settings.redis_url or not redis):
        return settings.database_url, settings.redis_url or ""
    path = servers_file(settings)
    if path.exists():
        found = json.loads(path.read_text())
        return (
            settings.database_url or found["database_url"],
            settings.redis_url or found["redis_url"],
        )
    raise CliError(
        "no servers: set DATABASE_URL and REDIS_URL, or start the embedded ones with `make run`"
    )


def _configure_logging() -> None:
    from observability import logs

    logs.configure(
        os.environ.get("MALLBOTS_LOG_LEVEL", "INFO"), os.environ.get("MALLBOTS_LOG_FORMAT", "text")
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise


# --- dev -----------------------------------------------------------------------------------


def cmd_dev(args: argparse.Namespace, settings: Settings) -> int:
    """Start the embedded servers (unless URLs are given), then the backend; stop all on exit."""
    from backend.platform.embedded import (
        EmbeddedPostgres,
        EmbeddedRedis,
        without_password,
        write_private,
    )
    from backend.supervisor import Supervisor

    started: list[EmbeddedPostgres | EmbeddedRedis] = []
    supervisor: Supervisor | None = None
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        database_url, redis_url = settings.database_url, settings.redis_url
        if not database_url:
            postgres = EmbeddedPostgres(settings.data_dir / "postgres")
            started.append(postgres)
            database_url = postgres.start()
        if not redis_url:
            redis_server = EmbeddedRedis(settings.data_dir / "redis")
            started.append(redis_server)
            redis_url = redis_server.start()
        if started:
            write_private(  # the URLs carry the servers' passwords
                servers_file(settings),
                json.dumps({"database_url": database_url, "redis_url": redis_url}),
            )
            log.info(
                "embedded PostgreSQL at %s, Redis at %s",
                without_password(database_url),
                without_password(redis_url),
            )
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
        env.setdefault("MALLBOTS_ENV", "development")
        for variable, value in credentials.ensure(settings.data_dir).items():
            env.setdefault(variable, value)
        env.setdefault("MALLBOTS_BACKEND_URL", settings.own_url)
        supervisor = Supervisor(
            {p: [sys.executable, "-m", "backend.cli", p] for p in ("backend", "gateway")}, env
        )
        supervisor.start()
        children = supervisor.processes()
        url = settings.own_url
        seeded: dict[str, str] = {}
        if _wait_healthy(url, children):
            from backend.seed import seed

            try:
                seeded = asyncio.run(seed(url, env["MALLBOTS_INTERNAL_TOKEN"]))
                log.info("demo mall seeded: %s", seeded)
            except (RuntimeError, OSError) as exc:  # serve anyway; `mallbots seed` can retry
                log.error("%s", exc)
        from gateway.config import GatewaySettings

        gateway = GatewaySettings.from_env()
        _wait_healthy(f"http://{gateway.host}:{gateway.port}", children)
        print(
            f"MallBots web client: http://{gateway.host}:{gateway.port}/\n"
            f"MallBots GraphQL: http://{gateway.host}:{gateway.port}/graphql\n"
            f"MallBots backend: {url}/healthz  (Ctrl-C stops everything)\n"
            + _dev_tokens(env["MALLBOTS_JWT_SECRET"], seeded.get("customer")),
            flush=True,
        )
        while not stopping:  # a child that dies is named and restarted (with back-off)
            supervisor.check()
            time.sleep(0.2)
        return 0
    finally:
        if supervisor is not None:
            supervisor.stop()
        for server in reversed(started):
            server.stop()
        if started:
            servers_file(settings).unlink(missing_ok=True)


def _dev_tokens(secret: str, customer_id: str | None) -> str:
    """The lines that give a developer tokens to try the API with (`mallbots token` makes more)."""
    from backend.platform.principal import Principal
    from gateway.auth import mint

    lines = [f"Admin token: {mint(secret, Principal('admin', subject='dev-admin'))}"]
    if customer_id:
        customer = Principal(
            "customer", subject=f"dev-customer-{customer_id}", customer_id=customer_id
        )
        lines.append(f"Demo customer token (Buyer #1): {mint(secret, customer)}")
    return "\n".join(lines)


def cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    """Print a development token (HS256, signed with MALLBOTS_JWT_SECRET, which `make run`
    generates into .mallbots/jwt-secret)."""
    from backend.platform.principal import Principal
    from gateway.auth import mint

    secret = os.environ.get("MALLBOTS_JWT_SECRET")
    if not secret:
        raise CliError("no MALLBOTS_JWT_SECRET and no .mallbots/jwt-secret: run `make run` once")
    needed = {"customer": args.customer, "bot": args.bot, "store_manager": args.store}
    if args.role in needed and not needed[args.role]:
        flag = {"customer": "--customer ID", "bot": "--bot ID", "store_manager": "--store ID"}
        raise CliError(f"a {args.role} token needs {flag[args.role]}")
    principal = Principal(
        args.role,
        subject=f"dev-{args.role}-{args.customer or args.bot or ''}".rstrip("-"),
        customer_id=args.customer if args.role == "customer" else None,
        store_ids=frozenset(args.store or ()) if args.role == "store_manager" else frozenset(),
        bot_id=args.bot if args.role == "bot" else None,
    )
    print(mint(secret, principal, ttl_seconds=args.hours * 3600))
    return 0


def _wait_healthy(url: str, children: list[subprocess.Popen[bytes]], timeout: float = 90) -> bool:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and all(c.poll() is None for c in children):
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return False


def cmd_seed(args: argparse.Namespace, settings: Settings) -> int:
    from backend.seed import seed

    if not settings.internal_token:
        raise CliError("no MALLBOTS_INTERNAL_TOKEN and no .mallbots/internal-token")
    ids = asyncio.run(seed(args.url or settings.own_url, settings.internal_token))
    print("seeded: " + ", ".join(f"{k} {v}" for k, v in ids.items()))
    return 0


def cmd_asyncapi(args: argparse.Namespace, settings: Settings) -> int:
    from backend.asyncapi import write

    print(f"wrote {write(Path(args.output))}")
    return 0


# --- backend -------------------------------------------------------------------------------


def cmd_backend(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from backend.modules import select_modules
    from backend.platform.host import BackendHost

    if not settings.internal_token:
        raise CliError(
            "MALLBOTS_INTERNAL_TOKEN is not set: the backend serves only callers that send it"
        )
    database_url, redis_url = resolve_urls(settings)
    if args.port:  # also the address this process's modules call each other at
        settings = dataclasses.replace(settings, port=args.port)
    names = args.modules.split(",") if args.modules else list(settings.modules)
    try:
        modules = select_modules([n.strip() for n in names if n.strip()])
    except ValueError as exc:
        raise CliError(str(exc)) from None
    from observability import tracing

    tracing.configure(f"mallbots-{modules[0].name}" if len(modules) == 1 else "mallbots-backend")
    host = BackendHost(settings, modules, database_url, redis_url)
    config = uvicorn.Config(
        host.app(),
        host=settings.host,
        port=args.port or settings.port,
        loop="uvloop",
        log_level="warning",
        lifespan="on",
    )
    serve(config)
    return 0


def serve(config: uvicorn.Config) -> None:
    """Run a server process: its start-up objects frozen out of the cyclic garbage collector, and
    the youngest generation collected every 50,000 allocations instead of 700 (ADR 0029). A
    request allocates hundreds of short-lived objects (more with tracing: spans, contexts,
    attribute maps), so the default collected several times per request, each collection also
    walking the survivors of the one before."""
    import gc

    import uvicorn

    gc.freeze()
    gc.set_threshold(50_000, *gc.get_threshold()[1:])
    uvicorn.Server(config).run()


def cmd_gateway(args: argparse.Namespace, settings: Settings) -> int:
    import dataclasses

    from gateway.app import server_config
    from gateway.config import GatewaySettings

    gateway = GatewaySettings.from_env()
    if not gateway.internal_token:
        raise CliError("MALLBOTS_INTERNAL_TOKEN is not set: the backend refuses calls without it")
    if gateway.redis_url is None:
        gateway = dataclasses.replace(gateway, redis_url=resolve_urls(settings)[1])
    from observability import tracing

    tracing.configure("mallbots-gateway")
    config = server_config(gateway, args.port)
    from gateway import logs

    logs.install("uvicorn", "uvicorn.error", "uvicorn.access")  # personal data masked
    serve(config)
    return 0


def cmd_schema(args: argparse.Namespace, settings: Settings) -> int:
    from gateway.schema import SCHEMA_FILE, printed

    SCHEMA_FILE.write_text(printed())
    print(f"wrote {SCHEMA_FILE}")
    return 0


# --- migrate, dlq, projections -----------------------------------------------------------------


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from backend.modules import select_modules
    from backend.platform.host import run_migrations

    database_url, _ = resolve_urls(settings, redis=False)
    try:
        modules = select_modules(list(settings.modules) or ["all"])
    except ValueError as exc:
        raise CliError(str(exc)) from None
    asyncio.run(run_migrations(database_url, modules, settings.database_urls))
    print("migrations applied")
    return 0


def cmd_dlq(args: argparse.Namespace, settings: Settings) -> int:
    from backend.platform.consumer import DLQ_SUFFIX
    from backend.platform.streams import (
        dead_letter_topics,
        list_dead_letters,
        replay_dead_letters,
    )

    _, redis_url = resolve_urls(settings)

    async def run() -> int:
        redis = aioredis.from_url(redis_url)
        try:
            if args.action == "list":
                dlqs = [args.topic + DLQ_SUFFIX] if args.topic else await dead_letter_topics(redis)
                total = 0
                for dlq in dlqs:
                    for letter in await list_dead_letters(redis, dlq):
                        total += 1
                        print(
                            f"{dlq}  {letter.dlq_id}  group={letter.group}"
                            f"  deliveries={letter.deliveries}  failed_at={letter.failed_at}\n"
                            f"    error: {letter.error}\n    message: {letter.message[:300]}"
                        )
                print(f"{total} dead letter(s)")
                return 0
            if not args.topic:
                raise CliError("dlq replay needs a TOPIC")
            count = await replay_dead_letters(redis, args.topic + DLQ_SUFFIX, args.id or None)
            print(f"replayed {count} message(s) onto {args.topic}")
            return 0
        finally:
            await redis.aclose()

    return asyncio.run(run())


def cmd_projections(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from backend.modules import select_modules
    from backend.platform.db import create_pool
    from backend.platform.module import ModuleContext

    database_url, redis_url = resolve_urls(settings)
    found = []
    for module in select_modules(args.modules.split(",")):
        context = ModuleContext(module, settings)
        for projection in module.build(context).projections:
            if projection.name == args.name:
                found.append((context, projection))
    if not found:
        raise CliError(f"no projection named {args.name!r}")
    context, projection = found[0]

    async def run() -> int:
        url = settings.database_urls.get(context.name, database_url)
        pool = await create_pool(url, size=2)
        redis = aioredis.from_url(redis_url)
        try:
            context.attach(pool, redis, url)
            runner = context.add_projection(projection)
            async with pool.connection() as conn:
                cur = await conn.execute(f"SELECT count(*) FROM {context.store.table('events')}")
                row = await cur.fetchone()
            await runner.reset()
            with tqdm(total=row[0] if row else None, unit="ev", desc=args.name) as bar:
                applied = await runner.catch_up(progress=bar.update)
            print(f"rebuilt {args.name} from {applied} event(s)")
            return 0
        finally:
            await redis.aclose()
            await pool.close()

    return asyncio.run(run())


def cmd_sagas(args: argparse.Namespace, settings: Settings) -> int:
    """List unfinished create-order sagas; with ``--stuck`` only those whose command in flight
    has waited past MALLBOTS_SAGA_RESEND_SECONDS (the participant is silent)."""
    import datetime as dt

    import psycopg

    from backend.cosec.domain import CREATE_ORDER, CreateOrderData
    from backend.cosec.messages import contract
    from backend.platform.saga_runner import SagaRunner

    database_url, _ = resolve_urls(settings, redis=False)
    definition = dataclasses.replace(
        CREATE_ORDER, resend_after=dt.timedelta(seconds=settings.saga_resend_seconds)
    )
    runner = SagaRunner(definition, CreateOrderData, "cosec.sagas", contract)

    async def run() -> int:
        async with await psycopg.AsyncConnection.connect(database_url) as conn:
            found = await runner.waiting(conn, stuck=args.stuck, limit=args.limit)
        now = dt.datetime.now(dt.UTC)
        for state, since in found:
            entry = state.pending
            what = f"{entry.direction} {entry.command} (sent {entry.sends}x)" if entry else "-"
            print(
                f"{state.id}  step={state.step}  {what}"
                f"  waiting {(now - since).total_seconds():.0f} s"
            )
        print(f"{len(found)} {'stuck ' if args.stuck else ''}saga(s)")
        return 0

    return asyncio.run(run())


def cmd_outbox(args: argparse.Namespace, settings: Settings) -> int:
    """List the outbox rows the relays parked (Redis refused them), or move them back."""
    import psycopg

    from backend.modules import select_modules
    from backend.platform.relay import parked_rows, requeue_parked

    database_url, _ = resolve_urls(settings, redis=False)
    schemas = [m.name for m in select_modules(args.modules.split(","))]

    async def run() -> int:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            if args.action == "requeue":
                moved = 0
                for schema in schemas:
                    moved += await requeue_parked(conn, schema, args.position or None)
                print(f"requeued {moved} row(s)")
                return 0
            total = 0
            for schema in schemas:
                for position, topic, error, parked_at in await parked_rows(conn, schema):
                    total += 1
                    print(f"{schema}  {position}  {topic}  parked_at={parked_at}\n    {error}")
            print(f"{total} parked row(s)")
            return 0

    return asyncio.run(run())


# --- entry point -----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mallbots", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("dev", help="start everything on the embedded servers (make run)")
    backend = sub.add_parser("backend", help="serve backend modules")
    backend.add_argument("--modules", help="all, or a comma-separated list (default: all)")
    backend.add_argument("--port", type=int, help="HTTP port (default MALLBOTS_BACKEND_PORT)")
    gateway = sub.add_parser("gateway", help="serve the GraphQL gateway")
    gateway.add_argument("--port", type=int, help="HTTP port (default MALLBOTS_GATEWAY_PORT)")
    token = sub.add_parser("token", help="print a development token for a role")
    token.add_argument(
        "--role", required=True, choices=["customer", "store_manager", "bot", "admin"]
    )
    token.add_argument("--customer", help="the customer id (role customer)")
    token.add_argument("--store", action="append", help="a managed store id (repeatable)")
    token.add_argument("--bot", help="the bot id (role bot)")
    token.add_argument("--hours", type=int, default=12, help="how long it is valid (default 12)")
    sub.add_parser("schema", help="print the GraphQL schema to gateway/schema.graphql")
    sub.add_parser("migrate", help="apply every module's migrations")
    seed = sub.add_parser("seed", help="load the demo mall through the backend's API")
    seed.add_argument("--url", help="backend address (default: MALLBOTS_BACKEND_HOST/PORT)")
    asyncapi = sub.add_parser("asyncapi", help="write the AsyncAPI document of every topic")
    asyncapi.add_argument("--output", default="docs/asyncapi.yaml")
    dlq = sub.add_parser("dlq", help="list or replay dead-lettered messages")
    dlq.add_argument("action", choices=["list", "replay"])
    dlq.add_argument("topic", nargs="?", help="the topic whose dead letters to use")
    dlq.add_argument("--id", action="append", help="only this dead letter (repeatable)")
    projections = sub.add_parser("projections", help="rebuild a projection from its events")
    projections.add_argument("action", choices=["rebuild"])
    projections.add_argument("name")
    projections.add_argument("--modules", default="all", help="where to look (default: all)")
    outbox = sub.add_parser("outbox", help="list or requeue the outbox rows Redis refused")
    outbox.add_argument("action", choices=["parked", "requeue"])
    outbox.add_argument("--modules", default="all", help="whose outboxes (default: all)")
    outbox.add_argument("--position", type=int, action="append", help="only this row")
    sagas = sub.add_parser("sagas", help="list unfinished create-order sagas")
    sagas.add_argument("action", choices=["list"])
    sagas.add_argument("--stuck", action="store_true", help="only those waiting past a timeout")
    sagas.add_argument("--limit", type=int, default=100)
    return parser


COMMANDS = {
    "dev": cmd_dev,
    "backend": cmd_backend,
    "migrate": cmd_migrate,
    "gateway": cmd_gateway,
    "schema": cmd_schema,
    "token": cmd_token,
    "seed": cmd_seed,
    "asyncapi": cmd_asyncapi,
    "dlq": cmd_dlq,
    "projections": cmd_projections,
    "sagas": cmd_sagas,
    "outbox": cmd_outbox,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _configure_logging()
    try:
        credentials.load_into_environment(Settings.from_env().data_dir)
        settings = Settings.from_env()
        return COMMANDS[args.command](args, settings)
    except (CliError, ValueError) as exc:
        print(f"mallbots: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
